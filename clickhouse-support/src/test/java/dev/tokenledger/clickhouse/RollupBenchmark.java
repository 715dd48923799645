package dev.tokenledger.clickhouse;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * A printed benchmark, not a test: the dashboard question "requests and tokens per UTC day and
 * model over the last 30 days" answered from the hourly rollup ({@code usage_hourly}) and from a
 * raw scan of the ledger ({@code usage_events}, the de-duplicating view of usage_records), on the
 * embedded engine, with 10 million generated ledger rows. The rows go into usage_records, whose
 * materialized view fills the rollup exactly as in production. Both answers must be identical; the printed ratio is
 * raw time / rollup time (medians of several runs after a warm-up).
 *
 * <pre>RollupBenchmark [ROWS (10000000)] [RUNS (7)]</pre>
 */
public final class RollupBenchmark {

  private RollupBenchmark() {}

  public static void main(String[] args) throws Exception {
    long rows = args.length > 0 ? Long.parseLong(args[0]) : 10_000_000L;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    String db = "tl_bench";
    try (EmbeddedClickHouse engine = EmbeddedClickHouse.start()) {
      long t0 = System.nanoTime();
      Migrations migrations = new Migrations(Migrations.loadDefault(),
          new Migrations.Options().database(db).skipAccessControl(true).log(null));
      try (ClickHouseHttpFront front = ClickHouseHttpFront.start(engine);
          java.sql.Connection c = Migrations.connect(front.url(), front.user(), front.password())) {
        migrations.apply(c);
      }
      // 30 days of traffic ending at a whole hour; low-cardinality dimensions as a real fleet has them
      // (6 models, 4 APIs, 3 projects, 4 keys, 2 tiers, 2 services): the rollup then holds one row
      // per combination seen in an hour.
      long end = 1_795_000_000L / 3600 * 3600;
      long span = 30L * 24 * 3600;
      String insert = "INSERT INTO " + db + ".usage_records (Timestamp, record_id, ServiceName, provider, operation, api,"
          + " request_model, response_model, model, service_tier, batch, status, usage_source, usage_split, project_id,"
          + " api_key_fingerprint, input_tokens, output_tokens, input_cached_tokens, input_uncached_tokens,"
          + " input_text_tokens, input_cached_text_tokens, output_text_tokens, output_reasoning_tokens, ingested_at)"
          + " SELECT toDateTime64(" + (end - span) + " + intDiv(number * " + span + ", " + rows + "), 9, 'UTC'),"
          + " lower(hex(sipHash128(number))),"
          + " ['checkout', 'support'][1 + number % 2], 'openai', 'chat',"
          + " ['chat.completions', 'responses', 'embeddings', 'batch.output'][1 + cityHash64(number, 1) % 4],"
          + " m, m, m, ['default', 'flex'][1 + cityHash64(number, 3) % 2], false, 'completed', 'reported', 'reported',"
          + " ['proj_a', 'proj_b', 'proj_c'][1 + cityHash64(number, 4) % 3],"
          + " ['sk-proj…aB3d', 'sk-proj…x9Qz', 'sk-svc…77Lm', 'sk-proj…Pq0A'][1 + cityHash64(number, 5) % 4],"
          + " cached + uncached, out, cached, uncached, uncached, cached, out, intDiv(out, 3),"
          + " toDateTime(" + (end - span) + ", 'UTC')"
          + " FROM (SELECT number, ['gpt-4o', 'gpt-4o-mini', 'gpt-5', 'gpt-5-mini', 'o4-mini',"
          + " 'text-embedding-3-small'][1 + cityHash64(number, 2) % 6] AS m, cityHash64(number, 6) % 4000 AS uncached,"
          + " cityHash64(number, 7) % 2000 AS cached, cityHash64(number, 8) % 1500 AS out FROM numbers(" + rows + "))";
      long t1 = System.nanoTime();
      engine.query(insert);
      long t2 = System.nanoTime();
      // Steady state: background merges have added up the rollup's rows.
      engine.query("OPTIMIZE TABLE " + db + ".usage_hourly FINAL");
      long t3 = System.nanoTime();
      String ledgerRows = engine.query("SELECT count() FROM " + db + ".usage_events").strip();
      String rollupRows = engine.query("SELECT count() FROM " + db + ".usage_hourly").strip();

      String range = "BETWEEN toDateTime(" + (end - span) + ", 'UTC') AND toDateTime(" + end + ", 'UTC') - 1";
      String fromRollup = "SELECT toDate(hour) AS day, model, sum(num_model_requests) AS requests,"
          + " sum(input_tokens) AS input, sum(input_cached_tokens) AS cached, sum(output_tokens) AS output FROM " + db
          + ".usage_hourly WHERE hour " + range + " GROUP BY day, model ORDER BY day, model";
      String fromLedger = "SELECT toDate(Timestamp, 'UTC') AS day, model, count() AS requests,"
          + " sum(input_tokens) AS input, sum(input_cached_tokens) AS cached, sum(output_tokens) AS output FROM " + db
          + ".usage_events WHERE Timestamp " + range + " GROUP BY day, model ORDER BY day, model";
      String a = engine.query(fromRollup);
      String b = engine.query(fromLedger);
      if (!a.equals(b)) {
        throw new AssertionError("the rollup's answer differs from the raw scan's:\nrollup:\n" + head(a) + "\nraw:\n"
            + head(b));
      }
      double rollupMs = median(engine, fromRollup, runs);
      double rawMs = median(engine, fromLedger, runs);
      System.out.printf(Locale.ROOT, "ROLLUP-BENCH ledger_rows=%s rollup_rows=%s days=30 result_rows=%d"
              + " setup_s=%.1f insert_s=%.1f optimize_s=%.1f%n", ledgerRows, rollupRows, a.split("\n").length,
          (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9);
      System.out.printf(Locale.ROOT, "ROLLUP-BENCH dashboard query (30 days, per day x model): usage_hourly %.1f ms,"
          + " raw usage_events scan %.1f ms, ratio raw/rollup = %.1fx (medians of %d runs; answers identical)%n",
          rollupMs, rawMs, rawMs / rollupMs, runs);
    }
  }

  private static double median(EmbeddedClickHouse engine, String sql, int runs) {
    engine.query(sql); // warm-up
    List<Double> ms = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      long t = System.nanoTime();
      engine.query(sql);
      ms.add((System.nanoTime() - t) / 1e6);
    }
    Collections.sort(ms);
    return ms.get(ms.size() / 2);
  }

  private static String head(String s) {
    String[] lines = s.split("\n");
    return String.join("\n", java.util.Arrays.asList(lines).subList(0, Math.min(10, lines.length)));
  }
}
