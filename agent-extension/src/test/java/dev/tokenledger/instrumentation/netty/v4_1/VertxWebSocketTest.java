package dev.tokenledger.instrumentation.netty.v4_1;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The Vert.x 5 WebSocket client: whole text messages to the application, frames to the handler. */
class VertxWebSocketTest extends NettyRealtimeContract {

  static Vertx vertx;
  static WebSocketClient client;

  @BeforeAll
  static void startClient() {
    vertx = Vertx.vertx();
    client = vertx.createWebSocketClient(
        new WebSocketClientOptions().setMaxMessageSize(64 * 1024 * 1024).setMaxFrameSize(16 * 1024 * 1024));
  }

  @AfterAll
  static void stopClient() throws Exception {
    client.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** A connection whose handlers are set as it opens, on its event loop, before any message is read. */
  static final class VertxSession extends Session {
    WebSocket ws;

    @Override
    void send(String json) {
      ws.writeTextMessage(json);
    }

    @Override
    public void close() {
      ws.close();
    }
  }

  @Override
  Session connect(String url, Map<String, String> headers) throws Exception {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setAbsoluteURI(url);
    headers.forEach(options::addHeader);
    VertxSession session = new VertxSession();
    session.ws = client.connect(options)
        .map(ws -> {
          ws.textMessageHandler(session.received::add);
          ws.closeHandler(v -> session.received.add(CLOSED));
          ws.exceptionHandler(e -> session.received.add(CLOSED));
          return ws;
        })
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return session;
  }
}
