package dev.tokenledger.simulator;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import javax.net.ssl.SSLContext;

/**
 * A local fake of the OpenAI HTTP API (and of Azure OpenAI's deployment URLs) that serves realistic
 * responses and records, as {@link GroundTruth}, exactly the usage it sent.
 *
 * <p>Endpoints live under {@code /v1} (and {@code /openai/v1}, {@code /openai/deployments/{d}}).
 * Fault scenarios are selected by the request's model name ({@code sim-malformed},
 * {@code sim-truncated}, {@code sim-cut-stream}, {@code sim-binary}, {@code sim-huge},
 * {@code sim-unknown-fields}, {@code sim-error-429}, {@code sim-error-500},
 * {@code sim-slow-stream}; for Responses also {@code sim-incomplete}, {@code sim-failed}) so any
 * client can trigger them. A request header {@code X-Sim-Latency-Ms: N} delays the answer by N ms.
 * A request with {@code Accept-Encoding: gzip} and {@code X-Sim-Gzip: 1}
 * gets a gzip-encoded body.
 *
 * <p>Control endpoints (never recorded): {@code GET /__simulator/ground-truth} (JSON lines),
 * {@code GET /__simulator/export/completions.csv} (daily OpenAI-style export, {@link UsageExport}),
 * {@code POST /__simulator/reset}, {@code GET /__simulator/health},
 * {@code GET /__simulator/realtime-connections} (JSON lines, {@link RealtimeConnectionTruth}).
 *
 * <p>The Realtime API runs on a second port ({@link #realtimeUri()}), a WebSocket server whose
 * billable units land in the same ground truth.
 */
public final class OpenAiSimulator implements AutoCloseable {

  /** A word that starts every generated completion text and appears nowhere else. */
  public static final String COMPLETION_MARKER = "Quillwort";

  /** A word that starts every transcript of the user's Realtime audio and appears nowhere else. */
  public static final String TRANSCRIPT_MARKER = "Bramblefinch";


  /** Thrown inside a handler to make the JDK server drop the connection mid-response. */
  private static final class DropConnection extends RuntimeException {
    DropConnection() {
      super("simulated connection drop", null, false, false);
    }
  }

  private final List<HttpServer> servers = new ArrayList<>();
  private final ExecutorService executor;
  private final int port;
  private final Endpoints endpoints = new Endpoints();
  private final List<GroundTruth> truth = new ArrayList<>();
  /** Reset by {@link #reset()}: usage numbers depend on (body, position since reset). */
  private final AtomicLong sequence = new AtomicLong();
  /** Never reset: ids stay unique for the life of the instance. */
  private final AtomicLong idSequence = new AtomicLong();
  private final long idSalt = new SecureRandom().nextLong();
  private final RealtimeEndpoint realtime;
  private final WebSocketServer realtimeServer;
  /** The HTTPS port once {@link #serveHttps} was called, else 0. */
  private int httpsPort;

  private OpenAiSimulator(int requestedPort) throws IOException {
    AtomicInteger threads = new AtomicInteger();
    executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "openai-simulator-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    List<HttpServer> plain = listen(requestedPort, HttpServer::create);
    port = plain.get(0).getAddress().getPort();
    servers.addAll(plain);
    realtime = new RealtimeEndpoint(g -> {
      synchronized (truth) {
        truth.add(g);
      }
    }, idSalt);
    realtimeServer = new WebSocketServer(realtime);
  }

  /** Binds the same kind of server on 127.0.0.1 and on the other loopback addresses of localhost, one port. */
  private interface ServerFactory {
    HttpServer create(InetSocketAddress address, int backlog) throws IOException;
  }

  /**
   * Servers on 127.0.0.1 (the first; port 0 picks a free port) and, on the same port, on every other
   * loopback address "localhost" resolves to, each handled like the first and started.
   */
  private List<HttpServer> listen(int requestedPort, ServerFactory factory) throws IOException {
    List<HttpServer> bound = new ArrayList<>();
    InetAddress v4 = InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
    HttpServer primary = factory.create(new InetSocketAddress(v4, requestedPort), 64);
    int chosen = primary.getAddress().getPort();
    bound.add(primary);
    // "localhost" must reach the simulator too (the non-OpenAI-host scenario, Azure over HTTPS). Where
    // it also resolves to another loopback address such as ::1, listen there on the same port; a client
    // that tries ::1 first then gets the simulator instead of a refused connection.
    try {
      for (InetAddress a : InetAddress.getAllByName("localhost")) {
        if (a.isLoopbackAddress() && !a.equals(v4)) {
          try {
            bound.add(factory.create(new InetSocketAddress(a, chosen), 64));
          } catch (IOException unavailable) {
            // no such interface or port taken there: 127.0.0.1 still serves
          }
        }
      }
    } catch (IOException unresolvable) {
      // localhost not resolvable: nothing more to bind
    }
    for (HttpServer s : bound) {
      s.createContext("/", this::handle);
      s.setExecutor(executor);
      s.start();
    }
    return bound;
  }

  /**
   * Also serves everything over HTTPS, on a port of its own, with the given server context (a test
   * certificate, {@link TestCertificate}): the Azure OpenAI SDK sends an API key over HTTPS only. Same
   * endpoints, same ground truth. Calling it again keeps the first port.
   *
   * @return the HTTPS port
   */
  public synchronized int serveHttps(SSLContext context) {
    if (httpsPort == 0) {
      HttpsConfigurator configurator = new HttpsConfigurator(context);
      try {
        List<HttpServer> https = listen(0, (address, backlog) -> {
          HttpsServer server = HttpsServer.create(address, backlog);
          server.setHttpsConfigurator(configurator);
          return server;
        });
        servers.addAll(https);
        httpsPort = https.get(0).getAddress().getPort();
      } catch (IOException e) {
        throw new IllegalStateException("cannot serve HTTPS", e);
      }
    }
    return httpsPort;
  }

  /**
   * {@code https://localhost:PORT}, without a path: what the Azure OpenAI SDK takes as its endpoint
   * (the certificate names localhost). Only after {@link #serveHttps}.
   */
  public synchronized String httpsEndpoint() {
    if (httpsPort == 0) {
      throw new IllegalStateException("not serving HTTPS: call serveHttps first");
    }
    return "https://localhost:" + httpsPort;
  }

  /** Starts a simulator on 127.0.0.1; port 0 picks a free port. */
  public static OpenAiSimulator start(int port) {
    // Without TCP_NODELAY the JDK server's small writes meet the client's delayed ACK: every
    // response would take ~40 ms, hiding any client-side cost in the benchmark.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    try {
      return new OpenAiSimulator(port);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the OpenAI simulator on port " + port, e);
    }
  }

  public int port() {
    return port;
  }

  /** {@code http://127.0.0.1:PORT/v1}, what an OpenAI client takes as its base URL. */
  public String baseUrl() {
    return "http://127.0.0.1:" + port + "/v1";
  }

  /**
   * {@code ws://127.0.0.1:RPORT}: the Realtime API's WebSocket server (its own port); append
   * {@code /v1/realtime?model=…} and the like (see {@link RealtimeEndpoint}).
   */
  public String realtimeUri() {
    return "ws://127.0.0.1:" + realtimeServer.port();
  }

  /** The Realtime connections that have ended so far, in the order they ended. */
  public List<RealtimeConnectionTruth> realtimeConnections() {
    return realtime.connections();
  }

  /**
   * Waits until no Realtime connection is open and at least {@code ended} have ended (a client's
   * close reaches the simulator a little after the client returns). False on timeout.
   */
  public boolean awaitRealtimeIdle(int ended, java.time.Duration timeout) throws InterruptedException {
    return realtime.awaitIdle(ended, timeout.toMillis());
  }

  /** A snapshot of everything recorded so far, in the order responses were planned. */
  public List<GroundTruth> groundTruth() {
    synchronized (truth) {
      return List.copyOf(truth);
    }
  }

  /** Forgets recorded ground truth and restarts the deterministic usage sequence. */
  public void reset() {
    synchronized (truth) {
      truth.clear();
      sequence.set(0);
    }
    realtime.reset();
  }

  @Override
  public void close() {
    List<HttpServer> all;
    synchronized (this) {
      all = List.copyOf(servers);
    }
    for (HttpServer s : all) {
      s.stop(0);
    }
    realtimeServer.close();
    executor.shutdownNow();
  }

  // ------------------------------------------------------------------ HTTP handling

  private void handle(HttpExchange ex) throws IOException {
    try {
      String path = ex.getRequestURI().getRawPath();
      if (path.startsWith("/__simulator/")) {
        control(ex, path);
      } else if (path.equals(UsageApi.PATH)) {
        UsageApi.serve(ex, this::groundTruth);
      } else {
        serve(ex, path);
      }
      ex.close();
    } catch (DropConnection drop) {
      // Not closing the exchange: that would finish the body properly. Throwing out of the handler
      // makes the JDK server close the socket instead, which is the fault being simulated.
      throw drop;
    } catch (IOException clientGone) {
      ex.close(); // the client went away; nothing to answer
    } catch (RuntimeException bug) {
      bug.printStackTrace();
      try {
        sendFixed(ex, 500, "application/json",
            errorJson("simulator bug: " + bug, "simulator_error", null));
      } catch (IOException | RuntimeException ignored) {
        // response already started
      }
      ex.close();
    }
  }

  private void control(HttpExchange ex, String path) throws IOException {
    ex.getRequestBody().readAllBytes();
    switch (path) {
      case "/__simulator/ground-truth" -> {
        StringBuilder sb = new StringBuilder();
        for (GroundTruth g : groundTruth()) {
          sb.append(g.toJson()).append('\n');
        }
        sendFixed(ex, 200, "application/x-ndjson", sb.toString().getBytes(StandardCharsets.UTF_8));
      }
      case "/__simulator/export/completions.csv" -> sendFixed(ex, 200, "text/csv; charset=utf-8",
          UsageExport.toCsv(UsageExport.completionsDaily(groundTruth()))
              .getBytes(StandardCharsets.UTF_8));
      case "/__simulator/realtime-connections" -> {
        StringBuilder sb = new StringBuilder();
        for (RealtimeConnectionTruth c : realtimeConnections()) {
          sb.append(c.toJson()).append('\n');
        }
        sendFixed(ex, 200, "application/x-ndjson", sb.toString().getBytes(StandardCharsets.UTF_8));
      }
      case "/__simulator/reset" -> {
        reset();
        sendFixed(ex, 204, null, new byte[0]);
      }
      case "/__simulator/health" -> sendFixed(ex, 200, "text/plain", "ok\n".getBytes(StandardCharsets.UTF_8));
      default -> sendFixed(ex, 404, "text/plain", "unknown control path\n".getBytes(StandardCharsets.UTF_8));
    }
  }

  private void serve(HttpExchange ex, String path) throws IOException {
    byte[] body = ex.getRequestBody().readAllBytes();
    String ce = ex.getRequestHeaders().getFirst("Content-Encoding");
    if (ce != null && ce.toLowerCase(Locale.ROOT).contains("gzip")) {
      try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
        body = in.readAllBytes();
      }
    }
    // Where the API path starts: /v1/…, Azure v1 /openai/v1/…, Azure classic
    // /openai/deployments/{deployment}/…?api-version=…
    String route = null;
    String deployment = null;
    boolean azure = false;
    if (path.startsWith("/v1/")) {
      route = path.substring(3);
    } else if (path.startsWith("/openai/v1/")) {
      route = path.substring(10);
      azure = true;
    } else if (path.startsWith("/openai/deployments/")) {
      String rest = path.substring("/openai/deployments/".length());
      int slash = rest.indexOf('/');
      if (slash > 0) {
        deployment = decode(rest.substring(0, slash));
        route = rest.substring(slash);
        azure = true;
      }
    }
    String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
    String api = route == null ? null : Endpoints.apiOf(method, route);
    if (api == null) {
      sendFixed(ex, 404, "application/json", errorJson("Invalid URL (" + method + " " + path + ")",
          "invalid_request_error", null));
      return;
    }
    Headers rh = ex.getRequestHeaders();
    String contentType = rh.getFirst("Content-Type");
    Map<String, Object> json = null;
    // Lenient like the real API: any non-multipart body that parses as a JSON object counts.
    boolean multipart = contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("multipart/");
    if (body.length > 0 && !multipart) {
      try {
        if (Json.parse(new String(body, StandardCharsets.UTF_8)) instanceof Map<?, ?> m) {
          @SuppressWarnings("unchecked")
          Map<String, Object> mm = (Map<String, Object>) m;
          json = mm;
        }
      } catch (IllegalArgumentException notJson) {
        json = null;
      }
    }
    Multipart form = Multipart.parse(contentType, body);
    long n = sequence.incrementAndGet();
    long id = idSequence.incrementAndGet();
    long usageSeed = seedOf(method + " " + route + "\n", body) ^ mix(n);
    SimRequest q = new SimRequest(method, route, rh, body, json, form, deployment, azure,
        hostOf(rh.getFirst("Host")), usageSeed, mix(idSalt ^ mix(id)));

    Reply reply;
    if (q.header("Authorization") == null && q.header("api-key") == null) {
      reply = Endpoints.error(q, api, 401, "invalid_request_error", null,
          "You didn't provide an API key. You need to provide your API key in an Authorization "
              + "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).");
    } else {
      reply = endpoints.dispatch(q);
    }
    send(ex, q, reply);
  }

  private void send(HttpExchange ex, SimRequest q, Reply r) throws IOException {
    SplittableRandom ids = q.idRng;
    String requestId = q.azure ? UUID.nameUUIDFromBytes(Endpoints.hex(ids, 32).getBytes(StandardCharsets.US_ASCII)).toString()
        : "req_" + Endpoints.hex(ids, 32);
    byte[] logical = r.logicalBytesSent();
    String sha = sha256Hex(logical);
    Instant now = Instant.now();
    synchronized (truth) {
      for (Reply.Outcome o : r.outcomes) {
        truth.add(new GroundTruth(o.responseId(),
            o.requestIdOverride() != null ? o.requestIdOverride() : requestId, o.api(), o.model(),
            o.requestModel(), r.status, o.usageSource(), o.tokens().toMap(), o.audioSeconds(),
            o.inputCharacters(), o.serviceTier(), o.batch(), o.streamed(), q.project(), sha,
            logical.length, now, q.host));
      }
    }

    Headers h = ex.getResponseHeaders();
    h.set("Content-Type", r.contentType);
    h.set("x-request-id", requestId);
    if (q.azure) {
      h.set("apim-request-id", UUID.nameUUIDFromBytes(Endpoints.hex(ids, 32).getBytes(StandardCharsets.US_ASCII)).toString());
      h.set("x-ms-region", "East US");
      h.set("x-ms-rai-invoked", "true");
      h.set("x-ratelimit-remaining-requests", "99");
      h.set("x-ratelimit-remaining-tokens", "99000");
    } else {
      h.set("openai-organization", "tokenledger-sim");
      if (q.project() != null) {
        h.set("openai-project", q.project());
      }
      h.set("openai-version", "2020-10-01");
      h.set("x-ratelimit-limit-requests", "30000");
      h.set("x-ratelimit-limit-tokens", "150000000");
      h.set("x-ratelimit-remaining-requests", "29999");
      h.set("x-ratelimit-remaining-tokens", String.valueOf(149_999_000 + ids.nextInt(1000)));
      h.set("x-ratelimit-reset-requests", "2ms");
      h.set("x-ratelimit-reset-tokens", "0s");
    }
    h.set("openai-processing-ms", String.valueOf(80 + ids.nextInt(1900)));
    r.headers.forEach(h::set);

    // Benchmarks ask for a provider-like think time, so client overhead is seen in proportion.
    String latency = q.header("X-Sim-Latency-Ms");
    if (latency != null) {
      try {
        Thread.sleep(Math.min(60_000, Long.parseLong(latency.trim())));
      } catch (NumberFormatException | InterruptedException ignored) {
        // a bad value means no delay
      }
    }

    // Faults are about framing, so they are sent uncompressed.
    boolean gzip = r.fault == Reply.Fault.NONE && q.acceptsGzip() && "1".equals(q.header("X-Sim-Gzip"));
    if (gzip) {
      h.set("Content-Encoding", "gzip");
    }
    switch (r.fault) {
      case NONE -> {
        if (!r.chunked) {
          byte[] wire = gzip ? gzip(logical) : logical;
          ex.sendResponseHeaders(r.status, wire.length == 0 ? -1 : wire.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(wire);
          }
        } else {
          ex.sendResponseHeaders(r.status, 0);
          OutputStream raw = ex.getResponseBody();
          try (OutputStream out = gzip ? new GZIPOutputStream(raw, 8192, true) : raw) {
            writeSegments(out, r, r.segments.size());
          }
        }
      }
      case TRUNCATE -> {
        ex.sendResponseHeaders(r.status, r.body().length);
        OutputStream out = ex.getResponseBody();
        out.write(logical);
        out.flush();
        throw new DropConnection();
      }
      case CUT -> {
        ex.sendResponseHeaders(r.status, 0);
        OutputStream out = ex.getResponseBody();
        writeSegments(out, r, r.cutAfterSegments);
        out.flush();
        throw new DropConnection();
      }
    }
  }

  private static void writeSegments(OutputStream out, Reply r, int count) throws IOException {
    for (int i = 0; i < count; i++) {
      if (i > 0 && r.delayMillis > 0) {
        try {
          Thread.sleep(r.delayMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
      out.write(r.segments.get(i));
      out.flush();
    }
  }

  private static void sendFixed(HttpExchange ex, int status, String contentType, byte[] body)
      throws IOException {
    if (contentType != null) {
      ex.getResponseHeaders().set("Content-Type", contentType);
    }
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  private static byte[] errorJson(String message, String type, String code) {
    return Json.write(Json.obj("error", Json.obj("message", message, "type", type, "param", null,
        "code", code))).getBytes(StandardCharsets.UTF_8);
  }

  private static String decode(String s) {
    return java.net.URLDecoder.decode(s, StandardCharsets.UTF_8);
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

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream bos = new ByteArrayOutputStream(data.length / 4 + 64);
    try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
      gz.write(data);
    }
    return bos.toByteArray();
  }

  static String sha256Hex(byte[] data) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(data);
      StringBuilder sb = new StringBuilder(64);
      for (byte b : d) {
        sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
      }
      return sb.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long seedOf(String prefix, byte[] body) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(prefix.getBytes(StandardCharsets.UTF_8));
      md.update(body);
      byte[] d = md.digest();
      long s = 0;
      for (int i = 0; i < 8; i++) {
        s = (s << 8) | (d[i] & 0xff);
      }
      return s;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** SplitMix64 finalizer: spreads small counters over all 64 bits. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  // ------------------------------------------------------------------ standalone

  /** {@code java -jar tokenledger-openai-simulator.jar [--port N]}: prints the base URL, runs until killed. */
  public static void main(String[] args) throws InterruptedException {
    int port = 0;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--port" -> {
          if (i + 1 >= args.length) {
            usage(System.err, "--port needs a value");
          }
          try {
            port = Integer.parseInt(args[++i]);
          } catch (NumberFormatException e) {
            usage(System.err, "--port must be a number: " + args[i]);
          }
        }
        case "-h", "--help" -> usage(System.out, null);
        default -> usage(System.err, "unknown argument: " + args[i]);
      }
    }
    OpenAiSimulator sim = start(port);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      sim.close();
      stopped.countDown();
    }));
    System.out.println(sim.baseUrl());
    System.err.println("Realtime: " + sim.realtimeUri() + "/v1/realtime?model=gpt-realtime");
    System.out.flush();
    stopped.await();
  }

  private static void usage(PrintStream out, String problem) {
    if (problem != null) {
      out.println("error: " + problem);
    }
    out.println("usage: OpenAiSimulator [--port N]   (0 or absent = a free port)");
    out.println("Prints the base URL (http://127.0.0.1:PORT/v1) and serves until killed.");
    out.println("Ground truth: GET http://127.0.0.1:PORT/__simulator/ground-truth (JSON lines)");
    System.exit(problem == null ? 0 : 2);
  }
}
