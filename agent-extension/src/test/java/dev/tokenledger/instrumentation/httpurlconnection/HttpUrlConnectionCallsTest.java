package dev.tokenledger.instrumentation.httpurlconnection;

import static dev.tokenledger.agent.SimulatorLedger.REQUEST_MODEL;
import static dev.tokenledger.agent.SimulatorLedger.SOURCE;
import static dev.tokenledger.agent.SimulatorLedger.STATUS;
import static dev.tokenledger.agent.SimulatorLedger.chat;
import static dev.tokenledger.agent.SimulatorLedger.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.tokenledger.agent.CallProbe;
import dev.tokenledger.agent.Instrumenters;
import dev.tokenledger.agent.SimulatorLedger;
import dev.tokenledger.agent.TestTelemetry;
import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.simulator.OpenAiSimulator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link HttpUrlConnectionCalls}, driven by real {@code HttpURLConnection}s against the simulator the
 * way the advice drives it (see {@link AdvisedConnection}): every record equals the simulator's
 * ground truth, the application reads exactly the bytes the simulator sent, and nothing of ours
 * reaches the application, whatever the body is, however far it is read and whichever way the
 * application lets go of the connection.
 */
@ExtendWith(TestTelemetry.Extension.class)
class HttpUrlConnectionCallsTest {

  static final String KEY = "sk-proj-HttpUrlConnectionTestKey0123456789XYZW";
  static final String PROJECT = "proj_url_connection";

  static OpenAiSimulator simulator;
  HttpUrlConnectionCalls calls;

  @BeforeAll
  static void startSimulator() {
    simulator = OpenAiSimulator.start(0);
  }

  @AfterAll
  static void stopSimulator() {
    simulator.close();
  }

  @BeforeEach
  void freshCalls() {
    simulator.reset();
    calls = new HttpUrlConnectionCalls(Instrumenters.forHosts("127.0.0.1"));
  }

  // ---- requests as applications make them ----

  AdvisedConnection open(String base, String path) throws IOException {
    HttpURLConnection connection = (HttpURLConnection) new URL(base + path).openConnection();
    connection.setConnectTimeout(10_000);
    connection.setReadTimeout(30_000);
    return new AdvisedConnection(connection, calls);
  }

  AdvisedConnection open(String path) throws IOException {
    return open(simulator.baseUrl(), path);
  }

  /** A JSON POST with credentials, the body written through the (advised) output stream. */
  static void post(AdvisedConnection c, byte[] body) throws IOException {
    c.connection.setRequestMethod("POST");
    c.connection.setDoOutput(true);
    c.setRequestProperty("Authorization", "Bearer " + KEY);
    c.setRequestProperty("OpenAI-Project", PROJECT);
    c.setRequestProperty("Content-Type", "application/json");
    try (OutputStream out = c.getOutputStream()) {
      out.write(body);
    }
  }

  AdvisedConnection postChat(String model, boolean stream) throws IOException {
    AdvisedConnection c = open("/chat/completions");
    post(c, chat(model, stream));
    return c;
  }

  /** What the application read of a body: its bytes, and the exception that stopped it, if any. */
  record Read(byte[] bytes, IOException failure) {}

  static Read readAll(InputStream in) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try (in) {
      for (int n; (n = in.read(buffer, 0, buffer.length)) != -1; ) {
        out.write(buffer, 0, n);
      }
      return new Read(out.toByteArray(), null);
    } catch (IOException e) {
      return new Read(out.toByteArray(), e);
    }
  }

  // ---- what was recorded ----

  static GroundTruth onlyTruth() {
    List<GroundTruth> truth = simulator.groundTruth();
    assertEquals(1, truth.size(), () -> "one response sent: " + truth);
    return truth.get(0);
  }

  static Attributes onlyRow() {
    List<LogRecordData> rows = CallProbe.rows();
    assertEquals(1, rows.size(), () -> "one ledger row: " + rows);
    return rows.get(0).getAttributes();
  }

  /** The one row equals what the simulator sent, field for field, and names the caller's project and key. */
  static Attributes assertRowIsTheTruth(GroundTruth truth) {
    Attributes row = onlyRow();
    SimulatorLedger.assertRowMatches(truth, row);
    assertEquals(truth.requestId(), row.get(SimulatorLedger.REQUEST_ID));
    assertEquals(PROJECT, row.get(AttributeKey.stringKey("openai.project")));
    assertEquals("sk-proj…XYZW", row.get(AttributeKey.stringKey("tokenledger.api_key.fingerprint")));
    return row;
  }

  // ---- plain, streamed, compressed ----

  @Test
  void aJsonResponseIsRecordedExactlyAndTheCallSpansTheSendingMethods() throws Exception {
    Span app = TestTelemetry.SDK.getTracer("app").spanBuilder("app").startSpan();
    AdvisedConnection c;
    int status;
    Read read;
    try (Scope ignored = app.makeCurrent()) {
      c = postChat("gpt-4o-mini", false);
      status = c.getResponseCode();
      read = readAll(c.getInputStream());
    }
    app.end();
    assertEquals(200, status);
    assertNull(read.failure());
    GroundTruth truth = onlyTruth();
    assertEquals(truth.bodySha256(), sha256(read.bytes()), "the application read the bytes sent");
    Attributes row = assertRowIsTheTruth(truth);
    assertEquals("completed", row.get(STATUS));
    assertEquals("gpt-4o-mini", row.get(REQUEST_MODEL), "the model comes from the body the application wrote");

    SpanData call = CallProbe.spans().stream().filter(s -> s.getName().startsWith("chat")).findFirst().orElseThrow();
    assertEquals("chat gpt-4o-mini", call.getName());
    assertEquals(app.getSpanContext().getSpanId(), call.getParentSpanId(), "the call runs in the application's context");
    assertEquals(3, c.contextsInside.size(), "getOutputStream, and getInputStream twice");
    for (SpanContext inside : c.contextsInside) {
      assertEquals(call.getSpanContext(), inside, "a client span started inside the JDK's methods is the call's child");
    }
    assertFalse(Span.current().getSpanContext().isValid(), "and nothing stays current after them");
  }

  @Test
  void aStreamReadLineByLineIsRecordedAtItsEnd() throws Exception {
    AdvisedConnection c = postChat("gpt-4o-mini", true);
    assertEquals(200, c.getResponseCode());
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    int events = 0;
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = lines.readLine()) != null; ) {
        seen.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        if (line.startsWith("data: ")) {
          events++;
          assertNull(CallProbe.endStatus(), "nothing is recorded before the stream ends");
        }
      }
    }
    assertTrue(events > 2, "streamed in events: " + events);
    GroundTruth truth = onlyTruth();
    assertTrue(truth.streamed());
    assertEquals(truth.bodySha256(), sha256(seen.toByteArray()));
    assertEquals("completed", assertRowIsTheTruth(truth).get(STATUS));
    assertEquals(Boolean.TRUE, CallProbe.span().getAttributes().get(AttributeKey.booleanKey("gen_ai.request.stream")));
  }

  @Test
  void aGzipBodyIsPassedThroughAsSentAndDecodedForTheLedger() throws Exception {
    AdvisedConnection c = open("/chat/completions");
    c.setRequestProperty("Accept-Encoding", "gzip");
    c.setRequestProperty("X-Sim-Gzip", "1");
    post(c, chat("gpt-4o-mini", false));
    assertEquals(200, c.getResponseCode());
    assertEquals("gzip", c.connection.getContentEncoding(), "HttpURLConnection leaves the encoding to the application");
    Read read = readAll(new GZIPInputStream(c.getInputStream()));
    assertNull(read.failure());
    GroundTruth truth = onlyTruth();
    assertEquals(truth.bodySha256(), sha256(read.bytes()));
    assertRowIsTheTruth(truth);
  }

  @Test
  void aStreamAskedForTwiceIsOneStreamCountedOnce() throws Exception {
    AdvisedConnection c = postChat("gpt-4o-mini", true);
    InputStream first = c.getInputStream();
    InputStream second = c.getInputStream();
    assertSame(first, second, "the same JDK stream gets the same wrapper");
    assertEquals(200, c.getResponseCode());
    assertSame(first, c.getInputStream());
    byte[] head = first.readNBytes(10);
    Read rest = readAll(second);
    GroundTruth truth = onlyTruth();
    byte[] all = new byte[head.length + rest.bytes().length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(rest.bytes(), 0, all, head.length, rest.bytes().length);
    assertEquals(truth.bodySha256(), sha256(all));
    assertRowIsTheTruth(truth);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"fixed-length", "chunked"})
  void aStreamedRequestBodyIsScannedAsWritten(String mode) throws Exception {
    byte[] body = chat("gpt-4o-mini", false);
    AdvisedConnection c = open("/chat/completions");
    if (mode.equals("chunked")) {
      c.connection.setChunkedStreamingMode(7);
    } else {
      c.connection.setFixedLengthStreamingMode(body.length);
    }
    c.connection.setDoOutput(true); // the JDK sends a GET with output as a POST
    c.setRequestProperty("Authorization", "Bearer " + KEY);
    c.setRequestProperty("OpenAI-Project", PROJECT);
    c.setRequestProperty("Content-Type", "application/json");
    c.connect();
    OutputStream out = c.getOutputStream();
    assertSame(out, c.getOutputStream(), "the same JDK stream gets the same wrapper");
    for (byte b : body) {
      out.write(b);
    }
    out.close();
    Read read = readAll(c.getInputStream());
    assertNull(read.failure());
    GroundTruth truth = onlyTruth();
    assertEquals("gpt-4o-mini", truth.requestModel());
    assertEquals("gpt-4o-mini", assertRowIsTheTruth(truth).get(REQUEST_MODEL));
  }

  @Test
  void theCredentialTheJdkHidesIsTheOneLastSet() throws Exception {
    AdvisedConnection c = open("/chat/completions");
    c.setRequestProperty("Authorization", "Bearer sk-proj-replaced-before-sending-0000");
    c.setRequestProperty("Authorization", "Bearer " + KEY);
    c.addRequestProperty("Authorization", "Bearer sk-proj-added-second-is-not-sent-1111");
    assertNull(c.connection.getRequestProperty("Authorization"), "the JDK never shows it again");
    c.connection.setRequestMethod("POST");
    c.connection.setDoOutput(true);
    c.setRequestProperty("OpenAI-Project", PROJECT);
    c.setRequestProperty("Content-Type", "application/json");
    try (OutputStream out = c.getOutputStream()) {
      out.write(chat("gpt-4o-mini", false));
    }
    readAll(c.getInputStream());
    assertRowIsTheTruth(onlyTruth());
  }

  @Test
  void bodiesTheJdkKnowsToBeEmptyEndTheCallAtTheHead() {
    ResponseHeaders none = new ResponseHeaders(Map.of());
    ResponseHeaders zero = new ResponseHeaders(Map.of("content-length", List.of(" 0")));
    ResponseHeaders some = new ResponseHeaders(Map.of("Content-Length", List.of("10")));
    assertTrue(ConnectionState.emptyBody(200, "HEAD", some));
    assertTrue(ConnectionState.emptyBody(204, "POST", none));
    assertTrue(ConnectionState.emptyBody(304, "GET", none));
    assertTrue(ConnectionState.emptyBody(429, "POST", zero));
    assertFalse(ConnectionState.emptyBody(200, "POST", some));
    assertFalse(ConnectionState.emptyBody(500, "POST", none));
  }

  // ---- error responses ----

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"sim-error-429", "sim-error-500"})
  void anErrorBodyReadFromTheErrorStreamIsAnErrorWithoutTokens(String model) throws Exception {
    AdvisedConnection c = postChat(model, false);
    IOException refused = assertThrows(IOException.class, c::getInputStream);
    assertFalse(refused instanceof FileNotFoundException);
    int status = c.getResponseCode();
    assertTrue(status == 429 || status == 500, "status " + status);
    InputStream error = c.getErrorStream();
    assertSame(error, c.getErrorStream(), "asked for twice, wrapped once");
    Read read = readAll(error);
    GroundTruth truth = onlyTruth();
    assertEquals("none", truth.usageSource());
    assertEquals(truth.bodySha256(), sha256(read.bytes()), "the application reads the error JSON as sent");
    assertTrue(new String(read.bytes(), StandardCharsets.UTF_8).contains("\"error\""));
    assertTrue(CallProbe.rows().isEmpty(), "an error has no ledger row");
    assertEquals(Map.of("error/none", 1L), CallProbe.requests(), "it counts as a request without tokens");
    assertEquals(String.valueOf(status), CallProbe.errorType());
  }

  @Test
  void anErrorNobodyReadsEndsAtDisconnect() throws Exception {
    AdvisedConnection c = postChat("sim-error-429", false);
    assertEquals(429, c.getResponseCode());
    assertTrue(CallProbe.spans().isEmpty(), "the error body is still the application's to read");
    c.disconnect();
    assertEquals(Map.of("error/none", 1L), CallProbe.requests());
  }

  // ---- redirects the JDK follows ----

  /**
   * The JDK reads the 307's head, asks for its own status (re-entering getInputStream before the
   * status is parsed), then sends the POST again to the location and reads the answer: only that
   * answer is the call's. The location is on the same server (the JDK keeps the credential only
   * there), which relays it to the simulator.
   */
  @Test
  void aFollowedRedirectIsOneCallRecordedAsTheFinalAnswer() throws Exception {
    AtomicInteger redirected = new AtomicInteger();
    HttpClient relay = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpServer moved = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    moved.createContext("/v1/chat/completions", exchange -> {
      exchange.getRequestBody().readAllBytes();
      redirected.incrementAndGet();
      exchange.getResponseHeaders().set("Location", "/v1/moved/chat/completions");
      exchange.sendResponseHeaders(307, -1); // Content-Length: 0
      exchange.close();
    });
    moved.createContext("/v1/moved/", exchange -> {
      HttpRequest.Builder forwarded = HttpRequest.newBuilder(URI.create(simulator.baseUrl() + "/chat/completions"))
          .POST(HttpRequest.BodyPublishers.ofByteArray(exchange.getRequestBody().readAllBytes()));
      for (String name : List.of("Authorization", "OpenAI-Project", "Content-Type")) {
        String value = exchange.getRequestHeaders().getFirst(name);
        if (value != null) {
          forwarded.header(name, value);
        }
      }
      try {
        HttpResponse<byte[]> answer = relay.send(forwarded.build(), HttpResponse.BodyHandlers.ofByteArray());
        answer.headers().map().forEach((name, values) -> {
          if (!List.of("content-length", "transfer-encoding", "connection", "date").contains(name.toLowerCase())) {
            exchange.getResponseHeaders().put(name, values);
          }
        });
        exchange.sendResponseHeaders(answer.statusCode(), answer.body().length);
        exchange.getResponseBody().write(answer.body());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.close();
    });
    moved.start();
    try {
      URL url = new URL("http://127.0.0.1:" + moved.getAddress().getPort() + "/v1/chat/completions");
      HttpURLConnection connection = ReenteringConnection.open(url, calls);
      connection.setConnectTimeout(10_000);
      connection.setReadTimeout(30_000);
      connection.setRequestMethod("POST");
      connection.setDoOutput(true);
      connection.setRequestProperty("Authorization", "Bearer " + KEY);
      connection.setRequestProperty("OpenAI-Project", PROJECT);
      connection.setRequestProperty("Content-Type", "application/json");
      try (OutputStream out = connection.getOutputStream()) {
        out.write(chat("gpt-4o-mini", false));
      }
      assertEquals(200, connection.getResponseCode());
      assertTrue(CallProbe.rows().isEmpty(), () -> "nothing ends at the redirect's head: " + CallProbe.rows() + " " + CallProbe.requests());
      Read read = readAll(connection.getInputStream());
      assertNull(read.failure());
      assertEquals(1, redirected.get(), "the JDK followed one redirect");
      GroundTruth truth = onlyTruth();
      assertEquals(truth.bodySha256(), sha256(read.bytes()), "the application read the answer as sent");
      assertEquals("completed", assertRowIsTheTruth(truth).get(STATUS));
      assertEquals(Map.of("completed/" + truth.usageSource(), 1L), CallProbe.requests(), "one call, one request");
    } finally {
      moved.stop(0);
    }
  }

  // ---- bodies not read to their end ----

  @Test
  void disconnectingMidStreamEndsTheCallTruncated() throws Exception {
    AdvisedConnection c = postChat("sim-slow-stream", true);
    BufferedReader lines = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8));
    assertNotNull(lines.readLine());
    assertNull(CallProbe.endStatus());
    c.disconnect();
    Attributes row = onlyRow();
    assertEquals("missing", row.get(SOURCE));
    assertEquals("truncated", row.get(STATUS));
    assertThrows(IOException.class, () -> {
      while (lines.readLine() != null) {
        // the JDK's stream is closed under the application
      }
    });
    assertEquals(1, CallProbe.rows().size(), "ended once");
  }

  @Test
  void closingTheStreamEarlyEndsTheCallTruncated() throws Exception {
    AdvisedConnection c = postChat("gpt-4o-mini", true);
    InputStream in = c.getInputStream();
    assertEquals(5, in.readNBytes(5).length);
    in.close();
    assertEquals("truncated", onlyRow().get(STATUS));
    c.disconnect();
    assertEquals(1, CallProbe.rows().size());
  }

  @Test
  void aBodyNeverReadEndsAtDisconnectAsMissing() throws Exception {
    AdvisedConnection c = postChat("gpt-4o-mini", false);
    assertEquals(200, c.getResponseCode());
    assertTrue(CallProbe.rows().isEmpty());
    c.disconnect();
    Attributes row = onlyRow();
    assertEquals("missing", row.get(SOURCE));
    assertEquals("truncated", row.get(STATUS));
    assertEquals(onlyTruth().requestId(), row.get(AttributeKey.stringKey("openai.request.id")));
  }

  @Test
  void aConnectionDroppedAfterTheStatusEndsWhenCollectedWithoutAnyFurtherUse() throws Exception {
    askForTheStatusOnlyAndDropTheConnection();
    assertTrue(CallProbe.rows().isEmpty());
    // No HttpURLConnection method runs from here on, as in an application that exits after an error.
    for (int i = 0; i < 250 && CallProbe.rows().isEmpty(); i++) {
      System.gc();
      Thread.sleep(20);
    }
    Attributes row = onlyRow();
    assertEquals("missing", row.get(SOURCE));
    assertEquals("truncated", row.get(STATUS));
    assertEquals(0, calls.trackedConnections(), "the connection's state went with it");
    Thread reaper = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals(TrackedConnections.Reaper.THREAD_NAME))
        .findFirst()
        .orElseThrow();
    assertTrue(reaper.isDaemon(), "it never keeps the application's JVM alive");
  }

  private void askForTheStatusOnlyAndDropTheConnection() throws IOException {
    AdvisedConnection c = postChat("gpt-4o-mini", false);
    assertEquals(200, c.getResponseCode());
    assertEquals(1, calls.trackedConnections());
  }

  @Test
  void aStreamStillBeingReadKeepsItsConnection() throws Exception {
    InputStream in = streamWhoseConnectionIsDropped();
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(10);
      calls.trackedConnections();
    }
    assertTrue(CallProbe.rows().isEmpty(), "not ended while the application reads");
    Read rest = readAll(in);
    assertNull(rest.failure());
    assertEquals("completed", assertRowIsTheTruth(onlyTruth()).get(STATUS));
  }

  private InputStream streamWhoseConnectionIsDropped() throws IOException {
    AdvisedConnection c = postChat("gpt-4o-mini", true);
    InputStream in = c.getInputStream();
    assertEquals(3, in.readNBytes(3).length);
    return in;
  }

  // ---- requests that get no response ----

  @Test
  void aRefusedConnectionIsAFailedRequest() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    AdvisedConnection c = open("http://127.0.0.1:" + closedPort + "/v1", "/chat/completions");
    c.connection.setRequestMethod("POST");
    c.connection.setDoOutput(true);
    c.setRequestProperty("Authorization", "Bearer " + KEY);
    assertThrows(ConnectException.class, c::connect);
    assertEquals(Map.of("error/none", 1L), CallProbe.requests());
    assertEquals(ConnectException.class.getName(), CallProbe.errorType());
    assertTrue(CallProbe.rows().isEmpty());
  }

  @Test
  void disconnectingBeforeTheResponseIsAFailedRequest() throws Exception {
    AdvisedConnection c = open("/chat/completions");
    c.connection.setRequestMethod("POST");
    c.connection.setDoOutput(true);
    c.setRequestProperty("Authorization", "Bearer " + KEY);
    c.connect();
    c.disconnect();
    assertEquals(DisconnectedBeforeResponse.class.getName(), CallProbe.errorType());
    assertEquals(Map.of("error/none", 1L), CallProbe.requests());
    assertTrue(simulator.groundTruth().isEmpty(), "nothing was sent");
  }

  // ---- what is left alone ----

  @Test
  void otherHostsAndNonBillableCallsAreLeftAlone() throws Exception {
    String otherHost = simulator.baseUrl().replace("127.0.0.1", "localhost");
    AdvisedConnection other = open(otherHost, "/chat/completions");
    other.connection.setRequestMethod("POST");
    other.connection.setDoOutput(true);
    other.setRequestProperty("Authorization", "Bearer " + KEY);
    try (OutputStream out = other.getOutputStream()) {
      assertSame(other.connection.getOutputStream(), out, "not wrapped");
      out.write(chat("gpt-4o-mini", false));
    }
    InputStream in = other.getInputStream();
    assertSame(other.connection.getInputStream(), in, "not wrapped");
    readAll(in);
    assertEquals(0, calls.trackedConnections(), "other hosts are never kept");

    AdvisedConnection models = open("/models"); // not billable (and not served by the simulator)
    models.setRequestProperty("Authorization", "Bearer " + KEY);
    assertThrows(FileNotFoundException.class, models::getInputStream);
    InputStream notFound = models.getErrorStream();
    assertFalse(notFound instanceof ConnectionInputStream, "not wrapped");
    readAll(notFound);
    assertTrue(CallProbe.spans().isEmpty());
    assertTrue(CallProbe.rows().isEmpty());
    assertTrue(CallProbe.requests().isEmpty());
  }

  // ---- bad input ----

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"sim-malformed", "sim-truncated", "sim-binary", "sim-unknown-fields"})
  void badJsonBodiesAreRecordedAsTheTruthWithTheBytesUntouched(String model) throws Exception {
    AdvisedConnection c = postChat(model, false);
    Read read = readAll(c.getInputStream());
    GroundTruth truth = onlyTruth();
    assertEquals(truth.bodySha256(), sha256(read.bytes()), "the application read what was sent");
    if (read.failure() != null) {
      assertJdkFailure(read.failure());
    }
    assertRowIsTheTruth(truth);
  }

  @Test
  void aStreamCutMidwayIsMissingAndTheApplicationSeesTheJdksFailure() throws Exception {
    AdvisedConnection c = postChat("sim-cut-stream", true);
    Read read = readAll(c.getInputStream());
    GroundTruth truth = onlyTruth();
    assertEquals(truth.bodySha256(), sha256(read.bytes()));
    assertNotNull(read.failure(), "the cut is the JDK's to report");
    assertJdkFailure(read.failure());
    assertEquals("missing", truth.usageSource());
    assertEquals("truncated", assertRowIsTheTruth(truth).get(STATUS));
  }

  @Test
  void fiftyMegabytesAreReadThroughWithoutACopy() throws Exception {
    AdvisedConnection c = postChat("sim-huge", false);
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    long length = 0;
    try (InputStream in = c.getInputStream()) {
      assertTrue(in instanceof ConnectionInputStream);
      byte[] buffer = new byte[16 * 1024];
      for (int n; (n = in.read(buffer)) != -1; ) {
        digest.update(buffer, 0, n);
        length += n;
      }
    }
    GroundTruth truth = onlyTruth();
    assertTrue(length >= 50L << 20, "length " + length);
    assertEquals(truth.bodySha256(), HexFormat.of().formatHex(digest.digest()));
    assertEquals("completed", assertRowIsTheTruth(truth).get(STATUS));
  }

  /** A failure the JDK's stream raised itself, passed on unchanged. */
  static void assertJdkFailure(IOException failure) {
    assertTrue(failure.getClass().getName().startsWith("java."), failure.toString());
    StackTraceElement[] frames = failure.getStackTrace();
    assertFalse(frames.length > 0 && frames[0].getClassName().startsWith("dev.tokenledger"), "raised by TokenLedger: " + failure);
  }

  @Test
  void theWrapperShowsTheApplicationTheSameBytesWhateverTheReadSize() throws Exception {
    AdvisedConnection c = postChat("gpt-4o-mini", true);
    InputStream in = c.getInputStream();
    assertNotSame(c.connection.getInputStream(), in);
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    int[] sizes = {1, 3, 100, 7, 4096};
    byte[] scratch = new byte[4096 + 5];
    for (int i = 0; ; i++) {
      int size = sizes[i % sizes.length];
      int n = size == 1 ? in.read() : in.read(scratch, 5, size);
      if (n == -1) {
        break;
      }
      if (size == 1) {
        seen.write(n);
      } else {
        seen.write(scratch, 5, n);
      }
    }
    in.close();
    GroundTruth truth = onlyTruth();
    assertEquals(truth.bodySha256(), sha256(seen.toByteArray()));
    assertEquals("completed", assertRowIsTheTruth(truth).get(STATUS));
  }
}
