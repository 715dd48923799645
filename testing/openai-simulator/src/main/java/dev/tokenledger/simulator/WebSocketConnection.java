package dev.tokenledger.simulator;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The server end of one RFC 6455 connection after the handshake: reads client frames (masked, as the
 * RFC requires of clients; continuation frames reassembled; pings answered; the close handshake
 * completed) and writes server frames (unmasked). Writes are serialized, so a reader thread may
 * answer pings while another thread plays events.
 *
 * <p>Every data message sent is also folded into a running SHA-256 ({@link #sentDigestHex()}), in the
 * form {@link MessageDigestFormat} describes, so tests can prove the application received exactly
 * the messages that were sent.
 */
final class WebSocketConnection implements AutoCloseable {

  /** A data message from the client, or the end of the connection ({@link #closed()}). */
  record Message(boolean text, byte[] payload, int closeCode) {
    static Message closedWith(int code) {
      return new Message(false, null, code);
    }

    boolean closed() {
      return payload == null;
    }

    String asText() {
      return new String(payload, StandardCharsets.UTF_8);
    }
  }

  /**
   * How the digest of a connection's messages is formed: for each data message in order, one byte
   * {@code 'T'} (text) or {@code 'B'} (binary), the payload length as 4 bytes big-endian, then the
   * payload (text as UTF-8). The demo app computes the same over what it received.
   */
  static final class MessageDigestFormat {
    private MessageDigestFormat() {}

    static void update(MessageDigest md, boolean text, byte[] payload) {
      md.update((byte) (text ? 'T' : 'B'));
      md.update(new byte[] {
        (byte) (payload.length >>> 24), (byte) (payload.length >>> 16), (byte) (payload.length >>> 8),
        (byte) payload.length
      });
      md.update(payload);
    }
  }

  /** Largest client message accepted (audio appends are far smaller). */
  private static final int MAX_MESSAGE = 64 << 20;

  private static final int OP_CONTINUATION = 0x0;
  private static final int OP_TEXT = 0x1;
  private static final int OP_BINARY = 0x2;
  private static final int OP_CLOSE = 0x8;
  private static final int OP_PING = 0x9;
  private static final int OP_PONG = 0xA;

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final MessageDigest sent;
  private long messagesSent;
  private long bytesSent;
  private boolean closeSent;
  private volatile boolean closeReceived;

  WebSocketConnection(Socket socket, BufferedInputStream in) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(in);
    this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    try {
      this.sent = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The next data message; pings are answered and pongs skipped on the way. Returns a closed message
   * when the client sent a close frame (answered here), the connection ended, or the client broke the
   * protocol (then a close frame with 1002 is sent first).
   */
  Message read() {
    try {
      int messageOpcode = -1;
      byte[] assembled = null;
      int assembledLength = 0;
      while (true) {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        boolean fin = (b0 & 0x80) != 0;
        int opcode = b0 & 0x0F;
        boolean masked = (b1 & 0x80) != 0;
        long length = b1 & 0x7F;
        if (length == 126) {
          length = in.readUnsignedShort();
        } else if (length == 127) {
          length = in.readLong();
        }
        if (!masked || (b0 & 0x70) != 0 || length < 0 || length > MAX_MESSAGE) {
          return protocolError(masked ? "bad frame" : "client frames must be masked");
        }
        byte[] mask = new byte[4];
        in.readFully(mask);
        byte[] payload = new byte[(int) length];
        in.readFully(payload);
        for (int i = 0; i < payload.length; i++) {
          payload[i] ^= mask[i & 3];
        }
        switch (opcode) {
          case OP_PING -> sendControl(OP_PONG, payload);
          case OP_PONG -> { }
          case OP_CLOSE -> {
            closeReceived = true;
            int code = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
            // Echo the status code, as the close handshake asks.
            sendClose(code == 1005 ? 1000 : code, "");
            close();
            return Message.closedWith(code);
          }
          case OP_TEXT, OP_BINARY -> {
            if (messageOpcode != -1) {
              return protocolError("new data frame inside a fragmented message");
            }
            if (fin) {
              return new Message(opcode == OP_TEXT, payload, 0);
            }
            messageOpcode = opcode;
            assembled = payload;
            assembledLength = payload.length;
          }
          case OP_CONTINUATION -> {
            if (messageOpcode == -1) {
              return protocolError("continuation frame without a message");
            }
            if ((long) assembledLength + payload.length > MAX_MESSAGE) {
              return protocolError("message too large");
            }
            if (assembledLength + payload.length > assembled.length) {
              byte[] grown = new byte[Math.max(assembled.length * 2, assembledLength + payload.length)];
              System.arraycopy(assembled, 0, grown, 0, assembledLength);
              assembled = grown;
            }
            System.arraycopy(payload, 0, assembled, assembledLength, payload.length);
            assembledLength += payload.length;
            if (fin) {
              byte[] whole = new byte[assembledLength];
              System.arraycopy(assembled, 0, whole, 0, assembledLength);
              return new Message(messageOpcode == OP_TEXT, whole, 0);
            }
          }
          default -> {
            return protocolError("unknown opcode " + opcode);
          }
        }
      }
    } catch (EOFException e) {
      close();
      return Message.closedWith(1006);
    } catch (IOException e) {
      close();
      return Message.closedWith(1006);
    }
  }

  private Message protocolError(String why) {
    try {
      sendClose(1002, why);
    } catch (IOException ignored) {
      // already gone
    }
    close();
    return Message.closedWith(1002);
  }

  boolean closeReceived() {
    return closeReceived;
  }

  /** One text message in one frame. */
  void sendText(String text) throws IOException {
    sendData(true, text.getBytes(StandardCharsets.UTF_8), 1);
  }

  /** One text message split into {@code frames} frames (a text frame, then continuation frames). */
  void sendTextFragmented(String text, int frames) throws IOException {
    sendData(true, text.getBytes(StandardCharsets.UTF_8), frames);
  }

  void sendBinary(byte[] data) throws IOException {
    sendData(false, data, 1);
  }

  void sendPing(byte[] payload) throws IOException {
    sendControl(OP_PING, payload);
  }

  private synchronized void sendData(boolean text, byte[] payload, int frames) throws IOException {
    if (closeSent) {
      throw new IOException("connection closing");
    }
    int pieces = Math.max(1, Math.min(frames, Math.max(1, payload.length)));
    int offset = 0;
    for (int i = 0; i < pieces; i++) {
      int end = i == pieces - 1 ? payload.length : (int) ((long) payload.length * (i + 1) / pieces);
      int opcode = i == 0 ? (text ? OP_TEXT : OP_BINARY) : OP_CONTINUATION;
      writeFrame(i == pieces - 1, opcode, payload, offset, end - offset);
      offset = end;
    }
    out.flush();
    MessageDigestFormat.update(sent, text, payload);
    messagesSent++;
    bytesSent += payload.length;
  }

  private synchronized void sendControl(int opcode, byte[] payload) throws IOException {
    if (closeSent) {
      return;
    }
    writeFrame(true, opcode, payload, 0, Math.min(payload.length, 125));
    out.flush();
  }

  /** Starts (or answers) the close handshake. */
  synchronized void sendClose(int code, String reason) throws IOException {
    if (closeSent) {
      return;
    }
    byte[] r = reason.getBytes(StandardCharsets.UTF_8);
    byte[] payload = new byte[2 + Math.min(r.length, 120)];
    payload[0] = (byte) (code >>> 8);
    payload[1] = (byte) code;
    System.arraycopy(r, 0, payload, 2, payload.length - 2);
    writeFrame(true, OP_CLOSE, payload, 0, payload.length);
    out.flush();
    closeSent = true;
  }

  private void writeFrame(boolean fin, int opcode, byte[] payload, int offset, int length)
      throws IOException {
    out.write((fin ? 0x80 : 0) | opcode);
    if (length < 126) {
      out.write(length);
    } else if (length < 65536) {
      out.write(126);
      out.write(length >>> 8);
      out.write(length);
    } else {
      out.write(127);
      long l = length;
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.write((int) (l >>> shift));
      }
    }
    out.write(payload, offset, length);
  }

  /** Hex SHA-256 of every data message sent so far, in {@link MessageDigestFormat}. */
  synchronized String sentDigestHex() {
    try {
      byte[] d = ((MessageDigest) sent.clone()).digest();
      StringBuilder sb = new StringBuilder(64);
      for (byte b : d) {
        sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
      }
      return sb.toString();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException(e);
    }
  }

  synchronized long messagesSent() {
    return messagesSent;
  }

  synchronized long bytesSent() {
    return bytesSent;
  }

  /**
   * Ends the TCP connection without a close frame: what a provider-side crash or a network cut looks
   * like to the client. Everything already written is still delivered (an orderly FIN, not a reset).
   * The cut comes a moment after the last frame, as a real one falls between frames: the JDK's
   * WebSocket client can lose a final frame that reaches it in the same read as the end of the
   * stream, and the tests measure what the instrumentation does, not that client's behaviour.
   */
  void drop() {
    synchronized (this) {
      closeSent = true;
      try {
        out.flush();
      } catch (IOException ignored) {
        // already gone
      }
    }
    try {
      Thread.sleep(DROP_PAUSE_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    close();
  }

  private static final long DROP_PAUSE_MILLIS = 300;

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing left to do
    }
  }
}
