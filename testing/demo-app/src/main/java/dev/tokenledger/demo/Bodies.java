package dev.tokenledger.demo;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import javax.imageio.ImageIO;

/** Body handling shared by the raw-transport clients, and the small media files the demo sends. */
final class Bodies {

  private Bodies() {}

  /** A running SHA-256 and byte count over everything the app read. */
  static final class Digest {
    private final MessageDigest md;
    private long length;

    Digest() {
      try {
        md = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    void update(byte[] b, int off, int len) {
      md.update(b, off, len);
      length += len;
    }

    String hex() {
      return toHex(md.digest());
    }

    long length() {
      return length;
    }
  }

  static String sha256Hex(byte[] data) {
    Digest d = new Digest();
    d.update(data, 0, data.length);
    return d.hex();
  }

  private static String toHex(byte[] d) {
    StringBuilder sb = new StringBuilder(d.length * 2);
    for (byte b : d) {
      sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return sb.toString();
  }

  /**
   * Reads a server-sent-events body line by line, as a streaming app does, hashing the exact bytes.
   * Each complete line (without its line end) goes to {@code onLine} as soon as it arrives.
   */
  static Digest readLines(InputStream in, Consumer<String> onLine) throws IOException {
    Digest d = new Digest();
    ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    byte[] buf = new byte[8192];
    for (int n; (n = in.read(buf)) >= 0; ) {
      d.update(buf, 0, n);
      for (int i = 0; i < n; i++) {
        if (buf[i] == '\n') {
          String s = line.toString(StandardCharsets.UTF_8);
          onLine.accept(s.endsWith("\r") ? s.substring(0, s.length() - 1) : s);
          line.reset();
        } else {
          line.write(buf[i]);
        }
      }
    }
    if (line.size() > 0) {
      onLine.accept(line.toString(StandardCharsets.UTF_8));
    }
    return d;
  }

  /** Reads a whole body through a fixed buffer, hashing as it goes (large or binary bodies). */
  static Digest drain(InputStream in) throws IOException {
    Digest d = new Digest();
    byte[] buf = new byte[16384];
    for (int n; (n = in.read(buf)) >= 0; ) {
      d.update(buf, 0, n);
    }
    return d;
  }

  /** What a streaming app does with SSE lines: look at the data, stop caring at [DONE]. */
  static final class SseConsumer implements Consumer<String> {
    int dataLines;
    boolean done;

    @Override
    public void accept(String line) {
      if (line.startsWith("data:")) {
        dataLines++;
        if (line.substring(5).trim().equals("[DONE]")) {
          done = true;
        }
      }
    }
  }

  /** The cause a caller cares about, without the wrappers of async APIs. */
  static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  /** Half a second of 8 kHz 16-bit mono silence as a WAV file (about 8 KB). */
  static byte[] silenceWav() {
    int rate = 8000;
    int dataLen = rate; // 0.5 s * 8000 samples/s * 2 bytes
    ByteBuffer b = ByteBuffer.allocate(44 + dataLen).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + dataLen)
        .put("WAVE".getBytes(StandardCharsets.US_ASCII))
        .put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16)
        .putShort((short) 1) // PCM
        .putShort((short) 1) // mono
        .putInt(rate).putInt(rate * 2).putShort((short) 2).putShort((short) 16)
        .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(dataLen);
    return b.array();
  }

  /** A tiny PNG for the image-input chat scenario. */
  static byte[] tinyPng() {
    BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
    for (int i = 0; i < 64; i++) {
      img.setRGB(i % 8, i / 8, i * 0x030201);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toByteArray();
  }
}
