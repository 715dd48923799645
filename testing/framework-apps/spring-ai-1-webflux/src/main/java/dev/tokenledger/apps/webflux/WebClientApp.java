package dev.tokenledger.apps.webflux;

import dev.tokenledger.apps.AppMain;
import dev.tokenledger.apps.Digest;
import dev.tokenledger.apps.Requests;
import java.time.Duration;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Spring's {@link WebClient} used directly, on its default connector (Reactor Netty): a chat call
 * read whole, a chat stream read buffer by buffer as it arrives, a Responses stream.
 */
public final class WebClientApp {

  public static void main(String[] args) {
    WebClient client = WebClient.builder()
        .baseUrl(AppMain.env("OPENAI_BASE_URL"))
        .defaultHeader("Authorization", "Bearer " + AppMain.env("OPENAI_API_KEY"))
        .build();
    int exit = new AppMain("webclient")
        .scenario("chat", results -> {
          String model = "gpt-4o-mini";
          byte[] body = client.post().uri("/chat/completions").contentType(MediaType.APPLICATION_JSON)
              .bodyValue(Requests.chat(model, false))
              .retrieve().bodyToMono(byte[].class).block(Duration.ofMinutes(1));
          results.raw(model, new Digest().update(body));
        })
        .scenario("chat-stream", results -> {
          String model = "gpt-4.1-mini";
          results.raw(model, stream(client, "/chat/completions", Requests.chat(model, true)));
        })
        .scenario("responses-stream", results -> {
          String model = "gpt-5-mini";
          results.raw(model, stream(client, "/responses", Requests.responses(model, true)));
        })
        .run(args);
    System.exit(exit);
  }

  private static Digest stream(WebClient client, String path, String json) {
    Digest digest = new Digest();
    client.post().uri(path).contentType(MediaType.APPLICATION_JSON).bodyValue(json)
        .retrieve().bodyToFlux(DataBuffer.class)
        .doOnNext(buffer -> {
          try {
            byte[] bytes = new byte[buffer.readableByteCount()];
            buffer.read(bytes);
            digest.update(bytes);
          } finally {
            DataBufferUtils.release(buffer);
          }
        })
        .blockLast(Duration.ofMinutes(1));
    return digest;
  }
}
