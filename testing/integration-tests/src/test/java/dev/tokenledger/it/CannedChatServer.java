package dev.tokenledger.it;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback HTTP/1.1 server that answers every {@code POST …/chat/completions} at once with the same
 * small chat completion (its own id, fixed usage), on kept-alive connections: the cheapest server a
 * real client can make billable calls to, for a burst that must outpace the agent's export rather
 * than the server. It counts the completions it sent: the ground truth of the burst. A
 * {@code GET …/files/{id}/content} gets the Batch output file set with {@link #batchFile}.
 */
final class CannedChatServer implements AutoCloseable {

  static final long PROMPT_TOKENS = 12;
  static final long COMPLETION_TOKENS = 5;

  private final ServerSocket socket;
  private final AtomicLong completions = new AtomicLong();
  private final Thread acceptor;
  private volatile byte[] batchFile = new byte[0];

  CannedChatServer() throws IOException {
    socket = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    acceptor = new Thread(this::acceptLoop, "canned-chat-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The base URL a client appends {@code /chat/completions} to. */
  String baseUrl() {
    return "http://127.0.0.1:" + socket.getLocalPort() + "/v1";
  }

  /** Chat completions answered with 200 and usage so far. */
  long completions() {
    return completions.get();
  }

  void reset() {
    completions.set(0);
  }

  /** The Batch output file every file download gets. */
  void batchFile(byte[] file) {
    batchFile = file;
  }

  private void acceptLoop() {
    while (!socket.isClosed()) {
      try {
        Socket connection = socket.accept();
        Thread t = new Thread(() -> serve(connection), "canned-chat-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket connection) {
    try (Socket c = connection;
        InputStream in = new BufferedInputStream(c.getInputStream());
        OutputStream out = c.getOutputStream()) {
      c.setTcpNoDelay(true);
      while (true) {
        String head = readHead(in);
        if (head == null) {
          return;
        }
        skip(in, contentLength(head));
        String requestLine = head.substring(0, head.indexOf('\r'));
        if (requestLine.startsWith("GET ") && requestLine.contains("/files/")) {
          byte[] file = batchFile;
          out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + file.length
              + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          out.write(file);
          out.flush();
          continue;
        }
        if (!requestLine.startsWith("POST ") || !requestLine.contains("/chat/completions")) {
          out.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
          continue;
        }
        long n = completions.incrementAndGet();
        byte[] body = ("{\"id\":\"chatcmpl-canned" + n + "\",\"object\":\"chat.completion\",\"created\":1763990400,"
            + "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
            + "\"content\":\"Hello.\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":" + PROMPT_TOKENS
            + ",\"completion_tokens\":" + COMPLETION_TOKENS + ",\"total_tokens\":" + (PROMPT_TOKENS + COMPLETION_TOKENS)
            + "},\"service_tier\":\"default\"}").getBytes(StandardCharsets.UTF_8);
        String responseHead = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-request-id: req_canned" + n
            + "\r\nContent-Length: " + body.length + "\r\n\r\n";
        out.write(responseHead.getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
      }
    } catch (IOException e) {
      // the client closed the connection
    }
  }

  /** The request line and headers, or null at the end of the connection. */
  private static String readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder(256);
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.append((char) b);
      matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
          ? matched + 1
          : (b == '\r' ? 1 : 0);
    }
    return head.toString();
  }

  private static long contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        return Long.parseLong(line.substring("content-length:".length()).trim());
      }
    }
    return 0;
  }

  private static void skip(InputStream in, long n) throws IOException {
    while (n > 0) {
      if (in.read() < 0) {
        return;
      }
      n--;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
