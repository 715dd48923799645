package dev.tokenledger.demo.realtime;

import java.net.URI;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import okio.ByteString;

/** OkHttp's {@link WebSocket} with a {@link WebSocketListener}: whole messages, its own threads. */
public final class OkHttpRealtime implements RealtimeTransport {

  private final OkHttpClient client = new OkHttpClient.Builder()
      .readTimeout(0, TimeUnit.MILLISECONDS)
      .build();

  @Override
  public String name() {
    return "okhttp";
  }

  @Override
  public Socket connect(URI uri, Map<String, String> headers, RealtimeInbox inbox) throws Exception {
    // OkHttp takes ws:// and wss:// URLs as http:// and https:// for the handshake.
    Request.Builder request = new Request.Builder().url(uri.toString());
    headers.forEach(request::header);
    java.util.concurrent.CompletableFuture<Void> opened = new java.util.concurrent.CompletableFuture<>();
    WebSocket ws = client.newWebSocket(request.build(), new WebSocketListener() {
      @Override
      public void onOpen(WebSocket webSocket, Response response) {
        opened.complete(null);
      }

      @Override
      public void onMessage(WebSocket webSocket, String text) {
        inbox.text(text);
      }

      @Override
      public void onMessage(WebSocket webSocket, ByteString bytes) {
        inbox.binary(bytes.toByteArray());
      }

      @Override
      public void onClosing(WebSocket webSocket, int code, String reason) {
        webSocket.close(1000, null);
      }

      @Override
      public void onClosed(WebSocket webSocket, int code, String reason) {
        inbox.ended("closed");
      }

      @Override
      public void onFailure(WebSocket webSocket, Throwable t, Response response) {
        opened.completeExceptionally(t);
        inbox.ended("failed");
      }
    });
    opened.get(30, TimeUnit.SECONDS);
    return new Socket() {
      @Override
      public void send(String text) throws Exception {
        if (!ws.send(text)) {
          throw new IllegalStateException("OkHttp refused the message: the connection is closing");
        }
      }

      @Override
      public void close() {
        ws.close(1000, null);
        try {
          JdkRealtime.awaitEnd(inbox);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }

      @Override
      public void abort() {
        ws.cancel();
      }
    };
  }

  @Override
  public void close() {
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
  }
}
