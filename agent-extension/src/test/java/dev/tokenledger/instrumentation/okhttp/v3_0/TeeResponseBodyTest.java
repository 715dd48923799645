package dev.tokenledger.instrumentation.okhttp.v3_0;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.BatchBody;
import dev.tokenledger.agent.CallProbe;
import dev.tokenledger.agent.Reads;
import dev.tokenledger.agent.TestTelemetry;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import okhttp3.MediaType;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Okio;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link TeeResponseBody}, the body OkHttp hands the application for an OpenAI response: OkHttp's own
 * reading methods return exactly the network's bytes, the call is fed them once, and closing the
 * body closes the network source and ends the call.
 */
@ExtendWith(TestTelemetry.Extension.class)
class TeeResponseBodyTest {

  static final MediaType OCTETS = MediaType.get("application/octet-stream");
  static final BatchBody BATCH = new BatchBody(300);

  static ResponseBody network(TestSource source, long length) {
    return ResponseBody.create(Okio.buffer(source), OCTETS, length);
  }

  static TeeResponseBody batchBody(TestSource source) {
    return new TeeResponseBody(network(source, BATCH.bytes.length), CallProbe.batchDownload());
  }

  static TeeResponseBody batchBody() {
    return batchBody(new TestSource(BATCH.bytes, 100, 8192, 3));
  }

  @Test
  void contentTypeAndLengthAreTheNetworkBodys() {
    TeeResponseBody body = new TeeResponseBody(network(new TestSource(BATCH.bytes), 1234), CallProbe.batchDownload());
    assertEquals(OCTETS, body.contentType());
    assertEquals(1234, body.contentLength());
    ResponseBody unknown = ResponseBody.create(Okio.buffer(new TestSource(BATCH.bytes)), null, -1);
    TeeResponseBody tee = new TeeResponseBody(unknown, CallProbe.batchDownload());
    assertNull(tee.contentType());
    assertEquals(-1, tee.contentLength());
  }

  @Test
  void theSourceIsOneSourceForTheBodysLife() {
    TeeResponseBody body = batchBody();
    assertSame(body.source(), body.source());
  }

  @Test
  void stringReadsExactlyTheBodyAndFeedsTheCallOnce() throws IOException {
    BATCH.assertTextReadOnce(batchBody().string());
  }

  @Test
  void bytesReadsExactlyTheBodyAndFeedsTheCallOnce() throws IOException {
    BATCH.assertReadOnce(batchBody().bytes());
  }

  @Test
  void byteStreamReadsExactlyTheBodyAndFeedsTheCallOnce() throws IOException {
    byte[] read;
    try (InputStream in = batchBody().byteStream()) {
      read = Reads.inArrays(in, 97);
    }
    BATCH.assertReadOnce(read);
  }

  @Test
  void charStreamReadsExactlyTheBodyAndFeedsTheCallOnce() throws IOException {
    StringBuilder out = new StringBuilder();
    try (Reader reader = batchBody().charStream()) {
      char[] scratch = new char[333];
      for (int n; (n = reader.read(scratch)) != -1; ) {
        out.append(scratch, 0, n);
      }
    }
    BATCH.assertTextReadOnce(out.toString());
  }

  @Test
  void aPeekedResponseIsFedToTheCallOnce() throws IOException {
    Request request = new Request.Builder().url("https://" + CallProbe.HOST + CallProbe.BATCH_PATH).build();
    Response response =
        new Response.Builder().request(request).protocol(Protocol.HTTP_1_1).code(200).message("OK").body(batchBody()).build();
    assertEquals(BATCH.text().substring(0, 5000), response.peekBody(5000).string());
    assertTrue(CallProbe.spans().isEmpty(), "peeking does not end the call");
    BATCH.assertTextReadOnce(response.body().string());
  }

  @Test
  void readingToTheEndEndsTheCallComplete() throws IOException {
    TeeResponseBody body = new TeeResponseBody(network(new TestSource(new byte[20000], 4096), 20000), CallProbe.speech());
    assertEquals(20000, body.bytes().length);
    assertEquals("completed", CallProbe.endStatus());
  }

  @Test
  void closingUnreadClosesTheNetworkSourceAndEndsTheCallTruncated() {
    TestSource network = new TestSource(new byte[20000], 4096);
    TeeResponseBody body = new TeeResponseBody(network(network, 20000), CallProbe.speech());
    body.close();
    assertEquals(1, network.closes);
    assertEquals(0, network.position(), "nothing read ahead");
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void closingHalfReadClosesTheNetworkSourceAndEndsTheCallTruncated() throws IOException {
    TestSource network = new TestSource(new byte[20000], 4096);
    TeeResponseBody body = new TeeResponseBody(network(network, 20000), CallProbe.speech());
    body.source().readByteArray(5000);
    assertNull(CallProbe.endStatus());
    body.close();
    assertEquals(1, network.closes);
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void aNetworkFailureReachesTheApplicationUnchanged() {
    IOException reset = new IOException("unexpected end of stream");
    TestSource network = new TestSource(new byte[20000], 4096).failingAt(10000, reset);
    TeeResponseBody body = new TeeResponseBody(network(network, 20000), CallProbe.speech());
    assertSame(reset, assertThrows(IOException.class, body::bytes));
    assertEquals("truncated", CallProbe.endStatus());
    assertEquals(1, network.closes, "bytes() closes the body, as OkHttp's own does");
  }
}
