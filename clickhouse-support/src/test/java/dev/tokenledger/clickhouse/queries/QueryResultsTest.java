package dev.tokenledger.clickhouse.queries;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.clickhouse.SqlText;
import dev.tokenledger.clickhouse.queries.LedgerSeed.Record;
import java.math.BigDecimal;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every library query against the real engine over seeded usage (inserted into otel_logs as the
 * exporter writes it, through the ledger and rollup views): it runs, returns exactly its declared
 * columns and types, and its figures equal the ones computed in Java from the seed records — tokens
 * per model, modality and cache status, cost from the model_prices rows, cache savings, Realtime
 * sessions, attribution, missing and inferred records, pipeline counts and parity differences.
 */
class QueryResultsTest {

  static QueryTarget target;
  static String db;
  static LedgerSeed seed;
  static QueryLibrary library;
  /** model|tier|batch -> rate column -> rate (null = unknown). */
  static Map<String, Map<String, BigDecimal>> prices;

  @BeforeAll
  static void setUp() throws Exception {
    target = QueryTarget.get();
    db = target.migratedDatabase("tl_queries");
    seed = LedgerSeed.generate(7, 900);
    library = QueryLibrary.fromRepository();
    try (Connection c = target.connect()) {
      for (String insert : seed.inserts(db)) {
        QueryTarget.exec(c, insert);
      }
      prices = loadPrices(c, db);
      ParitySeed.load(c, db, seed);
    }
  }

  @AfterAll
  static void tearDown() {
    if (target != null && db != null) {
      target.drop(db);
    }
  }

  static Map<String, Map<String, BigDecimal>> loadPrices(Connection c, String db) throws Exception {
    Map<String, Map<String, BigDecimal>> out = new HashMap<>();
    QueryTarget.Result r = QueryTarget.query(c, "SELECT model, service_tier, toString(batch), "
        + String.join(", ", LedgerSeed.RATE_COLUMNS) + " FROM " + SqlText.quoteIdentifier(db) + ".model_prices FINAL");
    for (List<String> row : r.rows()) {
      Map<String, BigDecimal> rates = new HashMap<>();
      for (int i = 0; i < LedgerSeed.RATE_COLUMNS.size(); i++) {
        String v = row.get(3 + i);
        rates.put(LedgerSeed.RATE_COLUMNS.get(i), v == null ? null : new BigDecimal(v));
      }
      out.put(row.get(0) + "|" + row.get(1) + "|" + row.get(2), rates);
    }
    return out;
  }

  /** Values for every query: the seed's range, and the required parameters. */
  static Map<String, String> values(Query q) {
    Map<String, String> v = new LinkedHashMap<>();
    for (Query.Parameter p : q.parameters()) {
      switch (p.name()) {
        case "from" -> v.put("from", LedgerSeed.RANGE_FROM.toString());
        case "to" -> v.put("to", LedgerSeed.RANGE_TO.toString());
        case "session_id" -> v.put("session_id", "sess_1");
        default -> { }
      }
    }
    return v;
  }

  static QueryTarget.Result run(String name, Map<String, String> extra) throws Exception {
    Query q = library.get(name);
    Map<String, String> v = values(q);
    v.putAll(extra);
    try (Connection c = target.connect()) {
      return QueryTarget.query(c, q.render(v, db));
    }
  }

  @Test
  void everyQueryRunsAndReturnsItsDeclaredColumns() throws Exception {
    List<String> failures = new ArrayList<>();
    for (Query q : library.all()) {
      try (Connection c = target.connect()) {
        QueryTarget.Result r = QueryTarget.query(c, q.render(values(q), db));
        List<String> declaredTypes = q.columns().stream().map(Query.Column::type).toList();
        if (!r.names().equals(q.columnNames()) || !r.types().equals(declaredTypes)) {
          failures.add(q.name() + ": declared " + q.columnNames() + " " + declaredTypes + ", returned " + r.names() + " "
              + r.types());
        } else if (r.rows().isEmpty()) {
          failures.add(q.name() + ": no rows over the seed");
        }
      } catch (Exception e) {
        failures.add(q.name() + ": " + e.getMessage());
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void resultsDoNotDependOnTheServerTimeZone() throws Exception {
    // Days and hours are UTC in the ledger and in OpenAI's export: a server (or session) in a time
    // zone off the hour must return the same rows.
    List<String> failures = new ArrayList<>();
    try (Connection c = target.connect()) {
      for (Query q : library.all()) {
        if (q.name().equals("pipeline_lag")) {
          continue; // measured against the insert time: equal only within the same second
        }
        Map<String, String> v = values(q);
        if (q.parameters().stream().anyMatch(p -> p.name().equals("bucket_seconds"))) {
          v.put("bucket_seconds", "86400");
        }
        String sql = q.render(v, db);
        QueryTarget.Result utc = QueryTarget.query(c, sql + "\nSETTINGS session_timezone = 'UTC'");
        QueryTarget.Result kolkata = QueryTarget.query(c, sql + "\nSETTINGS session_timezone = 'Asia/Kolkata'");
        if (!utc.rows().equals(kolkata.rows())) {
          failures.add(q.name());
        }
      }
    }
    assertEquals(List.of(), failures);
  }

  // ---------------------------------------------------------------- figures

  static final List<Record> ALL = new ArrayList<>();

  static List<Record> records(Predicate<Record> filter) {
    return seed.records.stream().filter(filter).toList();
  }

  /** Tokens that need a rate the price list does not give (the cost view's unpriced_tokens). */
  static long unpriced(Record r) {
    Map<String, BigDecimal> rates = prices.get(r.priceKey(prices));
    long n = 0;
    for (int i = 0; i < LedgerSeed.LEAF_FIELDS.size(); i++) {
      if (rates == null || rates.get(LedgerSeed.RATE_COLUMNS.get(i)) == null) {
        n += r.token(LedgerSeed.LEAF_FIELDS.get(i));
      }
    }
    return n;
  }

  /** Groups records by key and turns each group into the expected values of the value columns. */
  static Map<String, List<Object>> expect(List<Record> rs, Function<Record, String> key,
      Function<List<Record>, List<Object>> values) {
    Map<String, List<Record>> groups = new TreeMap<>();
    for (Record r : rs) {
      groups.computeIfAbsent(key.apply(r), k -> new ArrayList<>()).add(r);
    }
    Map<String, List<Object>> out = new TreeMap<>();
    groups.forEach((k, g) -> out.put(k, values.apply(g)));
    return out;
  }

  static long sum(List<Record> g, java.util.function.ToLongFunction<Record> f) {
    return g.stream().mapToLong(f).sum();
  }

  /**
   * Cost as the cost view computes it: per row of usage_cost_hourly (hour and every dimension it
   * keeps), the tokens summed first — a row is NULL when any of its token counts lacks a rate.
   */
  static BigDecimal viewCost(List<Record> g) {
    return grouped(g, r -> hour(r) + "|" + r.service + "|" + r.api + "|" + r.model + "|" + r.project() + "|"
        + r.fingerprint + "|" + r.tier + "|" + r.batch + "|" + r.useCase + "|" + r.entrypoint, r -> r.cost(prices));
  }

  /** Savings as cache_savings computes them: per hour, model, tier and batch flag, tokens summed first. */
  static BigDecimal saved(List<Record> g) {
    return grouped(g, r -> hour(r) + "|" + r.model + "|" + r.tier + "|" + r.batch, r -> r.saved(prices));
  }

  static BigDecimal grouped(List<Record> g, Function<Record, String> key, Function<Record, BigDecimal> f) {
    Map<String, List<Record>> groups = new TreeMap<>();
    for (Record r : g) {
      groups.computeIfAbsent(key.apply(r), k -> new ArrayList<>()).add(r);
    }
    BigDecimal total = null;
    for (List<Record> group : groups.values()) {
      Record merged = new Record();
      merged.model = group.get(0).model;
      merged.tier = group.get(0).tier;
      merged.batch = group.get(0).batch;
      for (Record r : group) {
        r.tokens.forEach((k, v) -> merged.tokens.merge(k, v, Long::sum));
      }
      BigDecimal v = f.apply(merged);
      if (v != null) {
        total = total == null ? v : total.add(v);
      }
    }
    return total;
  }

  /** Compares a result with expected rows: key columns joined by '|', then the value columns. */
  static void assertRows(QueryTarget.Result r, List<String> keyCols, List<String> valueCols,
      Map<String, List<Object>> expected) {
    Map<String, List<String>> actual = new TreeMap<>();
    for (List<String> row : r.rows()) {
      List<String> k = new ArrayList<>();
      for (String c : keyCols) {
        k.add(row.get(r.column(c)));
      }
      List<String> v = new ArrayList<>();
      for (String c : valueCols) {
        v.add(row.get(r.column(c)));
      }
      actual.put(String.join("|", k), v);
    }
    assertEquals(expected.keySet(), actual.keySet(), "keys " + keyCols);
    for (String k : expected.keySet()) {
      List<Object> e = expected.get(k);
      List<String> a = actual.get(k);
      for (int i = 0; i < valueCols.size(); i++) {
        String what = k + " " + valueCols.get(i);
        Object ev = e.get(i);
        if (ev instanceof BigDecimal || ev == null) {
          assertMoney((BigDecimal) ev, a.get(i), what);
        } else if (ev instanceof Double d) {
          assertEquals(d, Double.parseDouble(a.get(i)), 0.0, what);
        } else {
          assertEquals(String.valueOf(ev), a.get(i), what);
        }
      }
    }
  }

  static String hour(Record r) {
    return r.hour().toString().replace("T", " ").replace("Z", "");
  }

  // ---------------------------------------------------------------- the questions

  @Test
  void summaryEqualsTheSeedPerModelAndApi() throws Exception {
    assertRows(run("summary", Map.of()), List.of("model", "api"),
        List.of("requests", "input_tokens", "output_tokens", "input_cached_tokens", "cost_usd", "unpriced_tokens"),
        expect(seed.records, r -> r.model + "|" + r.api, g -> List.of((long) g.size(), sum(g, Record::input),
            sum(g, Record::output), sum(g, Record::cached), viewCost(g), sum(g, QueryResultsTest::unpriced))));
    // Somewhere in the seed there is priced and unpriced usage, or the cost checks prove little.
    assertTrue(seed.records.stream().anyMatch(r -> r.cost(prices) == null && r.input() > 0));
    assertTrue(seed.records.stream().anyMatch(r -> r.cost(prices) != null && r.cost(prices).signum() > 0));
  }

  @Test
  void filtersSelectServicesEnvironmentsModelsAndProjects() throws Exception {
    List<String> cols = List.of("requests", "input_tokens", "cost_usd");
    Function<List<Record>, List<Object>> v = g -> List.of((long) g.size(), sum(g, Record::input), viewCost(g));
    assertRows(run("summary", Map.of("services", "checkout,voice-bot")), List.of("model", "api"), cols,
        expect(records(r -> !r.service.equals("evaluator")), r -> r.model + "|" + r.api, v));
    assertRows(run("summary", Map.of("environments", "staging")), List.of("model", "api"), cols,
        expect(records(r -> r.environment().equals("staging")), r -> r.model + "|" + r.api, v));
    assertRows(run("summary", Map.of("models", "gpt-4o-mini")), List.of("model", "api"), cols,
        expect(records(r -> r.model.equals("gpt-4o-mini")), r -> r.model + "|" + r.api, v));
    assertRows(run("summary", Map.of("projects", "proj_b")), List.of("model", "api"), cols,
        expect(records(r -> "proj_b".equals(r.project)), r -> r.model + "|" + r.api, v));
    // Values are data, never SQL: a quote in a filter value matches nothing instead of everything.
    assertEquals(List.of(), run("summary", Map.of("services", "x') OR (1=1")).rows());
    assertEquals(List.of(), run("summary", Map.of("projects", "proj_a' OR '1'='1")).rows());
    assertEquals(List.of(), run("session", Map.of("session_id", "' OR 1=1 OR '")).rows());
    // A range that ends before the seed starts has nothing.
    assertEquals(List.of(), run("summary", Map.of("to", "2026-11-20 20:59:59")).rows());
  }

  @Test
  void tokensPerModelAndPerModalityAndCacheStatus() throws Exception {
    assertRows(run("tokens_by_model", Map.of("bucket_seconds", "3600")), List.of("time", "model"),
        List.of("input_tokens", "output_tokens", "input_cached_tokens"),
        expect(seed.records, r -> hour(r) + "|" + r.model, g -> List.of(sum(g, Record::input), sum(g, Record::output),
            sum(g, Record::cached))));
    // One day per bucket: the seed crosses a UTC midnight, so there are two.
    QueryTarget.Result byDay = run("tokens_by_modality_cache", Map.of("bucket_seconds", "86400"));
    Map<String, List<Object>> expected = new TreeMap<>();
    String[][] parts = {{"input", "text", "uncached", "input_text_tokens"}, {"input", "audio", "uncached", "input_audio_tokens"},
        {"input", "image", "uncached", "input_image_tokens"}, {"input", "text", "cached", "input_cached_text_tokens"},
        {"input", "audio", "cached", "input_cached_audio_tokens"}, {"input", "image", "cached", "input_cached_image_tokens"},
        {"input", "any", "cache_write", "input_cache_write_tokens"}, {"output", "text", "uncached", "output_text_tokens"},
        {"output", "audio", "uncached", "output_audio_tokens"}, {"output", "image", "uncached", "output_image_tokens"}};
    for (Record r : seed.records) {
      for (String[] p : parts) {
        if (r.token(p[3]) > 0) {
          String k = r.day() + " 00:00:00|" + p[0] + "|" + p[1] + "|" + p[2];
          expected.merge(k, List.of(r.token(p[3])), (a, b) -> List.of((Long) a.get(0) + (Long) b.get(0)));
        }
      }
    }
    assertRows(byDay, List.of("time", "token_type", "modality", "cache"), List.of("tokens"), expected);
    assertEquals(2, byDay.rows().stream().map(row -> row.get(0)).distinct().count());
  }

  @Test
  void costPerModelAndTotals() throws Exception {
    assertRows(run("cost_by_model", Map.of("bucket_seconds", "3600")), List.of("time", "model"),
        List.of("cost_usd", "unpriced_tokens"),
        expect(seed.records, r -> hour(r) + "|" + r.model, g -> java.util.Arrays.asList(viewCost(g),
            sum(g, QueryResultsTest::unpriced))));
    List<Record> g = seed.records;
    long input = sum(g, Record::input);
    long cached = sum(g, Record::cached);
    assertRows(run("totals", Map.of()), List.of(), List.of("requests", "input_tokens", "output_tokens",
        "input_cached_tokens", "cache_hit_rate", "cost_usd", "unpriced_tokens"),
        Map.of("", java.util.Arrays.asList((long) g.size(), input, sum(g, Record::output), cached,
            (double) cached / input, viewCost(g), sum(g, QueryResultsTest::unpriced))));
  }

  @Test
  void cacheHitRateAndMoneySavedByCaching() throws Exception {
    assertRows(run("cache_savings", Map.of()), List.of("model"),
        List.of("input_tokens", "input_cached_tokens", "cache_hit_rate", "saved_usd"),
        expect(seed.records, r -> r.model, g -> java.util.Arrays.asList(sum(g, Record::input), sum(g, Record::cached),
            (double) sum(g, Record::cached) / sum(g, Record::input), saved(g))));
    assertRows(run("cache_over_time", Map.of("bucket_seconds", "3600")), List.of("time"),
        List.of("cache_hit_rate", "saved_usd"),
        expect(seed.records, QueryResultsTest::hour, g -> java.util.Arrays.asList(
            (double) sum(g, Record::cached) / sum(g, Record::input), saved(g))));
    assertTrue(saved(seed.records).signum() > 0, "the seed saves money by caching");
  }

  @Test
  void tokensAndCostPerModelModalityAndCacheStatus() throws Exception {
    String[][] parts = {{"input|text|uncached", "input_text_tokens"}, {"input|audio|uncached", "input_audio_tokens"},
        {"input|image|uncached", "input_image_tokens"}, {"input|text|cached", "input_cached_text_tokens"},
        {"input|audio|cached", "input_cached_audio_tokens"}, {"input|image|cached", "input_cached_image_tokens"},
        {"input|any|cache_write", "input_cache_write_tokens"}, {"output|text|uncached", "output_text_tokens"},
        {"output|audio|uncached", "output_audio_tokens"}, {"output|image|uncached", "output_image_tokens"}};
    // Per hour, model, tier and batch flag (the query's price lookup grain): tokens summed, then priced.
    Map<String, List<Record>> groups = new TreeMap<>();
    for (Record r : seed.records) {
      groups.computeIfAbsent(hour(r) + "|" + r.model + "|" + r.tier + "|" + r.batch, k -> new ArrayList<>()).add(r);
    }
    Map<String, long[]> tokens = new TreeMap<>();
    Map<String, BigDecimal> cost = new HashMap<>();
    for (List<Record> g : groups.values()) {
      Map<String, BigDecimal> rates = prices.get(g.get(0).priceKey(prices));
      for (String[] p : parts) {
        long n = sum(g, r -> r.token(p[1]));
        String key = g.get(0).model + "|" + p[0];
        tokens.computeIfAbsent(key, k -> new long[1])[0] += n;
        String rateColumn = LedgerSeed.RATE_COLUMNS.get(LedgerSeed.LEAF_FIELDS.indexOf(p[1]));
        BigDecimal rate = rates == null ? null : rates.get(rateColumn);
        BigDecimal c = n == 0 ? BigDecimal.ZERO : rate == null ? null
            : rate.multiply(BigDecimal.valueOf(n)).divide(BigDecimal.valueOf(1_000_000), java.math.MathContext.DECIMAL128);
        if (c != null) {
          cost.merge(key, c, BigDecimal::add);
        }
      }
    }
    Map<String, List<Object>> expected = new TreeMap<>();
    tokens.forEach((k, n) -> {
      if (n[0] > 0) {
        expected.put(k, java.util.Arrays.asList(n[0], cost.get(k)));
      }
    });
    assertRows(run("cost_by_modality_cache", Map.of()), List.of("model", "token_type", "modality", "cache"),
        List.of("tokens", "cost_usd"), expected);
    assertTrue(expected.values().stream().anyMatch(v -> v.get(1) == null), "the seed has unpriced parts");
  }

  static List<Object> realtime(List<Record> g) {
    List<Record> responses = g.stream().filter(r -> r.api.equals("realtime")).toList();
    return java.util.Arrays.asList(
        g.stream().map(r -> r.session).distinct().count(),
        g.stream().map(r -> r.connection).distinct().count(),
        (long) responses.size(),
        responses.stream().filter(r -> r.status.equals("cancelled")).count(),
        sum(g, r -> r.token("input_audio_tokens") + r.token("input_cached_audio_tokens")),
        sum(g, r -> r.token("input_text_tokens") + r.token("input_cached_text_tokens")),
        sum(g, r -> r.token("output_audio_tokens")),
        sum(g, r -> r.token("output_text_tokens")));
  }

  @Test
  void realtimeSessionsConnectionsResponsesAndAudioVersusText() throws Exception {
    List<Record> rt = records(r -> r.api.startsWith("realtime"));
    assertRows(run("realtime_over_time", Map.of("bucket_seconds", "3600")), List.of("time"),
        List.of("sessions", "connections", "responses", "cancelled_responses", "input_audio_tokens", "input_text_tokens",
            "output_audio_tokens", "output_text_tokens"),
        expect(rt, QueryResultsTest::hour, QueryResultsTest::realtime));
    assertRows(run("realtime_sessions", Map.of()), List.of("session_id"),
        List.of("connections", "responses", "cancelled_responses", "input_audio_tokens", "input_text_tokens",
            "output_audio_tokens", "output_text_tokens", "transcriptions", "cost_usd"),
        expect(rt, r -> r.session, g -> {
          List<Object> v = new ArrayList<>(realtime(g).subList(1, 8));
          v.add(g.stream().filter(r -> r.api.equals("realtime.transcription")).count());
          v.add(sumCost(g));
          return v;
        }));
    assertTrue(rt.stream().anyMatch(r -> r.status.equals("cancelled")) && rt.stream().anyMatch(r ->
        r.api.equals("realtime.transcription")), "the seed has cancelled responses and transcriptions");
  }

  @Test
  void costByEveryAttributionDimension() throws Exception {
    Map<String, Function<Record, String>> dims = new LinkedHashMap<>();
    dims.put("entrypoint", r -> r.entrypoint);
    dims.put("use_case", r -> r.useCase);
    dims.put("project", Record::project);
    dims.put("api_key", r -> r.fingerprint == null ? "" : r.fingerprint);
    dims.put("service", r -> r.service);
    dims.put("api", r -> r.api);
    dims.put("model", r -> r.model);
    for (Map.Entry<String, Function<Record, String>> d : dims.entrySet()) {
      assertRows(run("cost_by_dimension", Map.of("dimension", d.getKey())), List.of("value"),
          List.of("requests", "input_tokens", "output_tokens", "cost_usd", "unpriced_tokens"),
          expect(seed.records, r -> d.getValue().apply(r).isEmpty() ? "(none)" : d.getValue().apply(r),
              g -> java.util.Arrays.asList((long) g.size(), sum(g, Record::input), sum(g, Record::output), viewCost(g),
                  sum(g, QueryResultsTest::unpriced))));
    }
    assertRows(run("cost_by_user", Map.of()), List.of("user"),
        List.of("requests", "input_tokens", "output_tokens", "cost_usd", "unpriced_requests"),
        expect(seed.records, r -> r.user.isEmpty() ? "(none)" : r.user, g -> java.util.Arrays.asList((long) g.size(),
            sum(g, Record::input), sum(g, Record::output), sumCost(g), g.stream().filter(r -> r.cost(prices) == null).count())));
    Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
        () -> run("cost_by_dimension", Map.of("dimension", "colour")));
    assertTrue(e.getMessage().contains("dimension must be one of"), e.getMessage());
  }

  @Test
  void topSessionsAndOneSessionsRecords() throws Exception {
    List<Record> withSession = records(r -> !r.session.isEmpty());
    Map<String, List<Object>> all = expect(withSession, r -> r.session, g -> java.util.Arrays.asList((long) g.size(),
        sum(g, Record::input), sum(g, Record::output), sumCost(g)));
    List<String> top = all.entrySet().stream()
        .sorted((a, b) -> ((BigDecimal) b.getValue().get(3)).compareTo((BigDecimal) a.getValue().get(3)))
        .map(Map.Entry::getKey).limit(2).toList();
    QueryTarget.Result r = run("top_sessions", Map.of("limit", "2"));
    assertEquals(top, r.rows().stream().map(row -> row.get(0)).toList(), "highest cost first");
    Map<String, List<Object>> expectedTop = new TreeMap<>();
    top.forEach(k -> expectedTop.put(k, all.get(k)));
    assertRows(r, List.of("session_id"), List.of("requests", "input_tokens", "output_tokens", "cost_usd"), expectedTop);

    List<Record> one = records(rec -> rec.session.equals("sess_1"));
    QueryTarget.Result s = run("session", Map.of("session_id", "sess_1"));
    assertEquals(one.size(), s.rows().size());
    assertRows(s, List.of("response_id"), List.of("api", "model", "status", "connection_id", "input_tokens",
        "input_cached_tokens", "input_audio_tokens", "output_tokens", "output_audio_tokens", "cost_usd"),
        expect(one, rec -> rec.responseId, g -> java.util.Arrays.asList(g.get(0).api, g.get(0).model, g.get(0).status,
            g.get(0).connection, g.get(0).input(), g.get(0).cached(),
            g.get(0).token("input_audio_tokens") + g.get(0).token("input_cached_audio_tokens"), g.get(0).output(),
            g.get(0).token("output_audio_tokens"), g.get(0).cost(prices))));
    // In time order; and a trace id finds the one HTTP call.
    List<String> times = s.rows().stream().map(row -> row.get(0)).toList();
    assertEquals(times.stream().sorted().toList(), times);
    Record http = records(rec -> rec.session.isEmpty()).get(0);
    assertEquals(List.of(http.responseId), run("session", Map.of("session_id", http.traceId)).rows().stream()
        .map(row -> row.get(s.column("response_id"))).toList());
  }

  @Test
  void missingUsageAndInferredSplits() throws Exception {
    assertRows(run("missing_usage", Map.of()), List.of("api", "model"),
        List.of("requests", "missing_requests", "inferred_requests", "missing_ratio", "inferred_ratio", "malformed_fields"),
        expect(seed.records, r -> r.api + "|" + r.model, g -> {
          long n = g.size();
          long missing = g.stream().filter(r -> r.source.equals("missing")).count();
          long inferred = g.stream().filter(r -> r.split.equals("inferred")).count();
          return List.of(n, missing, inferred, (double) missing / n, (double) inferred / n, 0L);
        }));
    assertRows(run("missing_over_time", Map.of("bucket_seconds", "3600")), List.of("time", "api"),
        List.of("missing_requests", "inferred_requests"),
        expect(seed.records, r -> hour(r) + "|" + r.api, g -> List.of(
            g.stream().filter(r -> r.source.equals("missing")).count(),
            g.stream().filter(r -> r.split.equals("inferred")).count())));
    assertRows(run("missing_diagnostics", Map.of()), List.of("api", "model", "diagnostic"), List.of("records"),
        expect(records(r -> r.source.equals("missing")), r -> r.api + "|" + r.model + "|" + r.diagnostic,
            g -> List.of((long) g.size())));
  }

  @Test
  void pipelineCountsAndLag() throws Exception {
    assertRows(run("raw_vs_ledger", Map.of("bucket_seconds", "3600")), List.of("time"),
        List.of("raw_records", "ledger_records", "rollup_requests"),
        expect(seed.records, QueryResultsTest::hour, g -> List.of((long) g.size(), (long) g.size(), (long) g.size())));
    java.time.Instant now = java.time.Instant.now();
    QueryTarget.Result lag = run("pipeline_lag", Map.of("bucket_seconds", "3600"));
    assertRows(lag, List.of("time"), List.of("records"), expect(seed.records, QueryResultsTest::hour,
        g -> List.of((long) g.size())));
    // The rows were written during this test run, days after their event times.
    for (List<String> row : lag.rows()) {
      java.time.Instant bucket = java.time.Instant.parse(row.get(0).replace(" ", "T") + "Z");
      double max = Double.parseDouble(row.get(lag.column("max_lag_seconds")));
      double avg = Double.parseDouble(row.get(lag.column("avg_lag_seconds")));
      assertTrue(max <= now.getEpochSecond() - bucket.getEpochSecond() + 1, "max lag " + max);
      assertTrue(avg >= now.getEpochSecond() - 600 - bucket.getEpochSecond() - 3600, "avg lag " + avg);
      assertTrue(avg <= max, "avg <= max");
    }
  }

  @Test
  void recordsDroppedInTheAgentPerBucketAndReason() throws Exception {
    Map<String, List<Object>> expected = new TreeMap<>();
    for (LedgerSeed.DroppedPoint p : seed.dropped) {
      String hour = p.time().truncatedTo(java.time.temporal.ChronoUnit.HOURS).toString().replace("T", " ").replace("Z", "");
      expected.merge(hour + "|" + p.reason(), List.of(p.records()),
          (a, b) -> List.of((Long) a.get(0) + (Long) b.get(0)));
    }
    assertRows(run("records_dropped", Map.of("bucket_seconds", "3600")), List.of("time", "reason"), List.of("records"),
        expected);
    assertTrue(expected.keySet().stream().anyMatch(k -> k.endsWith("|export_failed"))
        && expected.keySet().stream().anyMatch(k -> k.endsWith("|queue_full")), "the seed has both reasons");
    // The service filter keeps one service's points only.
    long checkout = seed.dropped.stream().filter(p -> p.service().equals("checkout")).mapToLong(LedgerSeed.DroppedPoint::records).sum();
    long filtered = 0;
    QueryTarget.Result r = run("records_dropped", Map.of("bucket_seconds", "86400", "services", "checkout"));
    for (List<String> row : r.rows()) {
      filtered += Long.parseLong(row.get(r.column("records")));
    }
    assertEquals(checkout, filtered);
  }

  @Test
  void parityShowsExactlyTheKnownDiscrepancies() throws Exception {
    QueryTarget.Result diffs = run("parity_daily", Map.of("only_differences", "1"));
    Map<String, List<Object>> expected = new TreeMap<>();
    ParitySeed.DIFFERENCES.forEach((k, v) -> expected.put(k, List.of(v[0], v[1], v[0] - v[1])));
    assertRows(diffs, List.of("day", "project_id", "api_key_id", "model", "field"), List.of("ours", "openai", "diff"),
        expected);
    assertTrue(expected.size() > 1, "the seed has discrepancies");
    // Every other comparison matches.
    QueryTarget.Result all = run("parity_daily", Map.of());
    assertEquals(ParitySeed.OURS.size() * ParitySeed.FIELDS.size(), all.rows().size());
    Map<String, List<Object>> perDay = new TreeMap<>();
    for (String k : ParitySeed.OURS.keySet()) {
      String day = k.substring(0, 10) + " 00:00:00";
      perDay.merge(day, List.of((long) ParitySeed.FIELDS.size(), 0L, 0L), (a, b) -> List.of((Long) a.get(0) + (Long) b.get(0), 0L, 0L));
    }
    ParitySeed.DIFFERENCES.forEach((k, v) -> {
      String day = k.substring(0, 10) + " 00:00:00";
      List<Object> cur = perDay.get(day);
      long abs = k.endsWith("|num_model_requests") ? 0 : Math.abs(v[0] - v[1]);
      perDay.put(day, List.of(cur.get(0), (Long) cur.get(1) + 1, (Long) cur.get(2) + abs));
    });
    assertRows(run("parity_by_day", Map.of()), List.of("time"), List.of("comparisons", "mismatches", "abs_token_diff"),
        perDay);
  }

  @Test
  void variableValues() throws Exception {
    assertEquals(List.of("checkout", "evaluator", "voice-bot"), column(run("values_service", Map.of()), "value"));
    assertEquals(seed.records.stream().map(r -> r.model).distinct().sorted().toList(),
        column(run("values_model", Map.of()), "value"));
    assertEquals(List.of("proj_a", "proj_b"), column(run("values_project", Map.of()), "value"));
    assertEquals(List.of("production", "staging"), column(run("values_environment", Map.of()), "value"));
  }

  static List<String> column(QueryTarget.Result r, String name) {
    return r.rows().stream().map(row -> row.get(r.column(name))).toList();
  }

  // ---------------------------------------------------------------- helpers

  static <K> Map<K, long[]> sums(Predicate<Record> filter, Function<Record, K> key, List<Function<Record, Long>> measures) {
    Map<K, long[]> out = new TreeMap<>();
    for (Record r : seed.records) {
      if (!filter.test(r)) {
        continue;
      }
      long[] s = out.computeIfAbsent(key.apply(r), k -> new long[measures.size()]);
      for (int i = 0; i < measures.size(); i++) {
        s[i] += measures.get(i).apply(r);
      }
    }
    return out;
  }

  static BigDecimal sumCost(List<Record> rs) {
    BigDecimal total = null;
    for (Record r : rs) {
      BigDecimal c = r.cost(prices);
      if (c != null) {
        total = total == null ? c : total.add(c);
      }
    }
    return total;
  }

  static void assertMoney(BigDecimal expected, String actual, String what) {
    if (expected == null) {
      assertNull(actual, what);
    } else {
      assertTrue(actual != null && expected.compareTo(new BigDecimal(actual)) == 0,
          what + ": expected " + expected.toPlainString() + ", got " + actual);
    }
  }

  static void assertNotEmpty(QueryTarget.Result r) {
    assertFalse(r.rows().isEmpty(), "no rows");
  }
}
