package dev.tokenledger.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.usage.UsageField;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The transports' tests with the real clients against the OpenAI simulator: the requests they send,
 * and the ledger rows and spans the in-memory telemetry must then hold, compared with the
 * simulator's ground truth. The clients under test resolve {@link #HOST} (a host configured as
 * OpenAI by default) to the simulator's loopback address, so the default settings apply.
 */
public final class SimulatorLedger {

  public static final String HOST = CallProbe.HOST;
  public static final String API_KEY = CallProbe.API_KEY;

  public static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("openai.request.id");
  public static final AttributeKey<String> SOURCE = AttributeKey.stringKey("tokenledger.usage.source");
  public static final AttributeKey<String> DIAGNOSTIC = AttributeKey.stringKey("tokenledger.usage.diagnostic");
  public static final AttributeKey<String> API = AttributeKey.stringKey("tokenledger.api");
  public static final AttributeKey<String> STATUS = AttributeKey.stringKey("tokenledger.status");
  public static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
  public static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
  public static final AttributeKey<String> RESPONSE_ID = AttributeKey.stringKey("gen_ai.response.id");
  public static final AttributeKey<String> SERVICE_TIER = AttributeKey.stringKey("openai.response.service_tier");
  public static final AttributeKey<Boolean> STREAM = AttributeKey.booleanKey("gen_ai.request.stream");
  public static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
  public static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  private static final long WAIT_NANOS = 10_000_000_000L;

  /** Where a client under test connects for {@link #HOST}; null for every other name. */
  public static InetAddress[] loopbackFor(String host) {
    if (!HOST.equalsIgnoreCase(host)) {
      return null;
    }
    return new InetAddress[] {InetAddress.getLoopbackAddress()};
  }

  /** {@code http://api.openai.com:PORT/v1/chat/completions}. */
  public static String chatUrl(int port) {
    return "http://" + HOST + ":" + port + "/v1/chat/completions";
  }

  /** A chat request for {@code model} (a simulator fault model selects a fault), streamed or not. */
  public static byte[] chat(String model, boolean stream) {
    String json = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}]"
        + (stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "") + "}";
    return json.getBytes(StandardCharsets.UTF_8);
  }

  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static byte[] gunzip(byte[] gzip) {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The ledger rows emitted since the telemetry was last cleared. */
  public static List<LogRecordData> rows() {
    return CallProbe.rows();
  }

  /** Waits until at least {@code count} ledger rows are there (calls can end on a client's I/O thread). */
  public static List<LogRecordData> awaitRows(int count) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT_NANOS;
    while (rows().size() < count && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    return rows();
  }

  /** Waits until at least {@code count} spans have ended. */
  public static void awaitSpans(int count) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT_NANOS;
    while (CallProbe.spans().size() < count && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  /**
   * The ledger holds exactly one row per billable unit of {@code truth}, equal to it as
   * {@link #assertRowMatches} checks, and no other row. An error answer (source {@code none}) has no
   * row: its call's span carries its status instead ({@link #assertErrorSpan}).
   */
  public static void assertLedgerMatches(List<GroundTruth> truth) throws InterruptedException {
    for (GroundTruth unit : truth) {
      if (unit.usageSource().equals("none")) {
        assertErrorSpan(unit);
      }
    }
    List<GroundTruth> billable = truth.stream().filter(t -> !t.usageSource().equals("none")).toList();
    awaitRows(billable.size());
    // A call emits its rows just before it ends its span; a batch download is one call for many rows.
    awaitSpans((int) truth.stream().filter(t -> !t.batch()).count());
    Thread.sleep(50); // a row too many would arrive as late as the last expected one
    List<LogRecordData> rows = rows();
    assertEquals(billable.size(), rows.size(),
        () -> "one row per billable response; sent " + describe(billable) + ", recorded " + describeRows(rows));
    for (GroundTruth unit : billable) {
      List<Attributes> matching = rows.stream().map(LogRecordData::getAttributes)
          .filter(a -> unit.requestId().equals(a.get(REQUEST_ID))).toList();
      assertEquals(1, matching.size(), () -> "one row for " + unit + " in " + describeRows(rows));
      assertRowMatches(unit, matching.get(0));
    }
  }

  /**
   * One HTTP unit's row equals it in every token field, the usage source, the api, the requested
   * model and the stream flag; for reported usage also in the billed model, and in the response id
   * and service tier where the simulator sent them.
   */
  public static void assertRowMatches(GroundTruth truth, Attributes row) {
    String what = truth.api() + " " + truth.requestModel() + " " + truth.requestId() + " (recorded "
        + row.get(SOURCE) + ", diagnostic " + row.get(DIAGNOSTIC) + ")";
    assertTokensMatch(truth, row, what);
    assertEquals(truth.usageSource(), row.get(SOURCE), () -> "usage source of " + what);
    assertEquals(truth.api(), row.get(API), () -> "api of " + what);
    assertEquals(truth.requestModel(), row.get(REQUEST_MODEL), () -> "requested model of " + what);
    if (truth.usageSource().equals("reported")) {
      String billed = row.get(RESPONSE_MODEL) != null ? row.get(RESPONSE_MODEL) : row.get(REQUEST_MODEL);
      assertEquals(truth.model(), billed, () -> "model of " + what);
      if (truth.responseId() != null) {
        assertEquals(truth.responseId(), row.get(RESPONSE_ID), () -> "response id of " + what);
      }
      if (truth.serviceTier() != null) {
        assertEquals(truth.serviceTier(), row.get(SERVICE_TIER), () -> "service tier of " + what);
      }
    }
    assertEquals(truth.streamed(), Boolean.TRUE.equals(row.get(STREAM)), () -> "stream flag of " + what);
  }

  /**
   * The row's export token fields equal what the simulator sent: the two totals always present, a
   * breakdown present exactly when it is not zero (the ledger reads an absent field as 0).
   */
  public static void assertTokensMatch(GroundTruth truth, Attributes row, String what) {
    for (UsageField field : UsageField.values()) {
      Long value = row.get(AttributeKey.longKey("tokenledger.usage." + field.exportName()));
      long expected = truth.token(field.exportName());
      if (field == UsageField.INPUT_TOKENS || field == UsageField.OUTPUT_TOKENS || expected != 0) {
        assertEquals(expected, value == null ? -1L : value, () -> field + " of " + what);
      } else {
        assertNull(value, () -> "a zero " + field + " is left out of " + what);
      }
    }
  }

  /** The call of an error answer ended with one span that names its request, status and error type. */
  public static void assertErrorSpan(GroundTruth truth) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT_NANOS;
    while (true) {
      List<SpanData> spans = CallProbe.spans().stream()
          .filter(s -> truth.requestId().equals(s.getAttributes().get(REQUEST_ID))).toList();
      if (!spans.isEmpty() || System.nanoTime() > deadline) {
        assertEquals(1, spans.size(), () -> "one span for the error answer " + truth);
        Attributes span = spans.get(0).getAttributes();
        assertEquals((long) truth.httpStatus(), span.get(HTTP_STATUS), "status of " + truth.requestId());
        assertEquals(Integer.toString(truth.httpStatus()), span.get(ERROR_TYPE), "error type of " + truth.requestId());
        assertEquals(truth.requestModel(), span.get(REQUEST_MODEL), "requested model of " + truth.requestId());
        return;
      }
      Thread.sleep(5);
    }
  }

  /** The application received exactly the bytes the simulator sent for the one response of {@code truth}. */
  public static void assertSameBytes(List<GroundTruth> truth, byte[] received) {
    assertEquals(1, truth.size(), () -> "one response: " + truth);
    assertSameBytes(truth.get(0), received);
    assertTrue(received.length > 0, "the application got an empty body");
  }

  /** The application received exactly the bytes the simulator sent for {@code truth} (after undoing gzip). */
  public static void assertSameBytes(GroundTruth truth, byte[] received) {
    assertNotNull(received, () -> "the application got no body for " + truth.requestId());
    assertEquals(truth.bodyLength(), received.length, () -> "body length of " + truth.requestId());
    assertEquals(truth.bodySha256(), sha256(received), () -> "body bytes of " + truth.requestId());
  }

  private static String describe(List<GroundTruth> truth) {
    return truth.stream().map(t -> t.api() + "/" + t.requestModel() + "/" + t.usageSource() + "/" + t.requestId())
        .toList().toString();
  }

  private static String describeRows(List<LogRecordData> rows) {
    return rows.stream().map(LogRecordData::getAttributes)
        .map(a -> a.get(API) + "/" + a.get(REQUEST_MODEL) + "/" + a.get(SOURCE) + "/" + a.get(REQUEST_ID) + "/"
            + a.get(DIAGNOSTIC))
        .toList().toString();
  }

  private SimulatorLedger() {}
}
