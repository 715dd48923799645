package dev.tokenledger.it;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reading OTLP protobuf messages as plain values. */
final class Otlp {

  static Map<String, Object> attributes(List<KeyValue> attributes) {
    Map<String, Object> map = new HashMap<>();
    for (KeyValue kv : attributes) {
      map.put(kv.getKey(), value(kv.getValue()));
    }
    return map;
  }

  static Object value(AnyValue value) {
    return switch (value.getValueCase()) {
      case STRING_VALUE -> value.getStringValue();
      case INT_VALUE -> value.getIntValue();
      case DOUBLE_VALUE -> value.getDoubleValue();
      case BOOL_VALUE -> value.getBoolValue();
      case ARRAY_VALUE -> value.getArrayValue().getValuesList().stream().map(Otlp::value).toList();
      default -> value.toString();
    };
  }

  /**
   * A token field of a ledger event as the ledger reads it: the two totals are always there (-1 when
   * not, so that a test fails), a breakdown is there only when not zero (absent reads 0).
   */
  static long tokenField(Map<String, Object> event, String field) {
    Object value = event.get("tokenledger.usage." + field);
    if (value == null) {
      return field.equals("input_tokens") || field.equals("output_tokens") ? -1L : 0L;
    }
    return ((Number) value).longValue();
  }

  static boolean isUsageEvent(LogRecord record) {
    return "tokenledger.usage".equals(record.getEventName());
  }

  /** Data points of a sum metric, each with its attributes and value. */
  static List<Map.Entry<Map<String, Object>, Double>> sumPoints(List<Metric> metrics, String name) {
    return metrics.stream()
        .filter(m -> m.getName().equals(name) && m.hasSum())
        .flatMap(m -> m.getSum().getDataPointsList().stream())
        .map(p -> Map.entry(attributes(p.getAttributesList()), numeric(p)))
        .toList();
  }

  static double numeric(NumberDataPoint point) {
    return point.hasAsInt() ? point.getAsInt() : point.getAsDouble();
  }

  private Otlp() {}
}
