package dev.tokenledger.instrumentation.javahttpclient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tokenledger.usage.RequestInfo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RequestBodies}: a copy of the JDK's in-memory request bodies (ofString, ofByteArray),
 * exactly their bytes, without disturbing what the client then sends; every other publisher is left
 * alone, unread.
 */
class RequestBodiesTest {

  static final URI CHAT = URI.create("https://api.openai.com/v1/chat/completions");
  static final String JSON = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"héllo € 😀\"}]}";

  static HttpRequest post(BodyPublisher publisher) {
    return HttpRequest.newBuilder(CHAT).POST(publisher).build();
  }

  /** What the client sends: the publisher's bytes as a subscriber receives them. */
  static byte[] sent(BodyPublisher publisher) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    publisher.subscribe(new Flow.Subscriber<ByteBuffer>() {
      @Override
      public void onSubscribe(Flow.Subscription subscription) {
        subscription.request(Long.MAX_VALUE);
      }

      @Override
      public void onNext(ByteBuffer item) {
        byte[] chunk = new byte[item.remaining()];
        item.get(chunk);
        out.write(chunk, 0, chunk.length);
      }

      @Override
      public void onError(Throwable throwable) {}

      @Override
      public void onComplete() {}
    });
    return out.toByteArray();
  }

  static byte[] bytes(RequestBodies.Copy copy) {
    return Arrays.copyOf(copy.bytes, copy.length);
  }

  @Test
  void ofStringIsCopiedAsItsEncodedBytes() {
    HttpRequest request = post(BodyPublishers.ofString(JSON));
    RequestBodies.Copy copy = RequestBodies.copyOf(request);
    assertNotNull(copy);
    assertArrayEquals(JSON.getBytes(StandardCharsets.UTF_8), bytes(copy));
    assertArrayEquals(JSON.getBytes(StandardCharsets.UTF_8), sent(request.bodyPublisher().get()), "the client still sends it all");

    RequestBodies.Copy latin = RequestBodies.copyOf(post(BodyPublishers.ofString("{\"model\":\"é\"}", StandardCharsets.ISO_8859_1)));
    assertArrayEquals("{\"model\":\"é\"}".getBytes(StandardCharsets.ISO_8859_1), bytes(latin));
  }

  @Test
  void ofByteArrayIsCopiedExactly() {
    byte[] body = JSON.getBytes(StandardCharsets.UTF_8);
    HttpRequest request = post(BodyPublishers.ofByteArray(body));
    assertArrayEquals(body, bytes(RequestBodies.copyOf(request)));
    assertArrayEquals(body, sent(request.bodyPublisher().get()));

    byte[] framed = ("xxxx" + JSON + "yy").getBytes(StandardCharsets.UTF_8);
    HttpRequest slice = post(BodyPublishers.ofByteArray(framed, 4, body.length));
    assertArrayEquals(body, bytes(RequestBodies.copyOf(slice)), "only the slice, from its offset");
    assertArrayEquals(body, sent(slice.bodyPublisher().get()));
  }

  @Test
  void anEmptyInMemoryBodyIsAnEmptyCopy() {
    RequestBodies.Copy copy = RequestBodies.copyOf(post(BodyPublishers.ofString("")));
    assertNotNull(copy);
    assertEquals(0, copy.length);
  }

  @Test
  void aLargeInMemoryBodyIsNotCopied() {
    byte[] large = new byte[RequestInfo.MAX_REQUEST_BYTES + 1];
    assertNull(RequestBodies.copyOf(post(BodyPublishers.ofByteArray(large))));
    byte[] limit = new byte[RequestInfo.MAX_REQUEST_BYTES];
    assertEquals(limit.length, RequestBodies.copyOf(post(BodyPublishers.ofByteArray(limit))).length);
  }

  @Test
  void streamsAreLeftAloneUnread() {
    AtomicInteger opened = new AtomicInteger();
    HttpRequest request = post(BodyPublishers.ofInputStream(() -> {
      opened.incrementAndGet();
      return new ByteArrayInputStream(JSON.getBytes(StandardCharsets.UTF_8));
    }));
    assertNull(RequestBodies.copyOf(request));
    assertEquals(0, opened.get(), "the stream was never opened");
  }

  @Test
  void otherPublishersAreLeftAlone(@TempDir Path dir) throws Exception {
    Path file = Files.write(dir.resolve("body.json"), JSON.getBytes(StandardCharsets.UTF_8));
    assertNull(RequestBodies.copyOf(post(BodyPublishers.ofFile(file))));
    assertNull(RequestBodies.copyOf(post(BodyPublishers.ofByteArrays(List.of(JSON.getBytes(StandardCharsets.UTF_8))))));
    assertNull(RequestBodies.copyOf(post(BodyPublishers.noBody())));
    try (SubmissionPublisher<ByteBuffer> custom = new SubmissionPublisher<>()) {
      assertNull(RequestBodies.copyOf(post(BodyPublishers.fromPublisher(custom, 10))));
      assertEquals(0, custom.getNumberOfSubscribers(), "never subscribed to");
    }
  }

  @Test
  void aRequestWithoutBodyHasNoCopy() {
    assertNull(RequestBodies.copyOf(HttpRequest.newBuilder(CHAT).GET().build()));
    assertNull(RequestBodies.copyOf(HttpRequest.newBuilder(CHAT).DELETE().build()));
  }
}
