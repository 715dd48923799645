package dev.tokenledger.simulator;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real WebSocket client (java.net.http) for the simulator's Realtime tests: it assembles partial
 * text, keeps every message in order with the digest the simulator computes, and counts the frames
 * each text message came in.
 */
final class RealtimeTestClient implements AutoCloseable {

  /** One received message; {@code parts} = how many onText calls it took. */
  record Received(boolean text, String string, byte[] bytes, int parts) {
    @SuppressWarnings("unchecked")
    Map<String, Object> json() {
      return (Map<String, Object>) Json.parse(string);
    }

    String type() {
      if (string == null) {
        return null;
      }
      try {
        return (String) json().get("type");
      } catch (IllegalArgumentException notJson) {
        return null;
      }
    }
  }

  static final Received CLOSED = new Received(false, "<closed>", null, 0);
  static final Received FAILED = new Received(false, "<failed>", null, 0);

  final WebSocket ws;
  final LinkedBlockingQueue<Received> inbox = new LinkedBlockingQueue<>();
  final List<Received> all = new ArrayList<>();
  private final MessageDigest digest;
  volatile int closeCode = -1;

  private RealtimeTestClient(URI uri, Map<String, String> headers) throws Exception {
    digest = MessageDigest.getInstance("SHA-256");
    WebSocket.Builder b = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
    headers.forEach(b::header);
    ws = b.buildAsync(uri, new WebSocket.Listener() {
      private final StringBuilder text = new StringBuilder();
      private int parts;
      private final java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();

      @Override
      public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
        text.append(data);
        parts++;
        if (last) {
          String s = text.toString();
          text.setLength(0);
          deliver(new Received(true, s, s.getBytes(StandardCharsets.UTF_8), parts));
          parts = 0;
        }
        w.request(1);
        return null;
      }

      @Override
      public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
        byte[] b = new byte[data.remaining()];
        data.get(b);
        binary.writeBytes(b);
        if (last) {
          deliver(new Received(false, null, binary.toByteArray(), 1));
          binary.reset();
        }
        w.request(1);
        return null;
      }

      @Override
      public CompletionStage<?> onClose(WebSocket w, int statusCode, String reason) {
        closeCode = statusCode;
        inbox.add(CLOSED);
        return null;
      }

      @Override
      public void onError(WebSocket w, Throwable error) {
        inbox.add(FAILED);
      }
    }).get(10, TimeUnit.SECONDS);
  }

  static RealtimeTestClient connect(OpenAiSimulator sim, String pathAndQuery) throws Exception {
    return connect(sim, pathAndQuery, Map.of("Authorization", "Bearer sk-test-not-a-key"));
  }

  static RealtimeTestClient connect(OpenAiSimulator sim, String pathAndQuery, Map<String, String> headers)
      throws Exception {
    return new RealtimeTestClient(URI.create(sim.realtimeUri() + pathAndQuery), headers);
  }

  private synchronized void deliver(Received r) {
    digest.update((byte) (r.text() ? 'T' : 'B'));
    int n = r.bytes().length;
    digest.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
    digest.update(r.bytes());
    all.add(r);
    inbox.add(r);
  }

  synchronized String digestHex() throws Exception {
    byte[] d = ((MessageDigest) digest.clone()).digest();
    StringBuilder sb = new StringBuilder();
    for (byte b : d) {
      sb.append(String.format("%02x", b));
    }
    return sb.toString();
  }

  synchronized int received() {
    return all.size();
  }

  void send(Map<String, Object> event) {
    ws.sendText(Json.write(event), true).join();
  }

  /** Appends {@code millis} of 24 kHz PCM16 silence-like audio in 100 ms chunks, then commits. */
  void speak(long millis) {
    byte[] chunk = new byte[RealtimePlayer.PCM_BYTES_PER_SECOND / 10];
    for (long sent = 0; sent < millis; sent += 100) {
      send(Json.obj("type", "input_audio_buffer.append", "audio", Base64.getEncoder().encodeToString(chunk)));
    }
    send(Json.obj("type", "input_audio_buffer.commit"));
  }

  /** The next message of the given type; the ones before it are returned in {@code skipped}. */
  Received await(String type, List<Received> skipped) throws InterruptedException {
    while (true) {
      Received r = inbox.poll(20, TimeUnit.SECONDS);
      if (r == null) {
        throw new AssertionError("timed out waiting for " + type);
      }
      if (r == CLOSED || r == FAILED) {
        if (type.equals(r.string())) {
          return r;
        }
        throw new AssertionError("connection ended (" + r.string() + ") waiting for " + type);
      }
      if (type.equals(r.type())) {
        return r;
      }
      if (skipped != null) {
        skipped.add(r);
      }
    }
  }

  Received await(String type) throws InterruptedException {
    return await(type, null);
  }

  @Override
  public void close() {
    try {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
      // wait for the server's close frame
      for (int i = 0; i < 100 && closeCode < 0 && !ws.isInputClosed(); i++) {
        Thread.sleep(20);
      }
    } catch (Exception e) {
      ws.abort();
    }
  }
}
