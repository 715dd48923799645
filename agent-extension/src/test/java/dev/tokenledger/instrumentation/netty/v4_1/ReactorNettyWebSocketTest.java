package dev.tokenledger.instrumentation.netty.v4_1;

import java.util.Map;
import reactor.core.Disposable;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;

/**
 * Reactor Netty's WebSocket client (under Spring's {@code ReactorNettyWebSocketClient}): frames are
 * aggregated into messages behind the TokenLedger handler, which sees them as they arrive.
 */
class ReactorNettyWebSocketTest extends NettyRealtimeContract {

  static final int MAX = 64 * 1024 * 1024;

  @Override
  Session connect(String url, Map<String, String> headers) {
    Sinks.Many<String> outgoing = Sinks.many().unicast().onBackpressureBuffer();
    Session session = new Session() {
      Disposable connection;

      @Override
      void send(String json) {
        outgoing.tryEmitNext(json);
      }

      @Override
      public void close() {
        outgoing.tryEmitComplete(); // the handler's publisher completes: Reactor Netty closes with 1000
      }
    };
    HttpClient.create()
        .headers(h -> headers.forEach(h::set))
        .websocket(WebsocketClientSpec.builder().maxFramePayloadLength(MAX).build())
        .uri(url)
        .handle((in, out) -> {
          in.aggregateFrames(MAX).receive().asString().subscribe(
              session.received::add, error -> session.received.add(CLOSED), () -> session.received.add(CLOSED));
          return out.sendString(outgoing.asFlux()).then();
        })
        .subscribe(null, error -> session.received.add(CLOSED));
    return session;
  }
}
