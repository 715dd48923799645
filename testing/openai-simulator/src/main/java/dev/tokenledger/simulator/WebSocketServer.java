package dev.tokenledger.simulator;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal RFC 6455 server on its own loopback port (the JDK's {@code HttpServer} cannot hand over a
 * connection after a 101): one thread per connection, the opening handshake checked and answered
 * with {@code Sec-WebSocket-Accept}, then the connection is given to the {@link Handler}. Test
 * support, so small, but correct on the wire.
 */
final class WebSocketServer implements AutoCloseable {

  /** The parts of the opening handshake request a handler decides on. */
  record Handshake(String path, String rawQuery, Map<String, String> headers) {
    /** A request header, case-insensitively; null when absent. */
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** A refusal of the handshake: an HTTP status and a JSON body. */
  record Refusal(int status, String reason, String jsonBody) {}

  interface Handler {
    /** Null to accept the handshake, else the HTTP answer that refuses it. */
    Refusal check(Handshake handshake);

    /** Runs the accepted connection on its own thread; returns when it is over. */
    void serve(Handshake handshake, WebSocketConnection connection);
  }

  private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  private final ServerSocket server;
  private final Handler handler;
  private final AtomicInteger threads = new AtomicInteger();
  private volatile boolean closed;

  WebSocketServer(Handler handler) throws IOException {
    this.handler = handler;
    InetAddress v4 = InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
    server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(v4, 0), 1024);
    Thread acceptor = new Thread(this::acceptLoop, "openai-simulator-ws-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket socket;
      try {
        socket = server.accept();
      } catch (IOException e) {
        if (closed) {
          return;
        }
        continue;
      }
      // Small stacks: a benchmark holds a thousand connections open at once.
      Thread t = new Thread(null, () -> handle(socket), "openai-simulator-ws-" + threads.incrementAndGet(),
          256 * 1024);
      t.setDaemon(true);
      t.start();
    }
  }

  private void handle(Socket socket) {
    try {
      socket.setTcpNoDelay(true);
      BufferedInputStream in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
      String head = readHead(in);
      if (head == null) {
        socket.close();
        return;
      }
      String[] lines = head.split("\r\n");
      String[] requestLine = lines[0].split(" ");
      Map<String, String> headers = new LinkedHashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon > 0) {
          headers.merge(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
              lines[i].substring(colon + 1).trim(), (a, b) -> a + ", " + b);
        }
      }
      OutputStream out = socket.getOutputStream();
      if (requestLine.length != 3 || !requestLine[0].equals("GET")) {
        refuse(out, new Refusal(405, "Method Not Allowed", "{\"error\":\"a WebSocket handshake is a GET\"}"));
        socket.close();
        return;
      }
      String target = requestLine[1];
      int q = target.indexOf('?');
      Handshake handshake = new Handshake(q < 0 ? target : target.substring(0, q),
          q < 0 ? "" : target.substring(q + 1), headers);
      String key = handshake.header("Sec-WebSocket-Key");
      String upgrade = handshake.header("Upgrade");
      String connection = handshake.header("Connection");
      if (key == null || upgrade == null || !upgrade.equalsIgnoreCase("websocket") || connection == null
          || !connection.toLowerCase(Locale.ROOT).contains("upgrade")
          || !"13".equals(handshake.header("Sec-WebSocket-Version"))) {
        refuse(out, new Refusal(400, "Bad Request",
            "{\"error\":\"expected a WebSocket upgrade (version 13)\"}"));
        socket.close();
        return;
      }
      Refusal refusal = handler.check(handshake);
      if (refusal != null) {
        refuse(out, refusal);
        socket.close();
        return;
      }
      StringBuilder response = new StringBuilder()
          .append("HTTP/1.1 101 Switching Protocols\r\n")
          .append("Upgrade: websocket\r\n")
          .append("Connection: Upgrade\r\n")
          .append("Sec-WebSocket-Accept: ").append(acceptOf(key)).append("\r\n");
      String protocols = handshake.header("Sec-WebSocket-Protocol");
      if (protocols != null) {
        // Browsers offer "realtime" plus a key-carrying protocol; only "realtime" is ever chosen.
        for (String p : protocols.split(",")) {
          if (p.trim().equals("realtime")) {
            response.append("Sec-WebSocket-Protocol: realtime\r\n");
            break;
          }
        }
      }
      response.append("\r\n");
      out.write(response.toString().getBytes(StandardCharsets.US_ASCII));
      out.flush();
      try (WebSocketConnection ws = new WebSocketConnection(socket, in)) {
        handler.serve(handshake, ws);
      }
    } catch (IOException | RuntimeException e) {
      if (!(e instanceof SocketException) && !closed) {
        e.printStackTrace();
      }
      try {
        socket.close();
      } catch (IOException ignored) {
        // gone
      }
    }
  }

  /** The request head up to the blank line, or null when the client went away first. */
  private static String readHead(BufferedInputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int state = 0;
    while (true) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.write(b);
      if (head.size() > 32 * 1024) {
        return null;
      }
      state = switch (state) {
        case 0, 2 -> b == '\r' ? state + 1 : 0;
        case 1 -> b == '\n' ? 2 : (b == '\r' ? 1 : 0);
        case 3 -> b == '\n' ? 4 : (b == '\r' ? 1 : 0);
        default -> 0;
      };
      if (state == 4) {
        String s = head.toString(StandardCharsets.ISO_8859_1);
        return s.substring(0, s.length() - 4);
      }
    }
  }

  private static void refuse(OutputStream out, Refusal r) throws IOException {
    byte[] body = r.jsonBody().getBytes(StandardCharsets.UTF_8);
    String head = "HTTP/1.1 " + r.status() + " " + r.reason() + "\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
    out.write(head.getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
  }

  static String acceptOf(String key) {
    try {
      byte[] sha1 = MessageDigest.getInstance("SHA-1")
          .digest((key.trim() + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(sha1);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // already closed
    }
  }
}
