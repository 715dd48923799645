package dev.tokenledger.instrumentation.netty.v4_1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.TestTelemetry;
import dev.tokenledger.simulator.GroundTruth;
import dev.tokenledger.usage.UsageField;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

/** The ledger rows the tests' SDK received, compared with what the simulator knows it sent. */
final class Ledger {

  static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("openai.request.id");
  static final AttributeKey<String> SOURCE = AttributeKey.stringKey("tokenledger.usage.source");
  static final AttributeKey<String> API = AttributeKey.stringKey("tokenledger.api");
  static final AttributeKey<String> STATUS = AttributeKey.stringKey("tokenledger.status");
  static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
  static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
  static final AttributeKey<String> RESPONSE_ID = AttributeKey.stringKey("gen_ai.response.id");
  static final AttributeKey<String> SERVICE_TIER = AttributeKey.stringKey("openai.response.service_tier");
  static final AttributeKey<Boolean> STREAM = AttributeKey.booleanKey("gen_ai.request.stream");
  static final AttributeKey<String> DIAGNOSTIC = AttributeKey.stringKey("tokenledger.usage.diagnostic");

  static List<LogRecordData> rows() {
    return TestTelemetry.LOGS.getFinishedLogRecordItems();
  }

  /** Waits until at least {@code count} rows arrived (a call ends on the event loop). */
  static List<LogRecordData> awaitRows(int count) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (rows().size() < count && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    return rows();
  }

  /**
   * One row per billable response the simulator sent, equal to it in every token field, the usage
   * source, the api, the requested and billed model, the response id, the service tier and the stream
   * flag; and no other row. An error answer (source {@code none}) has no row: its call's span carries
   * its status instead.
   */
  static void assertEqualsGroundTruth(List<GroundTruth> all) throws InterruptedException {
    List<GroundTruth> truths = all.stream().filter(t -> !t.usageSource().equals("none")).collect(Collectors.toList());
    for (GroundTruth error : all) {
      if (error.usageSource().equals("none")) {
        assertErrorSpan(error);
      }
    }
    awaitRows(truths.size());
    Thread.sleep(50); // a row too many would arrive as late as the last expected one
    List<LogRecordData> rows = rows();
    assertEquals(truths.size(), rows.size(),
        () -> "one row per response; sent " + describe(truths) + ", recorded " + describeRows(rows()));
    for (GroundTruth truth : truths) {
      List<Attributes> matches = rows.stream().map(LogRecordData::getAttributes)
          .filter(a -> truth.requestId().equals(a.get(REQUEST_ID))).collect(Collectors.toList());
      assertEquals(1, matches.size(), () -> "one row for " + truth + " in " + describeRows(rows));
      Attributes row = matches.get(0);
      String what = truth.api() + " " + truth.requestModel() + " " + truth.requestId() + " (recorded "
          + row.get(SOURCE) + ", diagnostic " + row.get(DIAGNOSTIC) + ")";
      for (UsageField field : UsageField.values()) {
        Long value = row.get(AttributeKey.longKey("tokenledger.usage." + field.exportName()));
        assertEquals(truth.token(field.exportName()), value == null ? -1L : value, () -> field + " of " + what);
      }
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
  }

  static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  /** The call of an error answer ended with a span that names its request, status and error type. */
  static void assertErrorSpan(GroundTruth truth) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (true) {
      List<SpanData> spans = TestTelemetry.SPANS.getFinishedSpanItems().stream()
          .filter(s -> truth.requestId().equals(s.getAttributes().get(REQUEST_ID))).collect(Collectors.toList());
      if (!spans.isEmpty() || System.nanoTime() > deadline) {
        assertEquals(1, spans.size(), () -> "one span for the error answer " + truth);
        Attributes span = spans.get(0).getAttributes();
        assertEquals((long) truth.httpStatus(), span.get(HTTP_STATUS), "status of " + truth.requestId());
        assertEquals(Integer.toString(truth.httpStatus()), span.get(ERROR_TYPE), "error type of " + truth.requestId());
        assertEquals(truth.requestModel(), span.get(REQUEST_MODEL), "requested model of " + truth.requestId());
        return;
      }
      Thread.sleep(10);
    }
  }

  /** The application received exactly the bytes the simulator sent (after undoing gzip). */
  static void assertSameBytes(GroundTruth truth, byte[] received) {
    assertTrue(received != null, "the application got no body for " + truth.requestId());
    assertEquals(truth.bodyLength(), received.length, "body length of " + truth.requestId());
    assertEquals(truth.bodySha256(), sha256(received), "body bytes of " + truth.requestId());
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String describe(List<GroundTruth> truths) {
    return truths.stream().map(t -> t.api() + "/" + t.requestModel() + "/" + t.usageSource() + "/" + t.requestId())
        .collect(Collectors.toList()).toString();
  }

  private static String describeRows(List<LogRecordData> rows) {
    return rows.stream().map(r -> r.getAttributes().get(API) + "/" + r.getAttributes().get(REQUEST_MODEL) + "/"
        + r.getAttributes().get(SOURCE) + "/" + r.getAttributes().get(REQUEST_ID) + "/" + r.getAttributes().get(DIAGNOSTIC))
        .collect(Collectors.toList()).toString();
  }

  private Ledger() {}
}
