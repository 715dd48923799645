package dev.tokenledger.clickhouse.queries;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.clickhouse.queries.GrafanaExpansion.Range;
import dev.tokenledger.clickhouse.queries.GrafanaExpansion.Variable;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The expansion matches the plugin's documented and coded behaviour (pkg/macros of
 * grafana-clickhouse-datasource 4.20, the SDK's macro parser, the frontend's applyConditionalAll and
 * Grafana's variable formats), and the translation of library queries into panel SQL.
 */
class GrafanaExpansionTest {

  static final Range RANGE = new Range(Instant.parse("2026-11-20T10:15:30.250Z"), Instant.parse("2026-11-21T08:00:00Z"),
      Duration.ofMillis(90_500));

  @Test
  void backendMacrosExpandAsThePluginDoes() {
    long from = 1_795_169_730L; // 2026-11-20T10:15:30Z
    long to = 1_795_248_000L;
    assertEquals(from, RANGE.from().getEpochSecond());
    assertEquals(to, RANGE.to().getEpochSecond());
    String sql = "SELECT $__timeInterval(t) AS time FROM x WHERE $__timeFilter(t) AND d >= toDate($__fromTime)"
        + " AND $__timeFilter_ms(ts) AND $__dateFilter(d) AND $__dt(d, t) AND y < $__toTime AND z > $__fromTime_ms"
        + " AND $__timeFrom(t) AND $__timeTo(t) AND b = $__interval_s AND g = $__timeGroup(t, '5m')"
        + " AND ms = $__timeInterval_ms(ts) AND i = $__interval AND k = $__interval_ms";
    String expected = "SELECT toStartOfInterval(toDateTime(t), INTERVAL 90 second) AS time FROM x WHERE t >= toDateTime("
        + from + ") AND t <= toDateTime(" + to + ") AND d >= toDate(toDateTime(" + from + "))"
        + " AND ts >= fromUnixTimestamp64Milli(1795169730250) AND ts <= fromUnixTimestamp64Milli(1795248000000)"
        + " AND d >= toDate('2026-11-20') AND d <= toDate('2026-11-21')"
        + " AND (d >= toDate('2026-11-20') AND d <= toDate('2026-11-21')) AND (t >= toDateTime(" + from
        + ") AND t <= toDateTime(" + to + ")) AND y < toDateTime(" + to + ") AND z > fromUnixTimestamp64Milli(1795169730250)"
        + " AND t >= toDateTime(" + from + ") AND t <= toDateTime(" + to + ") AND b = 90"
        + " AND g = toStartOfInterval(toDateTime(t), INTERVAL 300 second)"
        + " AND ms = toStartOfInterval(toDateTime64(ts, 3), INTERVAL 90500 millisecond) AND i = 1m AND k = 90500";
    assertEquals(expected, GrafanaExpansion.expandMacros(sql, RANGE));
    // Sub-second intervals round up to 1 second; nested brackets stay in one argument.
    assertEquals("toStartOfInterval(toDateTime(toDateTime(a, 'UTC')), INTERVAL 1 second) 1",
        GrafanaExpansion.expandMacros("$__timeInterval(toDateTime(a, 'UTC')) $__interval_s",
            new Range(RANGE.from(), RANGE.to(), Duration.ofMillis(200))));
    QueryException e = assertThrows(QueryException.class, () -> GrafanaExpansion.expandMacros("$__timeFilter(a, b)", RANGE));
    assertTrue(e.getMessage().contains("expected 1 argument(s), received 2"), e.getMessage());
    assertThrows(QueryException.class, () -> GrafanaExpansion.expandMacros("$__timeFilter(a", RANGE));
  }

  @Test
  void conditionalAllBecomesOneEqualsOneForAllOrNothingSelected() {
    String sql = "WHERE $__conditionalAll(s IN (${service:singlequote}), $service) AND $__conditionalAll(m IN ($model), ${model})";
    Map<String, Variable> all = Map.of("service", Variable.all("service", List.of("a", "b")),
        "model", new Variable("model", List.of(), false, true, List.of("x")));
    assertEquals("WHERE 1=1 AND 1=1", GrafanaExpansion.expand(sql, RANGE, all));
    Map<String, Variable> some = Map.of("service", Variable.of("service", "a", "it's"),
        "model", Variable.of("model", "gpt-4o"));
    // singlequote escapes ' with a backslash; the datasource's own format joins with ',' unescaped.
    assertEquals("WHERE s IN ('a','it\\'s') AND m IN ('gpt-4o')", GrafanaExpansion.expand(sql, RANGE, some));
    // An unknown variable keeps the condition, and its reference stays as Grafana leaves it.
    assertEquals("WHERE x = $nope", GrafanaExpansion.expand("WHERE $__conditionalAll(x = $nope, $nope)", RANGE, Map.of()));
  }

  @Test
  void variableFormats() {
    Map<String, Variable> v = Map.of("s", Variable.of("s", "a", "b\"c"));
    assertEquals("'a','b\"c' | \"a\",\"b\\\"c\" | a,b\"c | 'a','b\"c' | $other",
        GrafanaExpansion.interpolateVariables("$s | ${s:doublequote} | ${s:csv} | [[s]] | $other", v));
    Variable single = new Variable("one", List.of("x'y"), false, false, List.of("x'y"));
    assertEquals("x'y 'x\\'y' 'x''y'", GrafanaExpansion.interpolateVariables("$one ${one:singlequote} ${one:sqlstring}",
        Map.of("one", single)));
  }

  @Test
  void libraryQueriesBecomePanelSqlWithMacrosAndVariables() {
    QueryLibrary lib = QueryLibrary.fromRepository();
    String panel = GrafanaPanelSql.panelSql(lib.get("tokens_by_model"), Map.of());
    assertTrue(panel.contains("hour >= toStartOfHour(CAST($__fromTime, 'DateTime(\\'UTC\\')'))"
        + " AND hour <= CAST($__toTime, 'DateTime(\\'UTC\\')')"), panel);
    assertTrue(panel.contains("greatest(CAST($__interval_s, 'UInt32'), 3600)"), panel);
    assertTrue(panel.contains("$__conditionalAll(ServiceName IN (${service:singlequote}), $service)"), panel);
    assertTrue(panel.contains("$__conditionalAll(model IN (${model:singlequote}), $model)"), panel);
    assertFalse(panel.contains("{services:") || panel.contains("--"), panel);
    // Parameters without a Grafana mapping: the panel's fixed value, quoted and typed, else the default.
    String dim = GrafanaPanelSql.panelSql(lib.get("cost_by_dimension"), Map.of("dimension", "use_case"));
    assertTrue(dim.contains("CAST('use_case', 'String') = 'entrypoint'"), dim);
    assertTrue(dim.contains("LIMIT CAST(50, 'UInt32')"), dim);
    QueryException e = assertThrows(QueryException.class,
        () -> GrafanaPanelSql.panelSql(lib.get("session"), Map.of()));
    assertTrue(e.getMessage().contains("session_id"), e.getMessage());
  }
}
