package dev.tokenledger.apps.webflux;

import dev.tokenledger.apps.AppMain;
import dev.tokenledger.apps.Digest;
import dev.tokenledger.apps.Requests;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The Realtime API through Spring's {@link ReactorNettyWebSocketClient}: one connection, two typed
 * turns, each answered with a {@code response.done}, then a normal close. The RESULT line digests every
 * message received in the simulator's form ({@code bytes=raw}, length = messages).
 */
public final class ReactorNettyRealtimeApp {

  private static final String TURN = "{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\","
      + "\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"" + Requests.REALTIME_TEXT + "\"}]}}";
  private static final String RESPOND = "{\"type\":\"response.create\"}";
  private static final int TURNS = 2;

  public static void main(String[] args) {
    int exit = new AppMain("reactor-netty-websocket")
        .scenario("conversation", results -> {
          String model = "gpt-realtime";
          URI uri = URI.create(AppMain.env("OPENAI_REALTIME_URL") + "/v1/realtime?model=" + model);
          HttpHeaders headers = new HttpHeaders();
          headers.set("Authorization", "Bearer " + AppMain.env("OPENAI_API_KEY"));
          Digest digest = new Digest();
          AtomicInteger done = new AtomicInteger();
          new ReactorNettyWebSocketClient().execute(uri, headers, session -> {
            Sinks.Many<String> outbound = Sinks.many().unicast().onBackpressureBuffer();
            outbound.tryEmitNext(TURN);
            outbound.tryEmitNext(RESPOND);
            Mono<Void> send = session.send(outbound.asFlux().map(session::textMessage));
            Mono<Void> receive = session.receive()
                .doOnNext(message -> {
                  DataBuffer payload = message.getPayload();
                  byte[] bytes = new byte[payload.readableByteCount()];
                  payload.read(bytes);
                  digest.message(message.getType() == WebSocketMessage.Type.TEXT, bytes);
                  if (message.getType() == WebSocketMessage.Type.TEXT && isResponseDone(bytes)) {
                    if (done.incrementAndGet() < TURNS) {
                      outbound.tryEmitNext(TURN);
                      outbound.tryEmitNext(RESPOND);
                    } else {
                      outbound.tryEmitComplete();
                    }
                  }
                })
                .takeUntil(message -> done.get() >= TURNS)
                .then(session.close(CloseStatus.NORMAL));
            return Mono.when(send, receive);
          }).block(Duration.ofMinutes(1));
          if (done.get() != TURNS) {
            throw new IllegalStateException("the connection ended after " + done.get() + " responses");
          }
          results.raw(model, digest);
        })
        .run(args);
    System.exit(exit);
  }

  /** The simulator, like the API, writes the event type first. */
  private static boolean isResponseDone(byte[] message) {
    String head = new String(message, 0, Math.min(message.length, 64), java.nio.charset.StandardCharsets.UTF_8);
    return head.replace(" ", "").startsWith("{\"type\":\"response.done\"");
  }
}
