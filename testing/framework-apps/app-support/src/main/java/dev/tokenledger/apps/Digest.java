package dev.tokenledger.apps;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 and length of bytes fed in pieces, as a stream arrives. Thread-safe. */
public final class Digest {

  private final MessageDigest sha;
  private long length;

  public Digest() {
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public synchronized Digest update(byte[] bytes) {
    return update(bytes, 0, bytes.length);
  }

  public synchronized Digest update(byte[] bytes, int offset, int count) {
    sha.update(bytes, offset, count);
    length += count;
    return this;
  }

  /** Reads the buffer's remaining bytes without moving its position. */
  public synchronized Digest update(ByteBuffer buffer) {
    ByteBuffer view = buffer.duplicate();
    length += view.remaining();
    sha.update(view);
    return this;
  }

  /**
   * One WebSocket data message in the simulator's digest form: {@code 'T'} or {@code 'B'}, the payload
   * length as 4 bytes big-endian, then the payload.
   */
  public synchronized Digest message(boolean text, byte[] payload) {
    sha.update((byte) (text ? 'T' : 'B'));
    int n = payload.length;
    sha.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
    sha.update(payload);
    length++;
    return this;
  }

  public synchronized long length() {
    return length;
  }

  /** The digest so far, as hex; the digest can go on being fed. */
  public synchronized String hex() {
    try {
      byte[] d = ((MessageDigest) sha.clone()).digest();
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
