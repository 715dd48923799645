package dev.tokenledger.instrumentation.netty.v4_1;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * Reactor Netty's {@code HttpClient} (under Spring's {@code WebClient}, Spring Boot's
 * {@code RestClient} on Reactor Netty, Spring AI): HTTP/1.1 over one pooled connection, gzip asked
 * for and undone by the client.
 */
class ReactorNettyClientTest extends NettyClientContract {

  static ConnectionProvider pool;
  static HttpClient client;

  @BeforeAll
  static void startClient() {
    pool = ConnectionProvider.builder("tokenledger-test").maxConnections(1).build();
    client = HttpClient.create(pool).compress(true).responseTimeout(Duration.ofSeconds(60));
  }

  @AfterAll
  static void stopClient() {
    pool.disposeLater().block(Duration.ofSeconds(10));
  }

  @Override
  Answer post(String path, String json, Map<String, String> headers) {
    try {
      return client
          .headers(h -> headers.forEach(h::set))
          .post()
          .uri(sim.baseUrl() + path)
          .send(ByteBufFlux.fromString(Mono.just(json)))
          .responseSingle((response, body) -> body.asByteArray()
              .defaultIfEmpty(new byte[0])
              .map(bytes -> new Answer(response.status().code(), bytes, null)))
          .block(Duration.ofSeconds(60));
    } catch (RuntimeException e) {
      return new Answer(-1, null, e);
    }
  }
}
