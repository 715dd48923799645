package dev.tokenledger.demo.realtime;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * {@code java.net.http.WebSocket}: a {@link WebSocket.Listener} whose {@code onText} receives partial
 * messages (the JDK splits at frame and buffer boundaries), assembled here as an application must.
 */
public final class JdkRealtime implements RealtimeTransport {

  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @Override
  public String name() {
    return "jdk";
  }

  @Override
  public Socket connect(URI uri, Map<String, String> headers, RealtimeInbox inbox) throws Exception {
    WebSocket.Builder builder = client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
    headers.forEach(builder::header);
    WebSocket ws = builder.buildAsync(uri, new Listener(inbox)).get(30, TimeUnit.SECONDS);
    return new Socket() {
      @Override
      public void send(String text) throws Exception {
        ws.sendText(text, true).get(30, TimeUnit.SECONDS);
      }

      @Override
      public void close() {
        try {
          ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
          awaitEnd(inbox);
        } catch (Exception e) {
          ws.abort();
        }
      }

      @Override
      public void abort() {
        ws.abort();
      }
    };
  }

  static void awaitEnd(RealtimeInbox inbox) throws InterruptedException {
    for (int i = 0; i < 250 && !inbox.isEnded(); i++) {
      Thread.sleep(20);
    }
  }

  private static final class Listener implements WebSocket.Listener {
    private final RealtimeInbox inbox;
    private final StringBuilder text = new StringBuilder();
    private final ByteArrayOutputStream binary = new ByteArrayOutputStream();

    Listener(RealtimeInbox inbox) {
      this.inbox = inbox;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        inbox.text(text.toString());
        text.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      byte[] b = new byte[data.remaining()];
      data.get(b);
      binary.writeBytes(b);
      if (last) {
        inbox.binary(binary.toByteArray());
        binary.reset();
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      // 1006: the connection ended without a close frame
      inbox.ended(statusCode == 1006 ? "failed" : "closed");
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      inbox.ended("failed");
    }
  }
}
