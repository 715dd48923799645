package dev.tokenledger.instrumentation.okhttp.v3_0;

import static dev.tokenledger.instrumentation.okhttp.v3_0.AppBody.JSON;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.CallProbe;
import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.agent.TestTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import java.io.IOException;
import java.io.OutputStream;
import java.util.stream.Stream;
import okhttp3.MediaType;
import okhttp3.MultipartBody;
import okhttp3.RequestBody;
import okio.Buffer;
import okio.BufferedSink;
import okio.Okio;
import okio.Sink;
import okio.Timeout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link TeeRequestBody}, the request body OkHttp writes for every OpenAI request: the application's
 * body is written to the network exactly once per write, unchanged and without being held whole,
 * while the request scanner sees the same bytes (the speech row's input characters and model, which
 * comes last, are what the scanner read); when OkHttp writes it again, the last write counts.
 */
@ExtendWith(TestTelemetry.Extension.class)
class TeeRequestBodyTest {

  static final int CHARACTERS = 200_000;
  static final String INPUT = CallProbe.speechInput(CHARACTERS);
  static final byte[] BODY = CallProbe.speechRequest(INPUT);

  /** The network under OkHttp's buffered sink: what arrived, in how big writes, and failures. */
  static final class Wire implements Sink {
    final Buffer received = new Buffer();
    long largestWrite;
    IOException failure;
    long failAfter = Long.MAX_VALUE;

    @Override
    public void write(Buffer source, long byteCount) throws IOException {
      if (failure != null && received.size() + byteCount > failAfter) {
        throw failure;
      }
      largestWrite = Math.max(largestWrite, byteCount);
      received.write(source, byteCount);
    }

    @Override
    public void flush() {}

    @Override
    public Timeout timeout() {
      return Timeout.NONE;
    }

    @Override
    public void close() {}
  }

  static AppBody body(AppBody.Writer writer) {
    return AppBody.writing(BODY, writer);
  }

  static Stream<Arguments> bodies() {
    return Stream.of(
        Arguments.of("RequestBody.create(byte[])", (java.util.function.Supplier<RequestBody>) () -> RequestBody.create(BODY, JSON)),
        Arguments.of("one-shot, from an InputStream", (java.util.function.Supplier<RequestBody>) () -> new AppBody.OneShot(BODY)),
        Arguments.of("in pieces of 8 KiB, flushing now and then", (java.util.function.Supplier<RequestBody>) () -> body((bytes, sink) -> {
          for (int i = 0, n = 0; i < bytes.length; i += 8192, n++) {
            sink.write(bytes, i, Math.min(8192, bytes.length - i));
            if (n % 7 == 0) {
              sink.flush();
            }
          }
        })),
        Arguments.of("byte by byte", (java.util.function.Supplier<RequestBody>) () -> body((bytes, sink) -> {
          for (byte b : bytes) {
            sink.writeByte(b);
          }
        })),
        Arguments.of("through outputStream()", (java.util.function.Supplier<RequestBody>) () -> body((bytes, sink) -> {
          OutputStream out = sink.outputStream();
          for (int i = 0; i < bytes.length; i += 1000) {
            out.write(bytes, i, Math.min(1000, bytes.length - i));
          }
        })),
        Arguments.of("into the sink's own buffer", (java.util.function.Supplier<RequestBody>) () -> body((bytes, sink) -> {
          for (int i = 0; i < bytes.length; i += 5000) {
            sink.getBuffer().write(bytes, i, Math.min(5000, bytes.length - i));
            sink.emitCompleteSegments();
          }
        })));
  }

  /** Writes the body as OkHttp does: into a buffered sink over the network, closed afterwards. */
  static void send(RequestBody body, Wire wire) throws IOException {
    BufferedSink network = Okio.buffer(wire);
    body.writeTo(network);
    network.close();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bodies")
  void theBodyReachesTheNetworkOnceUnchangedAndTheScannerSeesIt(String name, java.util.function.Supplier<RequestBody> app)
      throws IOException {
    RequestBody appBody = app.get();
    OpenAiCall call = CallProbe.startSpeech(false);
    Wire wire = new Wire();
    send(new TeeRequestBody(appBody, call, "application/json"), wire);
    assertArrayEquals(BODY, wire.received.readByteArray(), "the network's bytes");
    if (appBody instanceof AppBody) {
      assertEquals(1, ((AppBody) appBody).writes, "the application's body written once");
    }
    CallProbe.finishSpeech(call);
    assertEquals((long) CHARACTERS, CallProbe.inputCharacters(), "the scanner read the whole input once");
    assertEquals(CallProbe.SPEECH_MODEL, CallProbe.requestModel(), "and the model after it");
  }

  @Test
  void aLargeBodyStreamsToTheNetworkAsItIsWritten() throws IOException {
    String input = CallProbe.speechInput(3_000_000);
    byte[] large = CallProbe.speechRequest(input);
    Wire wire = new Wire();
    long[] largestLag = {0};
    AppBody body = new AppBody(large, -1) {
      @Override
      void write(BufferedSink sink) throws IOException {
        for (int i = 0; i < bytes.length; i += 8192) {
          sink.write(bytes, i, Math.min(8192, bytes.length - i));
          largestLag[0] = Math.max(largestLag[0], Math.min(i + 8192, bytes.length) - wire.received.size());
        }
      }
    };
    OpenAiCall call = CallProbe.startSpeech(false);
    send(new TeeRequestBody(body, call, "application/json"), wire);
    assertTrue(largestLag[0] <= 64 * 1024, "at most a few segments held back: " + largestLag[0]);
    assertTrue(wire.largestWrite <= 64 * 1024, "no write of the whole body: " + wire.largestWrite);
    assertEquals(large.length, wire.received.size());
    assertArrayEquals(large, wire.received.readByteArray());
    CallProbe.finishSpeech(call);
    assertEquals(3_000_000L, CallProbe.inputCharacters());
    assertEquals(CallProbe.SPEECH_MODEL, CallProbe.requestModel());
  }

  @Test
  void aMultipartUploadIsScannedAsItIsWrittenItsFileOnce() throws IOException {
    byte[] audio = new byte[3_000_000];
    AppBody.OneShot file = new AppBody.OneShot(audio);
    MultipartBody form = new MultipartBody.Builder()
        .setType(MultipartBody.FORM)
        .addFormDataPart("file", "speech.wav", file)
        .addFormDataPart("model", "gpt-4o-transcribe")
        .addFormDataPart("stream", "true")
        .build();
    String contentType = form.contentType().toString();
    OpenAiCall call = TestTelemetry.INSTRUMENTER.startCall("POST", CallProbe.HOST, 443, "/v1/audio/transcriptions", null,
        CallProbe.headers("Authorization", CallProbe.API_KEY), null, 0, contentType);
    Wire wire = new Wire();
    send(new TeeRequestBody(form, call, contentType), wire);
    assertEquals(1, file.writes, "the upload is written by the network only");
    Buffer expected = new Buffer();
    new MultipartBody.Builder(form.boundary()).setType(MultipartBody.FORM)
        .addFormDataPart("file", "speech.wav", new AppBody(audio, -1))
        .addFormDataPart("model", "gpt-4o-transcribe")
        .addFormDataPart("stream", "true")
        .build().writeTo(expected);
    assertArrayEquals(expected.readByteArray(), wire.received.readByteArray());
    call.onResponse(200, CallProbe.headers("Content-Type", "text/event-stream"));
    call.end(true);
    assertEquals("gpt-4o-transcribe", CallProbe.requestModel(), "named after the upload");
    assertEquals(true, CallProbe.span().getAttributes().get(AttributeKey.booleanKey("gen_ai.request.stream")));
  }

  @Test
  void theBodysDescriptionIsTheApplicationsOwn() throws IOException {
    AppBody.OneShot oneShot = new AppBody.OneShot(BODY);
    TeeRequestBody tee = new TeeRequestBody(oneShot, CallProbe.startSpeech(false), "application/json");
    assertSame(JSON, tee.contentType());
    assertEquals(-1, tee.contentLength());
    assertTrue(tee.isOneShot());
    assertFalse(tee.isDuplex());

    RequestBody known = RequestBody.create(BODY, null);
    TeeRequestBody knownTee = new TeeRequestBody(known, CallProbe.startSpeech(false), null);
    assertNull(knownTee.contentType());
    assertEquals(BODY.length, knownTee.contentLength());
    assertFalse(knownTee.isOneShot());

    RequestBody duplex = new RequestBody() {
      @Override
      public MediaType contentType() {
        return JSON;
      }

      @Override
      public boolean isDuplex() {
        return true;
      }

      @Override
      public void writeTo(BufferedSink sink) {}
    };
    assertTrue(new TeeRequestBody(duplex, CallProbe.startSpeech(false), null).isDuplex());
  }

  @Test
  void aRetryWritesTheBodyAgainAndItIsScannedAgain() throws IOException {
    AppBody body = body((bytes, sink) -> sink.write(bytes));
    OpenAiCall call = CallProbe.startSpeech(false);
    TeeRequestBody tee = new TeeRequestBody(body, call, "application/json");
    Wire first = new Wire();
    Wire second = new Wire();
    send(tee, first);
    send(tee, second);
    assertEquals(2, body.writes);
    assertArrayEquals(BODY, first.received.readByteArray());
    assertArrayEquals(BODY, second.received.readByteArray());
    CallProbe.finishSpeech(call);
    assertEquals((long) CHARACTERS, CallProbe.inputCharacters(), "counted once, from the last write");
  }

  @Test
  void aRetryAfterAFailedFirstAttemptIsWhatTheScannerReports() throws IOException {
    AppBody body = body((bytes, sink) -> sink.write(bytes));
    OpenAiCall call = CallProbe.startSpeech(false);
    TeeRequestBody tee = new TeeRequestBody(body, call, "application/json");
    Wire broken = new Wire();
    broken.failure = new IOException("connection reset");
    broken.failAfter = BODY.length / 2;
    IOException thrown = assertThrows(IOException.class, () -> send(tee, broken));
    assertSame(broken.failure, thrown);
    Wire retry = new Wire();
    send(tee, retry);
    assertArrayEquals(BODY, retry.received.readByteArray());
    CallProbe.finishSpeech(call);
    assertEquals(CallProbe.SPEECH_MODEL, CallProbe.requestModel(), "the model, named after the cut, is the retry's");
    assertEquals((long) CHARACTERS, CallProbe.inputCharacters());
  }

  @Test
  void theApplicationBodysFailureReachesOkHttpUnchanged() {
    IOException unreadable = new IOException("file gone");
    AppBody failing = body((bytes, sink) -> {
      sink.write(bytes, 0, 100);
      throw unreadable;
    });
    assertSame(unreadable, assertThrows(IOException.class, () -> send(
        new TeeRequestBody(failing, CallProbe.startSpeech(false), "application/json"), new Wire())));

    IllegalStateException state = new IllegalStateException("stream closed");
    AppBody failingRuntime = body((bytes, sink) -> {
      throw state;
    });
    assertSame(state, assertThrows(IllegalStateException.class, () -> send(
        new TeeRequestBody(failingRuntime, CallProbe.startSpeech(false), "application/json"), new Wire())));
  }

  @Test
  void theNetworksFailureReachesTheApplicationBodyUnchanged() {
    Wire wire = new Wire();
    wire.failure = new IOException("broken pipe");
    wire.failAfter = 50_000;
    AppBody body = body((bytes, sink) -> {
      for (int i = 0; i < bytes.length; i += 8192) {
        sink.write(bytes, i, Math.min(8192, bytes.length - i));
      }
    });
    assertSame(wire.failure, assertThrows(IOException.class,
        () -> send(new TeeRequestBody(body, CallProbe.startSpeech(false), "application/json"), wire)));
    assertTrue(wire.received.size() <= 50_000);
  }
}
