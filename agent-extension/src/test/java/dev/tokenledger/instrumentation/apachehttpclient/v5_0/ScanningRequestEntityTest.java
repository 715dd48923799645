package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.CallProbe;
import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.agent.TestInputStream;
import dev.tokenledger.agent.TestTelemetry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.InputStreamEntity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link ScanningRequestEntity}, the request entity the classic client writes for streamed and large
 * OpenAI requests: the application's entity is written to the connection once per write, unchanged
 * and as it is read, while the request scanner sees the same bytes (the speech row's input characters
 * and its model, which comes last, are what the scanner read).
 */
@ExtendWith(TestTelemetry.Extension.class)
class ScanningRequestEntityTest {

  static final ContentType JSON = ContentType.APPLICATION_JSON;
  static final int CHARACTERS = 100_000;
  static final byte[] BODY = CallProbe.speechRequest(CallProbe.speechInput(CHARACTERS));

  @Test
  void aStreamedEntityIsWrittenOnceUnchangedAndScanned() throws IOException {
    TestInputStream content = new TestInputStream(BODY, 1, 4096, 333);
    OpenAiCall call = CallProbe.startSpeech(false);
    ScanningRequestEntity entity =
        new ScanningRequestEntity(new InputStreamEntity(content, -1, JSON), call.scanRequestBody(JSON.toString()));
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    entity.writeTo(wire);
    assertArrayEquals(BODY, wire.toByteArray());
    assertEquals(BODY.length, content.position(), "the stream read through once");
    CallProbe.finishSpeech(call);
    assertEquals((long) CHARACTERS, CallProbe.inputCharacters());
    assertEquals(CallProbe.SPEECH_MODEL, CallProbe.requestModel());
  }

  @Test
  void aLargeEntityGoesToTheConnectionAsItIsRead() throws IOException {
    byte[] large = CallProbe.speechRequest(CallProbe.speechInput(2_000_000));
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    long[] largestLag = {0};
    TestInputStream file = new TestInputStream(large, 8192);
    InputStream content = new java.io.FilterInputStream(file) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        largestLag[0] = Math.max(largestLag[0], file.position() - wire.size());
        return super.read(b, off, len);
      }
    };
    OpenAiCall call = CallProbe.startSpeech(false);
    new ScanningRequestEntity(new InputStreamEntity(content, large.length, JSON), call.scanRequestBody(JSON.toString()))
        .writeTo(wire);
    assertTrue(largestLag[0] <= 64 * 1024, "nothing held back beyond a buffer: " + largestLag[0]);
    assertArrayEquals(large, wire.toByteArray());
    CallProbe.finishSpeech(call);
    assertEquals(2_000_000L, CallProbe.inputCharacters());
  }

  @Test
  void aSecondWriteGoesOutAgainUnscanned() throws IOException {
    OpenAiCall call = CallProbe.startSpeech(false);
    ScanningRequestEntity entity =
        new ScanningRequestEntity(new ByteArrayEntity(BODY, JSON), call.scanRequestBody(JSON.toString()));
    ByteArrayOutputStream first = new ByteArrayOutputStream();
    ByteArrayOutputStream second = new ByteArrayOutputStream();
    entity.writeTo(first);
    entity.writeTo(second);
    assertArrayEquals(BODY, first.toByteArray());
    assertArrayEquals(BODY, second.toByteArray());
    CallProbe.finishSpeech(call);
    assertEquals((long) CHARACTERS, CallProbe.inputCharacters());
  }

  @Test
  void theEntitysDescriptionIsTheApplicationsOwn() throws IOException {
    InputStreamEntity streamed = new InputStreamEntity(new TestInputStream(BODY), 77, JSON, "identity");
    ScanningRequestEntity entity = new ScanningRequestEntity(streamed, CallProbe.startSpeech(false).scanRequestBody(null));
    assertEquals(JSON.toString(), entity.getContentType());
    assertEquals(77, entity.getContentLength());
    assertEquals("identity", entity.getContentEncoding());
    assertFalse(entity.isRepeatable());
    assertTrue(entity.isStreaming());
    assertFalse(entity.isChunked());
    ScanningRequestEntity repeatable =
        new ScanningRequestEntity(new ByteArrayEntity(BODY, JSON), CallProbe.startSpeech(false).scanRequestBody(null));
    assertTrue(repeatable.isRepeatable());
    assertEquals(BODY.length, repeatable.getContentLength());
  }

  @Test
  void theApplicationsFailureReachesTheClientUnchanged() {
    IOException unreadable = new IOException("file gone");
    ScanningRequestEntity entity = new ScanningRequestEntity(
        new InputStreamEntity(new TestInputStream(BODY, 1000).failingAt(5000, unreadable), -1, JSON),
        CallProbe.startSpeech(false).scanRequestBody(JSON.toString()));
    assertSame(unreadable, assertThrows(IOException.class, () -> entity.writeTo(new ByteArrayOutputStream())));
  }

  @Test
  void theConnectionsFailureReachesTheClientUnchanged() {
    IOException brokenPipe = new java.net.SocketException("Broken pipe");
    OutputStream connection = new OutputStream() {
      int written;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        written += len;
        if (written > 10_000) {
          throw brokenPipe;
        }
      }
    };
    ScanningRequestEntity entity = new ScanningRequestEntity(new InputStreamEntity(new TestInputStream(BODY, 4096), -1, JSON),
        CallProbe.startSpeech(false).scanRequestBody(JSON.toString()));
    assertSame(brokenPipe, assertThrows(IOException.class, () -> entity.writeTo(connection)));
  }
}
