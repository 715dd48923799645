package dev.tokenledger.simulator;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The Realtime API over WebSocket: which handshakes are accepted and what session each connection
 * belongs to. The events of one connection are played by a {@link RealtimePlayer}.
 *
 * <p>Paths: {@code /v1/realtime?model=…} (a conversation session), {@code ?call_id=…} (a sideband
 * connection: it joins the session already bound to that call, the same server session id; a call
 * seen for the first time gets a new session, as the WebRTC call the simulator does not run would
 * have), {@code ?intent=transcription} (transcription only), Azure {@code /openai/v1/realtime?model=…}
 * and the preview {@code /openai/realtime?deployment=…&api-version=…} (beta event names, as is a
 * request with {@code OpenAI-Beta: realtime=v1}). A conversation connection may bind its session to
 * a call with the simulator-only parameter {@code sim_call_id=…}, so a later sideband connection can
 * join it.
 */
final class RealtimeEndpoint implements WebSocketServer.Handler {

  /** Server session state, shared by every connection joined to it (sideband). */
  static final class Session {
    final String id;
    final String conversationId;
    final boolean transcriptionOnly;
    final boolean beta;
    volatile String model;
    volatile String transcriptionModel;
    /** Tokens of the conversation so far; every response bills all of it again as input. */
    long contextText;
    long contextAudio;
    long contextImage;
    /** The input prefix the previous response left in the prompt cache. */
    long cachedText;
    long cachedAudio;
    long cachedImage;

    Session(String id, String conversationId, String model, boolean transcriptionOnly, boolean beta) {
      this.id = id;
      this.conversationId = conversationId;
      this.model = model;
      this.transcriptionOnly = transcriptionOnly;
      this.beta = beta;
    }
  }

  /** The parts of a handshake that decide how a connection is served. */
  record Route(String requestModel, String callId, boolean transcriptionOnly, boolean azure, boolean beta,
      String project, String host, String pathForTruth) {}

  private final Consumer<GroundTruth> truthSink;
  private final Map<String, Session> sessionsByCall = new ConcurrentHashMap<>();
  private final List<RealtimeConnectionTruth> connections = new ArrayList<>();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicLong connectionSequence = new AtomicLong();
  private final AtomicLong idSequence = new AtomicLong();
  private final long idSalt;
  private final String audioPool;

  RealtimeEndpoint(Consumer<GroundTruth> truthSink, long idSalt) {
    this.truthSink = truthSink;
    this.idSalt = idSalt;
    // Ten seconds of 24 kHz mono PCM16 noise, base64: deltas are slices of it at real sizes.
    SplittableRandom r = new SplittableRandom(idSalt);
    byte[] pcm = new byte[RealtimePlayer.PCM_BYTES_PER_SECOND * 10];
    for (int i = 0; i < pcm.length; i++) {
      pcm[i] = (byte) r.nextInt(256);
    }
    audioPool = java.util.Base64.getEncoder().encodeToString(pcm);
  }

  String audioPool() {
    return audioPool;
  }

  /** A fresh random source for one connection (ids and usage numbers). */
  SplittableRandom random() {
    return new SplittableRandom(mix(idSalt ^ mix(idSequence.incrementAndGet())));
  }

  @Override
  public WebSocketServer.Refusal check(WebSocketServer.Handshake h) {
    Map<String, String> query = query(h.rawQuery());
    boolean openai = h.path().equals("/v1/realtime");
    boolean azureV1 = h.path().equals("/openai/v1/realtime");
    boolean azurePreview = h.path().equals("/openai/realtime");
    if (!openai && !azureV1 && !azurePreview) {
      return refusal(404, "Not Found", "Invalid URL (GET " + h.path() + ")", "invalid_request_error");
    }
    if (h.header("Authorization") == null && h.header("api-key") == null && !query.containsKey("api-key")) {
      return refusal(401, "Unauthorized", "You didn't provide an API key.", "invalid_request_error");
    }
    if (azurePreview && (query.get("deployment") == null || query.get("api-version") == null)) {
      return refusal(400, "Bad Request", "Missing required query parameters 'deployment' and 'api-version'.",
          "invalid_request_error");
    }
    if (!azurePreview && query.get("model") == null && query.get("call_id") == null
        && !"transcription".equals(query.get("intent"))) {
      return refusal(400, "Bad Request", "Missing required parameter: 'model'.", "invalid_request_error");
    }
    return null;
  }

  @Override
  public void serve(WebSocketServer.Handshake h, WebSocketConnection ws) {
    Map<String, String> query = query(h.rawQuery());
    boolean azurePreview = h.path().equals("/openai/realtime");
    boolean azure = azurePreview || h.path().equals("/openai/v1/realtime");
    String beta = h.header("OpenAI-Beta");
    Route route = new Route(
        azurePreview ? query.get("deployment") : query.get("model"),
        query.get("call_id"),
        "transcription".equals(query.get("intent")),
        azure,
        azurePreview || (beta != null && beta.contains("realtime=v1")),
        h.header("OpenAI-Project"),
        hostOf(h.header("Host")),
        h.path() + pathQueryWithoutKey(h.rawQuery()));
    String connectionId = "ws-" + connectionSequence.incrementAndGet();
    SplittableRandom random = random();
    Session session = sessionFor(route, query.get("sim_call_id"), random);
    open.incrementAndGet();
    Instant opened = Instant.now();
    RealtimePlayer player = new RealtimePlayer(this, ws, route, session, connectionId, random);
    String end;
    try {
      end = player.play();
    } finally {
      open.decrementAndGet();
    }
    synchronized (connections) {
      connections.add(new RealtimeConnectionTruth(connectionId, route.pathForTruth(), session.id,
          route.requestModel(), ws.messagesSent(), ws.sentDigestHex(), ws.bytesSent(), end,
          player.responsesDone(), opened, Instant.now()));
      connections.notifyAll();
    }
  }

  private Session sessionFor(Route route, String simCallId, SplittableRandom random) {
    if (route.callId() != null) {
      return sessionsByCall.computeIfAbsent(route.callId(),
          c -> newSession(Models.snapshot(route.requestModel() != null ? route.requestModel() : "gpt-realtime"),
              false, route.beta(), random));
    }
    Session s = newSession(route.transcriptionOnly() ? null : Models.snapshot(route.requestModel()),
        route.transcriptionOnly(), route.beta(), random);
    if (simCallId != null) {
      sessionsByCall.put(simCallId, s);
    }
    return s;
  }

  private Session newSession(String model, boolean transcriptionOnly, boolean beta, SplittableRandom r) {
    return new Session("sess_" + Endpoints.hex(r, 20), "conv_" + Endpoints.hex(r, 20), model,
        transcriptionOnly, beta);
  }

  void record(GroundTruth g) {
    truthSink.accept(g);
  }

  List<RealtimeConnectionTruth> connections() {
    synchronized (connections) {
      return List.copyOf(connections);
    }
  }

  int openConnections() {
    return open.get();
  }

  /** Waits until no connection is open and at least {@code ended} connections were recorded. */
  boolean awaitIdle(int ended, long timeoutMillis) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    synchronized (connections) {
      while (open.get() > 0 || connections.size() < ended) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          return false;
        }
        connections.wait(Math.min(left, 50));
      }
      return true;
    }
  }

  void reset() {
    synchronized (connections) {
      connections.clear();
    }
    sessionsByCall.clear();
  }

  private static WebSocketServer.Refusal refusal(int status, String reason, String message, String type) {
    return new WebSocketServer.Refusal(status, reason, Json.write(Json.obj("error",
        Json.obj("message", message, "type", type, "param", null, "code", null))));
  }

  static Map<String, String> query(String raw) {
    Map<String, String> m = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return m;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      m.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return m;
  }

  private static String pathQueryWithoutKey(String raw) {
    if (raw == null || raw.isEmpty()) {
      return "";
    }
    List<String> kept = new ArrayList<>();
    for (String pair : raw.split("&")) {
      if (!pair.startsWith("api-key=")) {
        kept.add(pair);
      }
    }
    return kept.isEmpty() ? "" : "?" + String.join("&", kept);
  }

  private static String hostOf(String hostHeader) {
    if (hostHeader == null) {
      return null;
    }
    String h = hostHeader.trim();
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end > 0 ? h.substring(1, end) : h;
    }
    int colon = h.lastIndexOf(':');
    return colon > 0 ? h.substring(0, colon) : h;
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  static void quietly(IORunnable r) {
    try {
      r.run();
    } catch (IOException ignored) {
      // the client went away; the player notices on its next read
    }
  }

  interface IORunnable {
    void run() throws IOException;
  }
}
