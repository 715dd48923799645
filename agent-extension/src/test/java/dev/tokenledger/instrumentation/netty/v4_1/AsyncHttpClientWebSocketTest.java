package dev.tokenledger.instrumentation.netty.v4_1;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.asynchttpclient.AsyncHttpClient;
import org.asynchttpclient.BoundRequestBuilder;
import org.asynchttpclient.Dsl;
import org.asynchttpclient.ws.WebSocket;
import org.asynchttpclient.ws.WebSocketListener;
import org.asynchttpclient.ws.WebSocketUpgradeHandler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * AsyncHttpClient 3's WebSocket: it swaps its HTTP codec for a frame encoder and puts its frame decoder
 * and aggregator in front of the TokenLedger handler, which sees whole messages.
 */
class AsyncHttpClientWebSocketTest extends NettyRealtimeContract {

  static AsyncHttpClient client;

  @BeforeAll
  static void startClient() {
    client = Dsl.asyncHttpClient(Dsl.config().setWebSocketMaxFrameSize(16 * 1024 * 1024));
  }

  @AfterAll
  static void stopClient() throws Exception {
    client.close();
  }

  static final class AhcSession extends Session implements WebSocketListener {
    final StringBuilder message = new StringBuilder();
    WebSocket ws;

    @Override
    void send(String json) {
      ws.sendTextFrame(json);
    }

    @Override
    public void close() {
      ws.sendCloseFrame(1000, "done");
    }

    @Override
    public void onOpen(WebSocket websocket) {}

    @Override
    public void onClose(WebSocket websocket, int code, String reason) {
      received.add(CLOSED);
    }

    @Override
    public void onError(Throwable t) {
      received.add(CLOSED);
    }

    @Override
    public void onTextFrame(String payload, boolean finalFragment, int rsv) {
      message.append(payload);
      if (finalFragment) {
        received.add(message.toString());
        message.setLength(0);
      }
    }
  }

  @Override
  Session connect(String url, Map<String, String> headers) throws Exception {
    AhcSession session = new AhcSession();
    BoundRequestBuilder request = client.prepareGet(url);
    headers.forEach(request::setHeader);
    session.ws = request.execute(new WebSocketUpgradeHandler.Builder().addWebSocketListener(session).build())
        .get(10, TimeUnit.SECONDS);
    return session;
  }
}
