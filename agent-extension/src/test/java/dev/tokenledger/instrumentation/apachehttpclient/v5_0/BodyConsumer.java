package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.concurrent.CountDownLatch;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.client5.http.async.methods.AbstractBinResponseConsumer;

/**
 * An application's streaming consumer: takes each buffer as it arrives (keeping the bytes, or only
 * their digest for large bodies), and tells when the first one came. Its result is the status.
 */
final class BodyConsumer extends AbstractBinResponseConsumer<Integer> {

  private final boolean keep;
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final MessageDigest digest;
  final CountDownLatch firstBytes = new CountDownLatch(1);
  private volatile long length;
  private volatile int status;

  BodyConsumer(boolean keep) {
    this.keep = keep;
    try {
      this.digest = MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  protected void start(HttpResponse response, ContentType contentType) {
    status = response.getCode();
  }

  @Override
  protected int capacityIncrement() {
    return 64 * 1024;
  }

  @Override
  protected void data(ByteBuffer src, boolean endOfStream) {
    byte[] chunk = new byte[src.remaining()];
    src.get(chunk);
    synchronized (this) {
      if (keep) {
        bytes.write(chunk, 0, chunk.length);
      }
      digest.update(chunk);
      length += chunk.length;
    }
    if (chunk.length > 0) {
      firstBytes.countDown();
    }
  }

  @Override
  protected Integer buildResult() {
    return status;
  }

  @Override
  public void releaseResources() {}

  synchronized byte[] bytes() {
    return bytes.toByteArray();
  }

  synchronized String sha256() throws Exception {
    return java.util.HexFormat.of().formatHex(((MessageDigest) digest.clone()).digest());
  }

  long length() {
    return length;
  }
}
