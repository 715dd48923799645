package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.BatchBody;
import dev.tokenledger.agent.CallProbe;
import dev.tokenledger.agent.Reads;
import dev.tokenledger.agent.TestInputStream;
import dev.tokenledger.agent.TestTelemetry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.AbstractHttpEntity;
import org.apache.hc.core5.http.io.entity.BasicHttpEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.HttpEntities;
import org.apache.hc.core5.http.message.BasicHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link TeeEntity}, the response entity the Apache client hands the application: its content and
 * writeTo give exactly the network's bytes, fed to the call once; the call ends complete at the end
 * of the content, truncated on close or failure; the application's streams and exceptions are the
 * client's.
 */
@ExtendWith(TestTelemetry.Extension.class)
class TeeEntityTest {

  static final ContentType OCTETS = ContentType.APPLICATION_OCTET_STREAM;
  static final BatchBody BATCH = new BatchBody(300);

  /** The client's response entity: a stream off the connection, read once. */
  static BasicHttpEntity network(TestInputStream content, long length) {
    return new BasicHttpEntity(content, length, OCTETS);
  }

  static TeeEntity batch(TestInputStream content) {
    return new TeeEntity(network(content, BATCH.bytes.length), CallProbe.batchDownload());
  }

  @Test
  void entityUtilsReadsExactlyTheBodyAndTheCallIsFedItOnce() throws Exception {
    BATCH.assertReadOnce(EntityUtils.toByteArray(batch(new TestInputStream(BATCH.bytes, 100, 8192, 3))));

    TestTelemetry.clear();
    BATCH.assertTextReadOnce(EntityUtils.toString(batch(new TestInputStream(BATCH.bytes, 1000)), StandardCharsets.UTF_8));
  }

  @Test
  void theContentReadByteByByteIsExactlyTheBody() throws IOException {
    byte[] read;
    try (InputStream in = batch(new TestInputStream(BATCH.bytes, 7)).getContent()) {
      read = Reads.byteByByte(in);
    }
    BATCH.assertReadOnce(read);
  }

  @Test
  void writeToWritesExactlyTheBodyAndEndsTheCallComplete() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    batch(new TestInputStream(BATCH.bytes, 4096, 1)).writeTo(out);
    BATCH.assertReadOnce(out.toByteArray());

    TestTelemetry.clear();
    new TeeEntity(network(new TestInputStream(new byte[9000], 4096), 9000), CallProbe.speech()).writeTo(new ByteArrayOutputStream());
    assertEquals("completed", CallProbe.endStatus());
  }

  @Test
  void readingToTheEndEndsTheCallComplete() throws IOException {
    TeeEntity entity = new TeeEntity(network(new TestInputStream(new byte[9000], 4096), 9000), CallProbe.speech());
    assertEquals(9000, EntityUtils.toByteArray(entity).length);
    assertEquals("completed", CallProbe.endStatus());
  }

  @Test
  void consumingUnreadClosesTheStreamAndEndsTheCallTruncated() throws IOException {
    TestInputStream content = new TestInputStream(new byte[9000], 4096);
    EntityUtils.consume(new TeeEntity(network(content, 9000), CallProbe.speech()));
    assertTrue(content.closed());
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void closingTheEntityClosesTheStreamAndEndsTheCallTruncated() throws IOException {
    TestInputStream content = new TestInputStream(new byte[9000], 4096);
    TeeEntity entity = new TeeEntity(network(content, 9000), CallProbe.speech());
    entity.getContent().read(new byte[100]);
    entity.close();
    assertTrue(content.closed());
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void aReadFailureReachesTheApplicationUnchanged() {
    IOException truncated = new org.apache.hc.core5.http.ConnectionClosedException("Premature end of Content-Length delimited message body");
    TestInputStream content = new TestInputStream(new byte[9000], 4096).failingAt(5000, truncated);
    TeeEntity entity = new TeeEntity(network(content, 9000), CallProbe.speech());
    assertSame(truncated, assertThrows(IOException.class, () -> EntityUtils.toByteArray(entity)));
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void aFailureInWriteToReachesTheApplicationUnchanged() {
    IOException reset = new IOException("connection reset");
    TeeEntity failingRead =
        new TeeEntity(network(new TestInputStream(new byte[9000], 4096).failingAt(5000, reset), 9000), CallProbe.speech());
    assertSame(reset, assertThrows(IOException.class, () -> failingRead.writeTo(new ByteArrayOutputStream())));
    assertEquals("truncated", CallProbe.endStatus());

    TestTelemetry.clear();
    IOException diskFull = new IOException("No space left on device");
    OutputStream full = new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        throw diskFull;
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        throw diskFull;
      }
    };
    TeeEntity entity = new TeeEntity(network(new TestInputStream(new byte[9000], 4096), 9000), CallProbe.speech());
    assertSame(diskFull, assertThrows(IOException.class, () -> entity.writeTo(full)));
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void theEntitysDescriptionIsTheClients() {
    HttpEntity wrapped = HttpEntities.create(out -> out.write(1), ContentType.TEXT_EVENT_STREAM);
    TeeEntity stream = new TeeEntity(
        new BasicHttpEntity(new TestInputStream(BATCH.bytes), 1234, OCTETS, "gzip", true), CallProbe.batchDownload());
    assertEquals(OCTETS.toString(), stream.getContentType());
    assertEquals(1234, stream.getContentLength());
    assertEquals("gzip", stream.getContentEncoding());
    assertTrue(stream.isChunked());
    assertTrue(stream.isStreaming());
    assertFalse(stream.isRepeatable());

    TeeEntity other = new TeeEntity(wrapped, CallProbe.batchDownload());
    assertEquals(wrapped.getContentType(), other.getContentType());
    assertEquals(wrapped.getContentLength(), other.getContentLength());
    assertEquals(wrapped.isRepeatable(), other.isRepeatable());
    assertEquals(wrapped.isStreaming(), other.isStreaming());
  }

  @Test
  void trailersAreTheClients() throws IOException {
    List<Header> trailers = List.of(new BasicHeader("x-trailer", "t"));
    HttpEntity withTrailers = new AbstractHttpEntity(OCTETS, null) {
      @Override
      public InputStream getContent() {
        return new TestInputStream(new byte[3]);
      }

      @Override
      public boolean isStreaming() {
        return true;
      }

      @Override
      public long getContentLength() {
        return 3;
      }

      @Override
      public boolean isRepeatable() {
        return false;
      }

      @Override
      public org.apache.hc.core5.function.Supplier<List<? extends Header>> getTrailers() {
        return () -> trailers;
      }

      @Override
      public void close() {}
    };
    assertSame(trailers, new TeeEntity(withTrailers, CallProbe.speech()).getTrailers().get());
  }

  @Test
  void noContentIsNoContent() throws IOException {
    HttpEntity empty = new AbstractHttpEntity(OCTETS, null) {
      @Override
      public InputStream getContent() {
        return null;
      }

      @Override
      public boolean isStreaming() {
        return false;
      }

      @Override
      public long getContentLength() {
        return 0;
      }

      @Override
      public boolean isRepeatable() {
        return true;
      }

      @Override
      public void close() {}
    };
    assertNull(new TeeEntity(empty, CallProbe.speech()).getContent());
    assertNull(CallProbe.endStatus());
  }
}
