package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import static dev.tokenledger.agent.SimulatorLedger.API_KEY;
import static dev.tokenledger.agent.SimulatorLedger.assertLedgerMatches;
import static dev.tokenledger.agent.SimulatorLedger.assertSameBytes;
import static dev.tokenledger.agent.SimulatorLedger.chat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.CallProbe;
import dev.tokenledger.agent.SimulatorLedger;
import dev.tokenledger.agent.TestTelemetry;
import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.simulator.OpenAiSimulator;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.async.methods.SimpleRequestProducer;
import org.apache.hc.client5.http.async.methods.SimpleResponseConsumer;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.impl.BasicEntityDetails;
import org.apache.hc.core5.http.message.BasicHttpResponse;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.nio.AsyncRequestProducer;
import org.apache.hc.core5.http.nio.DataStreamChannel;
import org.apache.hc.core5.http.nio.RequestChannel;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link AsyncHttpClientCalls} and the producer, consumer and callback it puts in the application's
 * place, run by the real async client against the OpenAI simulator as the agent runs them (see
 * {@link AdvisedAsyncClient}). The ledger must equal the simulator's ground truth, the application
 * must receive exactly the bytes sent, and nothing of ours may reach it: by the future or by the
 * callback, for JSON, event streams and gzip, and for every broken response the simulator can send.
 */
@ExtendWith(TestTelemetry.Extension.class)
class AsyncHttpClientCallsTest {

  static OpenAiSimulator simulator;
  static AdvisedAsyncClient client;
  static CloseableHttpAsyncClient unadvised;

  @BeforeAll
  static void start() {
    simulator = OpenAiSimulator.start(0);
    // Retries of a 429 and redirects happen inside the client; one try keeps the ground truth 1:1.
    client = AdvisedAsyncClient.create(b -> b.disableAutomaticRetries());
    unadvised = AdvisedAsyncClient.unadvised(b -> b.disableAutomaticRetries());
  }

  @AfterAll
  static void stop() throws IOException {
    client.close();
    unadvised.close();
    simulator.close();
  }

  @BeforeEach
  void reset() {
    simulator.reset();
  }

  static SimpleHttpRequest chatRequest(String model, boolean stream, String... headers) {
    SimpleRequestBuilder builder = SimpleRequestBuilder.post(SimulatorLedger.chatUrl(simulator.port()))
        .setHeader("Authorization", API_KEY)
        .setBody(chat(model, stream), ContentType.APPLICATION_JSON);
    for (int i = 0; i < headers.length; i += 2) {
      builder.setHeader(headers[i], headers[i + 1]);
    }
    return builder.build();
  }

  /** The callback path: the application's callback hears of the end; the bytes are its consumer's. */
  static BodyConsumer stream(CloseableHttpAsyncClient through, AsyncRequestProducer producer) throws Exception {
    BodyConsumer consumer = new BodyConsumer(true);
    CompletableFuture<Integer> done = new CompletableFuture<>();
    through.execute(producer, consumer, callback(done));
    try {
      done.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException expected) {
      // the client's own failure, for the broken responses
    }
    return consumer;
  }

  static <T> FutureCallback<T> callback(CompletableFuture<T> done) {
    return new FutureCallback<T>() {
      @Override
      public void completed(T result) {
        done.complete(result);
      }

      @Override
      public void failed(Exception ex) {
        done.completeExceptionally(ex);
      }

      @Override
      public void cancelled() {
        done.cancel(false);
      }
    };
  }

  @Test
  void aSimpleRequestThroughTheFutureIsRecordedExactly() throws Exception {
    SimpleHttpResponse response = client.execute(chatRequest("gpt-4o-mini", false), null).get(30, TimeUnit.SECONDS);
    assertEquals(200, response.getCode());
    List<GroundTruth> truth = simulator.groundTruth();
    assertSameBytes(truth, response.getBodyBytes());
    assertLedgerMatches(truth);
    SpanData span = CallProbe.span();
    assertEquals("gpt-4o-mini", CallProbe.requestModel(), "read from the request body as the client wrote it");
    assertEquals("chat gpt-4o-mini", span.getName());
    assertEquals(span.getSpanContext(), client.currentDuringExecute, "the client ran in the call's context");
  }

  @Test
  void anEventStreamThroughTheCallbackIsRecordedExactly() throws Exception {
    BodyConsumer consumer = stream(client, SimpleRequestProducer.create(chatRequest("gpt-4o-mini", true)));
    List<GroundTruth> truth = simulator.groundTruth();
    assertTrue(truth.get(0).streamed());
    assertSameBytes(truth, consumer.bytes());
    assertLedgerMatches(truth);
    assertEquals(Boolean.TRUE, CallProbe.span().getAttributes().get(AttributeKey.booleanKey("gen_ai.request.stream")));
  }

  @Test
  void gzipIsReadWhetherTheClientDecodesItOrNot() throws Exception {
    String[] gzip = {"Accept-Encoding", "gzip", "X-Sim-Gzip", "1"};
    SimpleHttpResponse decoded = client.execute(chatRequest("gpt-4o-mini", false, gzip), null).get(30, TimeUnit.SECONDS);
    List<GroundTruth> truth = simulator.groundTruth();
    assertSameBytes(truth, decoded.getBodyBytes());
    assertLedgerMatches(truth);

    TestTelemetry.clear();
    simulator.reset();
    try (AdvisedAsyncClient raw = AdvisedAsyncClient.create(b -> b.disableAutomaticRetries().disableContentCompression())) {
      BodyConsumer consumer = stream(raw, SimpleRequestProducer.create(chatRequest("gpt-4o-mini", true, gzip)));
      truth = simulator.groundTruth();
      assertSameBytes(truth, SimulatorLedger.gunzip(consumer.bytes()));
      assertLedgerMatches(truth);
    }
  }

  @Test
  void anErrorIsCountedWithoutARow() throws Exception {
    SimpleHttpResponse response = client.execute(chatRequest("sim-error-500", false), null).get(30, TimeUnit.SECONDS);
    assertEquals(500, response.getCode());
    assertSameBytes(simulator.groundTruth(), response.getBodyBytes());
    SimulatorLedger.awaitSpans(1);
    assertTrue(CallProbe.rows().isEmpty());
    assertEquals(Map.of("error/none", 1L), CallProbe.requests());
    assertEquals("500", CallProbe.errorType());
  }

  @ParameterizedTest
  @ValueSource(strings = {"sim-malformed", "sim-truncated", "sim-cut-stream", "sim-binary"})
  void aBrokenResponseIsAMissingRowAndReachesTheApplicationUnchanged(String model) throws Exception {
    boolean streamed = model.equals("sim-cut-stream");
    byte[] withoutUs = stream(unadvised, SimpleRequestProducer.create(chatRequest(model, streamed))).bytes();
    assertTrue(CallProbe.spans().isEmpty());
    simulator.reset();
    byte[] received = stream(client, SimpleRequestProducer.create(chatRequest(model, streamed))).bytes();
    List<GroundTruth> truth = simulator.groundTruth();
    if (streamed) {
      // Whether the client hands over the chunks of a stream cut short before it sees the cut is a
      // race inside the client, tracked or not: what it does hand over is the start of what was sent.
      assertTrue(received.length <= truth.get(0).bodyLength());
      if (received.length == truth.get(0).bodyLength()) {
        assertSameBytes(truth, received);
      }
    } else {
      // Ids differ from one response to the next; the amount the client hands over does not.
      assertEquals(withoutUs.length, received.length, "what the client hands the application, tracked or not");
      assertSameBytes(truth, received);
    }
    assertEquals("missing", truth.get(0).usageSource());
    assertLedgerMatches(truth);
  }

  @Test
  void aTruncatedResponseFailsTheFutureWithTheClientsOwnException() throws Exception {
    Future<SimpleHttpResponse> future = client.execute(chatRequest("sim-truncated", false), null);
    ExecutionException failed = assertThrows(ExecutionException.class, () -> future.get(30, TimeUnit.SECONDS));
    assertFalse(failed.getCause().getClass().getName().startsWith("dev.tokenledger"), failed.toString());
    assertLedgerMatches(simulator.groundTruth());
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void fiftyMegabytesAreReadToTheirUsageAtTheEnd() throws Exception {
    BodyConsumer consumer = new BodyConsumer(false);
    CompletableFuture<Integer> done = new CompletableFuture<>();
    client.execute(SimpleRequestProducer.create(chatRequest("sim-huge", false)), consumer, callback(done));
    assertEquals(200, done.get(60, TimeUnit.SECONDS));
    List<GroundTruth> truth = simulator.groundTruth();
    assertTrue(consumer.length() > 50_000_000L, "length " + consumer.length());
    assertEquals(truth.get(0).bodyLength(), consumer.length());
    assertEquals(truth.get(0).bodySha256(), consumer.sha256());
    assertLedgerMatches(truth);
  }

  @Test
  void cancellingMidStreamEndsTheCallTruncated() throws Exception {
    BodyConsumer consumer = new BodyConsumer(true);
    Future<Integer> future =
        client.execute(SimpleRequestProducer.create(chatRequest("sim-slow-stream", true)), consumer, null);
    assertTrue(consumer.firstBytes.await(10, TimeUnit.SECONDS));
    assertTrue(future.cancel(true));
    assertThrows(CancellationException.class, future::get);
    SimulatorLedger.awaitRows(1);
    assertEquals("truncated", CallProbe.endStatus());
    assertEquals("missing", CallProbe.rows().get(0).getAttributes().get(AttributeKey.stringKey("tokenledger.usage.source")));
  }

  @Test
  void aProducerOfItsOwnKindStartsTheCallWhenTheClientSendsIt() throws Exception {
    AsyncRequestProducer library = SimpleRequestProducer.create(chatRequest("gpt-4o-mini", true));
    AsyncRequestProducer own = new DelegatingProducer(library);
    BodyConsumer consumer = stream(client, own);
    assertFalse(client.currentDuringExecute.isValid(), "no call known before the client asks for the request");
    List<GroundTruth> truth = simulator.groundTruth();
    assertSameBytes(truth, consumer.bytes());
    assertLedgerMatches(truth);
    assertEquals("gpt-4o-mini", CallProbe.requestModel());
  }

  @Test
  void aProducerSendingItsHeadFromAnotherThreadStartsTheCallInTheApplicationsContext() throws Exception {
    AsyncRequestProducer library = SimpleRequestProducer.create(chatRequest("gpt-4o-mini", false));
    // Hands its head to the client from a thread of its own, where the application's context is not current.
    AsyncRequestProducer own = new DelegatingProducer(library) {
      @Override
      public void sendRequest(RequestChannel channel, HttpContext context) throws HttpException, IOException {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        Thread sender = new Thread(() -> {
          try {
            library.sendRequest(channel, context);
            sent.complete(null);
          } catch (Throwable t) {
            sent.completeExceptionally(t);
          }
        });
        sender.start();
        sent.join();
      }
    };
    Span application = Span.wrap(SpanContext.create(
        "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", TraceFlags.getSampled(), TraceState.getDefault()));
    Context executedIn =
        Context.root().with(application).with(Baggage.builder().put("tokenledger.use_case", "support-bot").build());
    BodyConsumer consumer;
    try (Scope ignored = executedIn.makeCurrent()) {
      consumer = stream(client, own);
    }
    List<GroundTruth> truth = simulator.groundTruth();
    assertSameBytes(truth, consumer.bytes());
    assertLedgerMatches(truth);
    SpanData call = CallProbe.span();
    assertEquals(application.getSpanContext(), call.getParentSpanContext(), "the call is in the application's trace");
    assertEquals("support-bot", CallProbe.rows().get(0).getAttributes().get(AttributeKey.stringKey("tokenledger.use_case")));
  }

  /** The application's producer of a kind of its own, passing everything to the library's. */
  static class DelegatingProducer implements AsyncRequestProducer {
    final AsyncRequestProducer library;

    DelegatingProducer(AsyncRequestProducer library) {
      this.library = library;
    }

    @Override
    public void sendRequest(RequestChannel channel, HttpContext context) throws HttpException, IOException {
      library.sendRequest(channel, context);
    }

    @Override
    public boolean isRepeatable() {
      return library.isRepeatable();
    }

    @Override
    public void failed(Exception cause) {
      library.failed(cause);
    }

    @Override
    public int available() {
      return library.available();
    }

    @Override
    public void produce(DataStreamChannel channel) throws IOException {
      library.produce(channel);
    }

    @Override
    public void releaseResources() {
      library.releaseResources();
    }
  }

  @Test
  void requestsToOtherHostsAreLeftAlone() throws Exception {
    SimpleHttpRequest other = SimpleRequestBuilder.post(simulator.baseUrl() + "/chat/completions")
        .setHeader("Authorization", API_KEY)
        .setBody(chat("gpt-4o-mini", false), ContentType.APPLICATION_JSON)
        .build();
    SimpleHttpResponse response = client.execute(other, null).get(30, TimeUnit.SECONDS);
    assertSameBytes(simulator.groundTruth(), response.getBodyBytes());
    Object[] state = client.lastState;
    assertInstanceOf(SimpleRequestProducer.class, state[0], "the application's own producer");
    assertInstanceOf(SimpleResponseConsumer.class, state[1], "the application's own consumer");
    assertNull(state[2], "no callback where the application gave none");
    assertTrue(CallProbe.spans().isEmpty());
    assertTrue(CallProbe.rows().isEmpty());
  }

  @Test
  void aClientThatIsNotRunningFailsTheCall() throws Exception {
    AdvisedAsyncClient stopped = AdvisedAsyncClient.create(b -> {});
    stopped.close();
    Future<SimpleHttpResponse> future = stopped.execute(chatRequest("gpt-4o-mini", false), null);
    assertThrows(Exception.class, () -> future.get(10, TimeUnit.SECONDS));
    SimulatorLedger.awaitSpans(1);
    assertTrue(CallProbe.rows().isEmpty());
    assertEquals(Map.of("error/none", 1L), CallProbe.requests());
  }

  @Test
  void theCallIsRecordedBeforeTheApplicationHearsTheBodyEnded() throws Exception {
    // The application's consumer completes the future the application waits on; an application that
    // then exits must not lose what is still being recorded on the client's I/O thread.
    ApplicationConsumer consumer = new ApplicationConsumer();
    CompletableFuture<Integer> done = new CompletableFuture<>();
    client.execute(SimpleRequestProducer.create(chatRequest("gpt-4o-mini", true)), consumer, callback(done));
    assertEquals(200, done.get(30, TimeUnit.SECONDS));
    assertEquals("streamEnd: 1 row, 1 span", consumer.recordedAtEnd);

    TestTelemetry.clear();
    simulator.reset();
    SimpleHttpResponse response = client.execute(chatRequest("gpt-4o-mini", false), null).get(30, TimeUnit.SECONDS);
    assertEquals(200, response.getCode());
    assertEquals(1, CallProbe.rows().size(), "the row is there when the future returns");
    assertEquals(1, CallProbe.spans().size(), "the span is there when the future returns");
  }

  @Test
  void aBrokenOffBodyIsRecordedBeforeTheApplicationHearsOfTheFailure() throws Exception {
    ApplicationConsumer consumer = new ApplicationConsumer();
    CompletableFuture<Integer> done = new CompletableFuture<>();
    client.execute(SimpleRequestProducer.create(chatRequest("sim-truncated", false)), consumer, callback(done));
    assertThrows(ExecutionException.class, () -> done.get(30, TimeUnit.SECONDS));
    assertEquals("failed: 1 row, 1 span", consumer.recordedAtEnd);
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void theApplicationsConsumerGetsTheBufferUntouched() throws Exception {
    AsyncExchange exchange = new AsyncExchange(CallProbe.startSpeech(true), null, false);
    ApplicationConsumer app = new ApplicationConsumer();
    TeeResponseConsumer<Integer> tee = new TeeResponseConsumer<>(app, exchange);
    BasicHttpResponse head = new BasicHttpResponse(200);
    head.setHeader("Content-Type", "audio/mpeg");
    CompletableFuture<Integer> done = new CompletableFuture<>();
    tee.consumeResponse(head, new BasicEntityDetails(9, ContentType.create("audio/mpeg")), null, callback(done));
    ByteBuffer direct = ByteBuffer.allocateDirect(16);
    direct.put(new byte[] {9, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9});
    direct.flip().position(2).limit(11);
    tee.consume(direct);
    assertEquals(List.of(2, 11), app.seen, "the application's consumer saw the buffer as the client handed it");
    assertNull(CallProbe.endStatus());
    tee.streamEnd(null);
    assertEquals(200, done.get(1, TimeUnit.SECONDS));
    assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, app.body.bytes());
    assertEquals("completed", CallProbe.endStatus());
    assertEquals("streamEnd: 1 row, 1 span", app.recordedAtEnd);
  }

  /**
   * An application's consumer ({@link BodyConsumer} behind it) that notes where each buffer it is
   * handed starts and stops, and what had been recorded when it heard of the end.
   */
  static final class ApplicationConsumer implements AsyncResponseConsumer<Integer> {
    final BodyConsumer body = new BodyConsumer(true);
    final List<Integer> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    volatile String recordedAtEnd;

    private void noteEnd(String how) {
      if (recordedAtEnd == null) {
        recordedAtEnd = how + ": " + CallProbe.rows().size() + " row, " + CallProbe.spans().size() + " span";
      }
    }

    @Override
    public void consumeResponse(HttpResponse response, EntityDetails entityDetails, HttpContext context,
        FutureCallback<Integer> resultCallback) throws HttpException, IOException {
      body.consumeResponse(response, entityDetails, context, resultCallback);
    }

    @Override
    public void informationResponse(HttpResponse response, HttpContext context) {}

    @Override
    public void failed(Exception cause) {
      noteEnd("failed");
      body.failed(cause);
    }

    @Override
    public void updateCapacity(CapacityChannel capacityChannel) throws IOException {
      body.updateCapacity(capacityChannel);
    }

    @Override
    public void consume(ByteBuffer src) throws IOException {
      seen.add(src.position());
      seen.add(src.limit());
      body.consume(src);
    }

    @Override
    public void streamEnd(List<? extends Header> trailers) throws HttpException, IOException {
      noteEnd("streamEnd");
      body.streamEnd(trailers);
    }

    @Override
    public void releaseResources() {
      body.releaseResources();
    }
  }
}
