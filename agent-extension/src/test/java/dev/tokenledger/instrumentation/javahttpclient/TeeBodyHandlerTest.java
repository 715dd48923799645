package dev.tokenledger.instrumentation.javahttpclient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.CallProbe;
import dev.tokenledger.agent.TestTelemetry;
import dev.tokenledger.instrumentation.javahttpclient.Flows.Shape;
import dev.tokenledger.instrumentation.javahttpclient.Flows.Upstream;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscriber;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link TeeBodyHandler}: the application's handler is asked first, with the client's own response
 * head, and its subscriber is the one the body reaches; the call learns the head from the same
 * response info.
 */
@ExtendWith(TestTelemetry.Extension.class)
class TeeBodyHandlerTest {

  static final HttpResponse.ResponseInfo SPEECH_HEAD =
      Flows.responseInfo(200, "content-type", "audio/mpeg", "X-Request-Id", "req_jdk", "OpenAI-Project", "proj_jdk");

  @Test
  void theApplicationsHandlerSeesTheResponseHeadAndItsSubscriberGetsTheBody() throws Exception {
    List<HttpResponse.ResponseInfo> asked = new ArrayList<>();
    HttpResponse.BodyHandler<byte[]> app = info -> {
      asked.add(info);
      return HttpResponse.BodySubscribers.ofByteArray();
    };
    BodySubscriber<byte[]> subscriber = new TeeBodyHandler<>(app, CallProbe.startSpeech(true)).apply(SPEECH_HEAD);
    assertEquals(List.of(SPEECH_HEAD), asked);
    byte[] audio = new byte[25_000];
    audio[24_999] = 42;
    new Upstream(Flows.items(audio, Shape.HEAP, new int[] {16384}, 1), true).subscribe(subscriber);
    assertArrayEquals(audio, subscriber.getBody().toCompletableFuture().get(10, TimeUnit.SECONDS));

    assertEquals("completed", CallProbe.endStatus());
    Attributes row = CallProbe.rows().get(0).getAttributes();
    assertEquals("req_jdk", row.get(AttributeKey.stringKey("openai.request.id")), "headers read in any case");
    assertEquals("proj_jdk", row.get(AttributeKey.stringKey("openai.project")));
    assertEquals(200L, row.get(AttributeKey.longKey("http.response.status_code")));
  }

  @Test
  void theStatusReachesTheCall() throws Exception {
    BodySubscriber<String> subscriber =
        new TeeBodyHandler<>(HttpResponse.BodyHandlers.ofString(), CallProbe.startSpeech(true))
            .apply(Flows.responseInfo(429, "Content-Type", "application/json"));
    byte[] error = "{\"error\":{\"message\":\"slow down\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}"
        .getBytes(StandardCharsets.UTF_8);
    new Upstream(Flows.items(error, Shape.HEAP, new int[] {10}, 1), true).subscribe(subscriber);
    assertEquals(new String(error, StandardCharsets.UTF_8), subscriber.getBody().toCompletableFuture().get());
    assertEquals(Map.of("error/none", 1L), CallProbe.requests());
    assertEquals("429", CallProbe.errorType());
  }

  @Test
  void theApplicationHandlersFailureIsItsOwn() {
    IllegalArgumentException refused = new IllegalArgumentException("unexpected content type");
    HttpResponse.BodyHandler<byte[]> app = info -> {
      throw refused;
    };
    TeeBodyHandler<byte[]> handler = new TeeBodyHandler<>(app, CallProbe.startSpeech(true));
    assertSame(refused, assertThrows(IllegalArgumentException.class, () -> handler.apply(SPEECH_HEAD)));
    assertTrue(CallProbe.spans().isEmpty(), "the send's failure ends the call, as for any failed send");
  }
}
