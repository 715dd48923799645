package dev.tokenledger.clickhouse.queries;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.clickhouse.RollupRebuild;
import dev.tokenledger.clickhouse.SqlText;
import dev.tokenledger.clickhouse.queries.LedgerSeed.Record;
import java.sql.Connection;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Record-level exactly-once (docs/clickhouse.md#exactly-once): the same usage records delivered the
 * way a Collector re-forms its retries and replays — a batch, then a bigger batch holding it again
 * with new neighbours, then a replay without EventName in another order, then another split of the
 * middle — into one database, and exactly once into another. Every record has the agent's id but
 * one in seven, which come from an agent without it and are recognised by their content. Then the
 * ledger holds each record once, and every query of the library, run with its default parameters,
 * gives the same figures on both databases: at once for the ledger's questions, and for the
 * rollup's after the rollup's correction (migration 017, run here with its watermark moved past
 * the inserts instead of waiting two minutes for it; RollupCorrectionTest shows the view doing it
 * on its own).
 */
class ExactlyOnceQueriesTest {

  static final int RECORDS = 700;

  static QueryTarget target;
  static String dup;
  static String once;
  static LedgerSeed seed;
  static QueryLibrary library;

  @BeforeAll
  static void deliver() throws Exception {
    target = QueryTarget.get();
    library = QueryLibrary.fromRepository();
    // Inside every query's default range (the shortest is the last day), before now().
    seed = LedgerSeed.generate(13, RECORDS, Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(6, ChronoUnit.HOURS));
    for (int i = 0; i < seed.records.size(); i++) {
      if (i % 7 != 3) {
        seed.records.get(i).recordId = String.format("%016x%016x", 0x5eedL, i);
      }
    }
    dup = target.migratedDatabase("tl_once_dup");
    once = target.migratedDatabase("tl_once_truth");
    List<Record> all = seed.records;
    List<Record> firstHalf = all.subList(0, RECORDS / 2);
    try (Connection c = target.connect()) {
      for (String insert : seed.inserts(once)) {
        QueryTarget.exec(c, insert);
      }
      // [r1 … rn/2], then [r1 … rn]: the first batch again, merged with new neighbours.
      QueryTarget.exec(c, LedgerSeed.insert(dup, firstHalf, true));
      QueryTarget.exec(c, LedgerSeed.insert(dup, all, true));
      // A replay of the first half without EventName, in another order.
      List<Record> reversed = new ArrayList<>(firstHalf);
      java.util.Collections.reverse(reversed);
      QueryTarget.exec(c, LedgerSeed.insert(dup, reversed, false));
      // The middle once more, split into other blocks.
      List<Record> middle = all.subList(RECORDS / 4, 3 * RECORDS / 4);
      for (int from = 0; from < middle.size(); from += 37) {
        QueryTarget.exec(c, LedgerSeed.insert(dup, middle.subList(from, Math.min(middle.size(), from + 37)), true));
      }
    }
  }

  @AfterAll
  static void tearDown() {
    if (target != null) {
      target.drop(dup);
      target.drop(once);
    }
  }

  @Test
  void theLedgerHoldsEveryRecordOnceHoweverItWasDelivered() throws Exception {
    try (Connection c = target.connect()) {
      long raw = Long.parseLong(scalar(c, "SELECT count() FROM " + q(dup) + ".otel_logs"));
      assertEquals(RECORDS / 2 + RECORDS + RECORDS / 2 + RECORDS / 2, raw, "copies delivered into otel_logs");
      assertEquals(List.of(String.valueOf(RECORDS), String.valueOf(RECORDS)),
          QueryTarget.query(c, "SELECT toString(count()), toString(uniqExact(record_id)) FROM " + q(dup)
              + ".usage_events").rows().get(0), "usage_events rows and distinct record ids");
      // Row for row the ledger of the database that got each record once (the insert time aside).
      String rows = "SELECT * EXCEPT (ingested_at) FROM %s.usage_events ORDER BY record_id";
      assertEquals(QueryTarget.query(c, String.format(rows, q(once))).rows(),
          QueryTarget.query(c, String.format(rows, q(dup))).rows(), "usage_events vs the exactly-once ledger");
    }
  }

  @Test
  void everyQueryOfTheLibraryGivesTheExactlyOnceFiguresOnceTheRollupIsCorrected() throws Exception {
    try (Connection c = target.connect()) {
      // Before the correction the rollup has counted the copies (the ledger has not).
      String requests = "SELECT toString(sum(num_model_requests)) FROM %s.usage_hourly";
      assertTrue(Long.parseLong(scalar(c, String.format(requests, q(dup)))) > RECORDS,
          "the rollup counts copies until corrected: " + scalar(c, String.format(requests, q(dup))));

      Instant settled = Instant.now().plus(1, ChronoUnit.MINUTES);
      assertTrue(RollupRebuild.settle(c, dup, settled, 400) > 0, "correction rows for the copies");
      RollupRebuild.settle(c, once, settled, 400);
      assertEquals(String.valueOf(RECORDS), scalar(c, String.format(requests, q(dup))), "rollup requests");
      assertEquals(0, RollupRebuild.settle(c, dup, settled, 400), "a second run finds nothing to correct");

      List<String> differences = new ArrayList<>();
      int compared = 0;
      for (Query query : library.all()) {
        Map<String, String> values = new LinkedHashMap<>();
        if (query.parameters().stream().anyMatch(p -> p.name().equals("session_id"))) {
          values.put("session_id", "sess_1");
        }
        List<List<String>> expected = rows(c, query, values, once);
        List<List<String>> actual = rows(c, query, values, dup);
        if (!expected.equals(actual)) {
          differences.add(query.name() + ":\n    exactly once " + expected + "\n    re-formed    " + actual);
        }
        compared += expected.isEmpty() ? 0 : 1;
      }
      assertEquals(List.of(), differences);
      assertTrue(compared >= library.all().size() - 3, "queries with rows to compare: " + compared);

      String hourly = "SELECT hour, api, model, project_id, service_tier, batch, usage_source, entrypoint, use_case,"
          + " sum(num_model_requests), sum(input_tokens), sum(output_tokens), sum(input_cached_tokens),"
          + " sum(output_audio_tokens) FROM %s.usage_hourly GROUP BY ALL HAVING sum(num_model_requests) != 0 ORDER BY ALL";
      assertEquals(QueryTarget.query(c, String.format(hourly, q(once))).rows(),
          QueryTarget.query(c, String.format(hourly, q(dup))).rows(), "usage_hourly per hour and dimension");
    }
  }

  /**
   * A query's rows on {@code db}, sorted (rows that tie in a query's ORDER BY may come in any
   * order). Pipeline lag compares its record counts: the lags depend on when each database was
   * written.
   */
  private static List<List<String>> rows(Connection c, Query query, Map<String, String> values, String db)
      throws Exception {
    List<List<String>> out = new ArrayList<>();
    for (List<String> row : QueryTarget.query(c, query.render(values, db)).rows()) {
      out.add(query.name().equals("pipeline_lag") ? row.subList(0, 2) : row);
    }
    out.sort((a, b) -> String.valueOf(a).compareTo(String.valueOf(b)));
    return out;
  }

  private static String scalar(Connection c, String sql) throws Exception {
    return QueryTarget.query(c, sql).rows().get(0).get(0);
  }

  private static String q(String db) {
    return SqlText.quoteIdentifier(db);
  }
}
