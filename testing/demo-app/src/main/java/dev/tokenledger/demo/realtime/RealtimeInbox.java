package dev.tokenledger.demo.realtime;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Where a transport hands over what arrives on one connection: whole messages (each transport
 * assembles fragments its own way) and the end of the connection. Keeps the SHA-256 of every message
 * in the order received, in the form the simulator uses for what it sent (per message: {@code 'T'} or
 * {@code 'B'}, the payload length as 4 bytes big-endian, the payload; text as UTF-8), so a test can
 * prove the application received exactly what was sent.
 */
public final class RealtimeInbox {

  /** One message, or the end of the connection ({@code end != null}). */
  public record Message(String text, byte[] binary, String end) {
    boolean isEnd() {
      return end != null;
    }
  }

  private final LinkedBlockingQueue<Message> queue = new LinkedBlockingQueue<>();
  private final MessageDigest digest;
  private long messages;
  private volatile boolean ended;

  public RealtimeInbox() {
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public void text(String text) {
    fold('T', text.getBytes(StandardCharsets.UTF_8));
    queue.add(new Message(text, null, null));
  }

  public void binary(byte[] data) {
    fold('B', data);
    queue.add(new Message(null, data, null));
  }

  /** The connection ended: {@code closed} (close handshake) or {@code failed} (anything else). */
  public void ended(String how) {
    if (!ended) {
      ended = true;
      queue.add(new Message(null, null, how));
    }
  }

  public boolean isEnded() {
    return ended;
  }

  private synchronized void fold(char kind, byte[] payload) {
    digest.update((byte) kind);
    int n = payload.length;
    digest.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
    digest.update(payload);
    messages++;
  }

  Message poll(long timeoutMillis) throws InterruptedException {
    return queue.poll(timeoutMillis, TimeUnit.MILLISECONDS);
  }

  public synchronized long messages() {
    return messages;
  }

  public synchronized String digestHex() {
    try {
      byte[] d = ((MessageDigest) digest.clone()).digest();
      StringBuilder sb = new StringBuilder(64);
      for (byte b : d) {
        sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
      }
      return sb.toString();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException(e);
    }
  }
}
