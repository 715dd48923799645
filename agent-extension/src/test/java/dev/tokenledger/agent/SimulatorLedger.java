package dev.tokenledger.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.usage.UsageField;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.logs.data.LogRecordData;
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
 * The transports' tests with the real clients against the OpenAI simulator: the requests they send
 * and the ledger the in-memory telemetry must then hold, compared with the simulator's ground truth.
 * The clients under test resolve {@link #HOST} (a host configured as OpenAI by default) to the
 * simulator's loopback address, so the default settings apply.
 */
public final class SimulatorLedger {

  public static final String HOST = CallProbe.HOST;
  public static final String API_KEY = CallProbe.API_KEY;

  static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("openai.request.id");
  static final AttributeKey<String> SOURCE = AttributeKey.stringKey("tokenledger.usage.source");

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

  /** Waits until at least {@code count} ledger rows are there (calls can end on a client's I/O thread). */
  public static List<LogRecordData> awaitRows(int count) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (CallProbe.rows().size() < count && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    return CallProbe.rows();
  }

  /** Waits until at least {@code count} spans have ended. */
  public static void awaitSpans(int count) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (CallProbe.spans().size() < count && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  /**
   * The ledger holds exactly one row per billable unit of {@code truth}, with every token field and
   * the usage source the simulator sent, and nothing else.
   */
  public static void assertLedgerMatches(List<GroundTruth> truth) throws InterruptedException {
    List<GroundTruth> billable = truth.stream().filter(t -> !t.usageSource().equals("none")).toList();
    List<LogRecordData> rows = awaitRows(billable.size());
    // A call emits its rows just before it ends its span.
    awaitSpans(rows.size());
    assertEquals(billable.size(), rows.size(), () -> "one row per billable response: " + truth + " rows " + rows);
    for (GroundTruth unit : billable) {
      List<Attributes> matching = rows.stream().map(LogRecordData::getAttributes)
          .filter(a -> unit.requestId().equals(a.get(REQUEST_ID))).toList();
      assertEquals(1, matching.size(), () -> "one row for " + unit + " in " + rows);
      Attributes row = matching.get(0);
      assertEquals(unit.usageSource(), row.get(SOURCE), () -> "usage source of " + unit);
      for (UsageField field : UsageField.values()) {
        Long value = row.get(AttributeKey.longKey("tokenledger.usage." + field.exportName()));
        assertEquals(unit.token(field.exportName()), value == null ? 0L : value, () -> field + " of " + unit);
      }
    }
  }

  /** The application received exactly the bytes the simulator sent for the one response of {@code truth}. */
  public static void assertSameBytes(List<GroundTruth> truth, byte[] received) {
    assertEquals(1, truth.size(), () -> "one response: " + truth);
    assertEquals(truth.get(0).bodyLength(), received.length, "length of the body the application received");
    assertEquals(truth.get(0).bodySha256(), sha256(received), "the bytes the application received");
    assertTrue(received.length > 0);
  }

  private SimulatorLedger() {}
}
