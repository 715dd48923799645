package dev.tokenledger.instrumentation.javahttpclient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.BatchBody;
import dev.tokenledger.agent.CallProbe;
import dev.tokenledger.agent.Reads;
import dev.tokenledger.agent.TestTelemetry;
import dev.tokenledger.instrumentation.javahttpclient.Flows.Shape;
import dev.tokenledger.instrumentation.javahttpclient.Flows.Upstream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link TeeBodySubscriber} between the JDK client and the application's body subscriber: the JDK's
 * own subscribers (ofByteArray, ofString, ofInputStream, ofLines) receive exactly the buffers they
 * would have, positions and limits untouched; demand and cancellation are the application's; the
 * call is fed each buffer once and ends complete on completion, truncated on error or cancel; the
 * application's exceptions are its own.
 */
@ExtendWith(TestTelemetry.Extension.class)
class TeeBodySubscriberTest {

  static final BatchBody BATCH = new BatchBody(300);

  static <T> TeeBodySubscriber<T> tee(BodySubscriber<T> app) {
    return new TeeBodySubscriber<>(app, CallProbe.batchDownload());
  }

  static <T> T value(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** The application's subscriber: keeps its subscriptions and the items it is given; its body never completes. */
  static class AppSubscriber implements BodySubscriber<Void> {
    final List<Flow.Subscription> subscriptions = new ArrayList<>();
    final List<List<ByteBuffer>> items = new ArrayList<>();

    @Override
    public CompletionStage<Void> getBody() {
      return new CompletableFuture<>();
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      subscriptions.add(subscription);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
      items.add(item);
    }

    @Override
    public void onError(Throwable throwable) {}

    @Override
    public void onComplete() {}
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void ofByteArrayGetsExactlyTheBodyAndTheCallIsFedItOnce(Shape shape) throws Exception {
    for (int perList : new int[] {1, 3}) {
      BatchBody.forEachChunkPattern(sizes -> {
        TeeBodySubscriber<byte[]> tee = tee(BodySubscribers.ofByteArray());
        new Upstream(Flows.items(BATCH.bytes, shape, sizes, perList), true).subscribe(tee);
        BATCH.assertReadOnce(shape + " " + perList + " per list: ", value(tee.getBody()));
      });
    }
  }

  @Test
  void theCallIsRecordedBeforeTheApplicationHearsTheBodyEnded() throws Exception {
    List<Integer> rowsWhenComplete = new ArrayList<>();
    AppSubscriber app = new AppSubscriber() {
      @Override
      public void onComplete() {
        // An application may exit as soon as it hears this: the record must already be written.
        rowsWhenComplete.add(CallProbe.rows().size());
      }
    };
    TeeBodySubscriber<Void> tee = tee(app);
    new Upstream(Flows.items(BATCH.bytes, Shape.HEAP, new int[] {4096}, 1), true).subscribe(tee);
    for (int i = 0; i < 500 && rowsWhenComplete.isEmpty(); i++) {
      if (!app.subscriptions.isEmpty()) {
        app.subscriptions.get(0).request(Long.MAX_VALUE);
      }
      Thread.sleep(10);
    }
    assertEquals(1, rowsWhenComplete.size(), "the application heard the end once");
    assertTrue(rowsWhenComplete.get(0) > 0, "rows written when the application heard the end");
  }

  @Test
  void ofStringGetsExactlyTheBody() throws Exception {
    TeeBodySubscriber<String> tee = tee(BodySubscribers.ofString(StandardCharsets.UTF_8));
    new Upstream(Flows.items(BATCH.bytes, Shape.READ_ONLY, new int[] {4096, 3}, 2), true).subscribe(tee);
    BATCH.assertTextReadOnce(value(tee.getBody()));
  }

  @Test
  void ofLinesGetsExactlyTheLines() throws Exception {
    TeeBodySubscriber<Stream<String>> tee = tee(BodySubscribers.ofLines(StandardCharsets.UTF_8));
    new Upstream(Flows.items(BATCH.bytes, Shape.DIRECT, new int[] {333}, 1), true).subscribe(tee);
    BATCH.assertTextReadOnce(value(tee.getBody()).collect(Collectors.joining("\n", "", "\n")));
  }

  @Test
  void ofInputStreamReadsExactlyTheBodyAndEndsTheCallComplete() throws Exception {
    TeeBodySubscriber<InputStream> tee = tee(BodySubscribers.ofInputStream());
    Upstream upstream = new Upstream(Flows.items(BATCH.bytes, Shape.HEAP, new int[] {1000, 17}, 1), true);
    upstream.subscribe(tee);
    byte[] read;
    try (InputStream in = value(tee.getBody())) {
      read = Reads.transferred(in);
    }
    BATCH.assertReadOnce(read);
    assertFalse(upstream.cancelled(), "a body read to its end is not cancelled");
  }

  @Test
  void positionsAndLimitsAreLeftForTheApplication() {
    List<String> seen = new ArrayList<>();
    AppSubscriber recorder = new AppSubscriber() {
      @Override
      public void onSubscribe(Flow.Subscription subscription) {
        subscription.request(Long.MAX_VALUE);
      }

      @Override
      public void onNext(List<ByteBuffer> item) {
        for (ByteBuffer b : item) {
          seen.add(b.position() + "/" + b.limit());
        }
      }
    };
    for (Shape shape : Shape.values()) {
      seen.clear();
      List<List<ByteBuffer>> items = Flows.items(BATCH.bytes, shape, new int[] {5000, 10}, 2);
      List<String> before = new ArrayList<>();
      items.forEach(list -> list.forEach(b -> before.add(b.position() + "/" + b.limit())));
      new Upstream(items, true).subscribe(new TeeBodySubscriber<>(recorder, CallProbe.batchDownload()));
      assertEquals(before, seen, shape.toString());
    }
  }

  @Test
  void demandIsTheApplicationsAlone() {
    AppSubscriber app = new AppSubscriber();
    List<List<ByteBuffer>> items = Flows.items(BATCH.bytes, Shape.HEAP, new int[] {1000}, 1);
    Upstream upstream = new Upstream(items, true);
    upstream.subscribe(new TeeBodySubscriber<>(app, CallProbe.batchDownload()));
    assertEquals(List.of(), upstream.requests, "nothing asked for before the application asks");
    assertTrue(app.items.isEmpty());
    app.subscriptions.get(0).request(3);
    app.subscriptions.get(0).request(2);
    assertEquals(List.of(3L, 2L), upstream.requests);
    assertEquals(5, app.items.size());
    for (int i = 0; i < 5; i++) {
      assertSame(items.get(i), app.items.get(i), "the very lists the client delivered");
    }
  }

  @Test
  void completionEndsTheCallCompleteAndTheBodyIsTheApplications() throws Exception {
    BodySubscriber<byte[]> app = BodySubscribers.ofByteArray();
    TeeBodySubscriber<byte[]> tee = new TeeBodySubscriber<>(app, CallProbe.speech());
    assertSame(app.getBody(), tee.getBody());
    Upstream upstream = new Upstream(Flows.items(new byte[10000], Shape.HEAP, new int[] {4096}, 1), false);
    upstream.subscribe(tee);
    assertNull(CallProbe.endStatus(), "all bytes delivered, the body not yet complete");
    tee.onComplete();
    assertEquals(10000, value(tee.getBody()).length);
    assertEquals("completed", CallProbe.endStatus());
  }

  @Test
  void anErrorReachesTheApplicationUnchangedAndEndsTheCallTruncated() {
    IOException reset = new IOException("HTTP/1.1 header parser received no bytes");
    TeeBodySubscriber<byte[]> tee = new TeeBodySubscriber<>(BodySubscribers.ofByteArray(), CallProbe.speech());
    new Upstream(Flows.items(new byte[10000], Shape.HEAP, new int[] {4096}, 1), false).failingWith(reset).subscribe(tee);
    ExecutionException failed = assertThrows(ExecutionException.class, () -> value(tee.getBody()));
    assertSame(reset, failed.getCause());
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void cancellingReachesTheClientAndEndsTheCallTruncated() throws Exception {
    TeeBodySubscriber<InputStream> tee = new TeeBodySubscriber<>(BodySubscribers.ofInputStream(), CallProbe.speech());
    Upstream upstream = new Upstream(Flows.items(new byte[100_000], Shape.HEAP, new int[] {4096}, 1), true);
    upstream.subscribe(tee);
    InputStream in = value(tee.getBody());
    in.readNBytes(5000);
    assertNull(CallProbe.endStatus());
    in.close();
    assertEquals(1, upstream.cancels);
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void theApplicationsExceptionsAreItsOwn() {
    IllegalStateException onNext = new IllegalStateException("onNext");
    IllegalStateException onComplete = new IllegalStateException("onComplete");
    IllegalStateException onError = new IllegalStateException("onError");
    AppSubscriber throwing = new AppSubscriber() {
      @Override
      public void onNext(List<ByteBuffer> item) {
        throw onNext;
      }

      @Override
      public void onError(Throwable throwable) {
        throw onError;
      }

      @Override
      public void onComplete() {
        throw onComplete;
      }
    };
    TeeBodySubscriber<Void> tee = new TeeBodySubscriber<>(throwing, CallProbe.speech());
    assertSame(onNext, assertThrows(IllegalStateException.class, () -> tee.onNext(List.of(ByteBuffer.allocate(3)))));
    assertNull(CallProbe.endStatus());
    assertSame(onComplete, assertThrows(IllegalStateException.class, tee::onComplete));
    assertEquals("completed", CallProbe.endStatus(), "the call ends all the same");

    TestTelemetry.clear();
    TeeBodySubscriber<Void> failing = new TeeBodySubscriber<>(throwing, CallProbe.speech());
    assertSame(onError, assertThrows(IllegalStateException.class, () -> failing.onError(new IOException("x"))));
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void aCancelFailureOfTheClientIsItsOwnAndTheCallStillEnds() {
    IllegalStateException cancelFailure = new IllegalStateException("cancel");
    AppSubscriber app = new AppSubscriber();
    new TeeBodySubscriber<>(app, CallProbe.speech()).onSubscribe(new Flow.Subscription() {
      @Override
      public void request(long n) {}

      @Override
      public void cancel() {
        throw cancelFailure;
      }
    });
    assertSame(cancelFailure, assertThrows(IllegalStateException.class, app.subscriptions.get(0)::cancel));
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void emptyItemsAreNotTheEnd() throws Exception {
    TeeBodySubscriber<byte[]> tee = new TeeBodySubscriber<>(BodySubscribers.ofByteArray(), CallProbe.speech());
    new Upstream(List.of(List.of(), List.of(ByteBuffer.allocate(0))), false).subscribe(tee);
    assertNull(CallProbe.endStatus());
    tee.onComplete();
    assertEquals(0, value(tee.getBody()).length);
    assertEquals("completed", CallProbe.endStatus());
  }

  @Test
  void anAsynchronousPublisherAndAnApplicationReadingOnItsOwnThread() throws Exception {
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try (SubmissionPublisher<List<ByteBuffer>> publisher = new SubmissionPublisher<>(executor, 4)) {
      TeeBodySubscriber<InputStream> tee = tee(BodySubscribers.ofInputStream());
      publisher.subscribe(tee);
      Thread client = new Thread(() -> {
        for (List<ByteBuffer> item : Flows.items(BATCH.bytes, Shape.DIRECT, new int[] {512, 4096, 9}, 2)) {
          publisher.submit(item);
        }
        publisher.close();
      });
      client.start();
      byte[] read;
      try (InputStream in = value(tee.getBody())) {
        read = in.readAllBytes();
      }
      client.join(10_000);
      for (int i = 0; i < 250 && CallProbe.spans().isEmpty(); i++) {
        // The publisher's thread ends the call just after the application's last read; the span
        // ends once every row has been emitted.
        Thread.sleep(20);
      }
      BATCH.assertReadOnce(read);
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void theHandlerMadeSubscriberIsTheOneThatRuns() throws Exception {
    HttpResponse.BodyHandler<byte[]> app = HttpResponse.BodyHandlers.ofByteArray();
    BodySubscriber<byte[]> subscriber =
        new TeeBodyHandler<>(app, CallProbe.startSpeech(true)).apply(Flows.responseInfo(200, "Content-Type", "audio/mpeg"));
    assertTrue(subscriber instanceof TeeBodySubscriber);
    new Upstream(Flows.items(new byte[300], Shape.HEAP, new int[] {100}, 1), true).subscribe(subscriber);
    assertEquals(300, value(subscriber.getBody()).length);
    assertEquals("completed", CallProbe.endStatus());
  }
}
