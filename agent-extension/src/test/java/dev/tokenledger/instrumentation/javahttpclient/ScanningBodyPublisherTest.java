package dev.tokenledger.instrumentation.javahttpclient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.CallProbe;
import dev.tokenledger.agent.OpenAiCall;
import dev.tokenledger.agent.TestTelemetry;
import dev.tokenledger.instrumentation.javahttpclient.Flows.Shape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link ScanningBodyPublisher} between a client and the application's publisher, played
 * synchronously: the client's subscriber gets the very buffers, positions, demand and signals of the
 * application's publisher, and the call reads the body from the first subscription only.
 */
@ExtendWith(TestTelemetry.Extension.class)
class ScanningBodyPublisherTest {

  /**
   * An application's publisher: delivers its buffers as they are asked for (on the requesting thread,
   * never more than asked), then completes or fails; remembers each subscriber and every request.
   */
  static final class AppPublisher implements HttpRequest.BodyPublisher {
    final List<ByteBuffer> buffers;
    final long length;
    Throwable failure;
    final List<Flow.Subscriber<? super ByteBuffer>> subscribers = new ArrayList<>();
    final List<Long> requests = new ArrayList<>();
    /** Each buffer handed out, and its position and limit then. */
    final List<ByteBuffer> handedOutItems = new ArrayList<>();
    final List<int[]> handedOut = new ArrayList<>();

    AppPublisher(byte[] body, Shape shape, int chunk, long length) {
      this.buffers = new ArrayList<>();
      for (List<ByteBuffer> list : Flows.items(body, shape, new int[] {chunk}, 1)) {
        buffers.addAll(list);
      }
      this.length = length;
    }

    @Override
    public long contentLength() {
      return length;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
      subscribers.add(subscriber);
      subscriber.onSubscribe(new Flow.Subscription() {
        int next;
        long demand;
        boolean delivering;
        boolean done;

        @Override
        public void request(long n) {
          requests.add(n);
          demand += n;
          if (delivering) {
            return;
          }
          delivering = true;
          while (!done && demand > 0 && next < buffers.size()) {
            demand--;
            ByteBuffer item = buffers.get(next++).duplicate();
            handedOutItems.add(item);
            handedOut.add(new int[] {item.position(), item.limit()});
            subscriber.onNext(item);
          }
          if (!done && next == buffers.size()) {
            done = true;
            if (failure != null) {
              subscriber.onError(failure);
            } else {
              subscriber.onComplete();
            }
          }
          delivering = false;
        }

        @Override
        public void cancel() {
          done = true;
        }
      });
    }
  }

  /** The client's side: asks for one buffer at a time and consumes each buffer as the client does. */
  static final class ClientSubscriber implements Flow.Subscriber<ByteBuffer> {
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final List<ByteBuffer> items = new ArrayList<>();
    final List<int[]> seen = new ArrayList<>();
    Flow.Subscription subscription;
    Throwable error;
    boolean complete;

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      subscription.request(1);
    }

    @Override
    public void onNext(ByteBuffer item) {
      items.add(item);
      seen.add(new int[] {item.position(), item.limit()});
      while (item.hasRemaining()) {
        received.write(item.get());
      }
      subscription.request(1);
    }

    @Override
    public void onError(Throwable throwable) {
      error = throwable;
    }

    @Override
    public void onComplete() {
      complete = true;
    }
  }

  static final String INPUT = CallProbe.speechInput(500);

  static byte[] body() {
    return CallProbe.speechRequest(INPUT);
  }

  @Test
  void theClientGetsTheApplicationsBuffersAndTheCallReadsTheBody() {
    for (Shape shape : Shape.values()) {
      TestTelemetry.clear();
      byte[] body = body();
      AppPublisher app = new AppPublisher(body, shape, 7, body.length);
      OpenAiCall call = CallProbe.startSpeech(false);
      ScanningBodyPublisher publisher = new ScanningBodyPublisher(app, call, "application/json");
      assertEquals(body.length, publisher.contentLength());
      assertEquals(-1, new ScanningBodyPublisher(new AppPublisher(body, shape, 7, -1), call, null).contentLength());

      ClientSubscriber client = new ClientSubscriber();
      publisher.subscribe(client);
      assertArrayEquals(body, client.received.toByteArray(), shape + ": every byte, in order");
      assertTrue(client.complete, shape.toString());
      assertEquals(app.handedOut.size(), client.items.size());
      for (int i = 0; i < client.seen.size(); i++) {
        assertSame(app.handedOutItems.get(i), client.items.get(i), shape + ": the very buffer");
        assertArrayEquals(app.handedOut.get(i), client.seen.get(i), shape + ": as handed out, unread");
      }
      List<Long> ones = new ArrayList<>();
      for (int i = 0; i < app.requests.size(); i++) {
        ones.add(1L);
      }
      assertEquals(ones, app.requests, "the client's demand, and no other");

      CallProbe.finishSpeech(call);
      assertEquals(CallProbe.SPEECH_MODEL, CallProbe.requestModel(), shape.toString());
      assertEquals((long) INPUT.codePointCount(0, INPUT.length()), CallProbe.inputCharacters(), shape.toString());
    }
  }

  @Test
  void aFailureReachesTheClientAsItIs() {
    byte[] body = body();
    AppPublisher app = new AppPublisher(body, Shape.HEAP, 100, body.length);
    IOException failure = new IOException("the body's source failed");
    app.failure = failure;
    ClientSubscriber client = new ClientSubscriber();
    new ScanningBodyPublisher(app, CallProbe.startSpeech(false), "application/json").subscribe(client);
    assertSame(failure, client.error);
    assertArrayEquals(body, client.received.toByteArray());
  }

  @Test
  void onlyTheFirstSubscriptionIsRead() {
    byte[] body = body();
    AppPublisher app = new AppPublisher(body, Shape.HEAP, 50, body.length);
    OpenAiCall call = CallProbe.startSpeech(false);
    ScanningBodyPublisher publisher = new ScanningBodyPublisher(app, call, "application/json");
    ClientSubscriber first = new ClientSubscriber();
    publisher.subscribe(first);
    ClientSubscriber resent = new ClientSubscriber();
    publisher.subscribe(resent);
    assertTrue(app.subscribers.get(0) instanceof ScanningBodyPublisher.ScanningSubscriber);
    assertSame(resent, app.subscribers.get(1), "a resend goes to the client's subscriber directly");
    assertArrayEquals(body, resent.received.toByteArray());
    CallProbe.finishSpeech(call);
    assertEquals((long) INPUT.codePointCount(0, INPUT.length()), CallProbe.inputCharacters(), "one body's characters");
  }

  @Test
  void aBodyThatIsNeverSentLeavesTheRequestUnread() {
    OpenAiCall call = CallProbe.startSpeech(false);
    new ScanningBodyPublisher(new AppPublisher(body(), Shape.HEAP, 50, -1), call, "application/json");
    CallProbe.finishSpeech(call);
    assertNull(CallProbe.requestModel());
  }

  @Test
  void aBodyThatIsNotJsonIsPassedOnAndReadsAsNothing() {
    byte[] binary = "\u0000\u00ff{{{not json".getBytes(StandardCharsets.ISO_8859_1);
    AppPublisher app = new AppPublisher(binary, Shape.DIRECT, 3, binary.length);
    OpenAiCall call = CallProbe.startSpeech(false);
    ClientSubscriber client = new ClientSubscriber();
    new ScanningBodyPublisher(app, call, "application/json").subscribe(client);
    assertArrayEquals(binary, client.received.toByteArray());
    CallProbe.finishSpeech(call);
    assertNull(CallProbe.requestModel());
  }
}
