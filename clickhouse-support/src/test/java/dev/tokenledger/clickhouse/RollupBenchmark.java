package dev.tokenledger.clickhouse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * A printed benchmark, not a test: the dashboard question "requests and tokens per UTC day and
 * model over the last 30 days" answered from the hourly rollup ({@code usage_hourly}) and from a
 * raw scan of the ledger, on the embedded engine, as the ledger grows (1, 10 and 100 million rows by
 * default). The raw scan is the query a user would write without the rollup: the same question on
 * {@code usage_events}, the ledger view that counts each record once ({@code usage_records FINAL}).
 *
 * <p>Each size gets a fresh database through the real migrations. The rows are generated with one
 * {@code INSERT … SELECT … FROM numbers()} into {@code usage_records}, the table the Collector's
 * inserts into otel_logs reach through {@code usage_records_mv}; the rollup's materialized view
 * ({@code usage_hourly_mv}) fires on it exactly as in production. Each row is "ingested" 1–10 s after
 * its time, so the rollup first holds one row per series and ingest minute. A running server's
 * automatic correction (017) has since collapsed every settled hour to one row per series at ingest
 * time 1970-01-01 and its merges have added those up: the benchmark brings the rollup to that state
 * ({@link #settleSql}, then {@code OPTIMIZE … FINAL}) and prints the rollup's size before and after.
 * The ledger's parts are left as the insert made them. Both answers must be
 * identical; the printed ratio is raw time / rollup time (medians).
 *
 * <p>Series, as a busy organisation has them (about 38 calls/s at 100 M rows in 30 days): 40 use
 * cases of skewed popularity, each with its service (8), project (12), API key (3 per project),
 * entrypoint and API (chat completions, responses, embeddings or batch); a primary and a fallback
 * model each (11 models); service tiers default / flex / priority; a few incomplete and
 * usage-missing calls. Rows spread evenly over 720 hours.
 *
 * <pre>RollupBenchmark [SIZES (1000000,10000000,100000000)] [ROLLUP_RUNS (7)] [RAW_RUNS (3)]</pre>
 */
public final class RollupBenchmark {

  private static final String DB = "tl_rollup_bench";
  /** Targets of the performance issue. */
  private static final double FLAT_TARGET = 2.0;
  private static final double RATIO_TARGET = 100.0;

  private RollupBenchmark() {}

  record Size(long rows, long rollupRowsAtInsert, long rollupRows, long ledgerParts, long diskBytes, double insertS,
      double settleS, double optimizeS, double rollupMs, double rawMs) {}

  public static void main(String[] args) throws Exception {
    long[] sizes = Arrays.stream((args.length > 0 ? args[0] : "1000000,10000000,100000000").split(","))
        .mapToLong(s -> Long.parseLong(s.strip().replace("_", ""))).toArray();
    int rollupRuns = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    int rawRuns = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    long start = System.nanoTime();
    List<Size> results = new ArrayList<>();
    try (EmbeddedClickHouse engine = EmbeddedClickHouse.start();
        ClickHouseHttpFront front = ClickHouseHttpFront.start(engine)) {
      for (long rows : sizes) {
        results.add(measure(engine, front, rows, rollupRuns, rawRuns));
      }
    }
    System.out.println();
    System.out.println("ROLLUP-BENCH ledger rows | rollup rows (at insert) | usage_hourly ms | raw usage_events ms"
        + " | raw/rollup | disk");
    for (Size s : results) {
      System.out.printf(Locale.ROOT, "ROLLUP-BENCH %,12d | %,9d (%,d) | %8.1f | %9.1f | %7.1fx | %.2f GB%n", s.rows(),
          s.rollupRows(), s.rollupRowsAtInsert(), s.rollupMs(), s.rawMs(), s.rawMs() / s.rollupMs(), s.diskBytes() / 1e9);
    }
    Size first = results.get(0);
    Size last = results.get(results.size() - 1);
    if (results.size() > 1) {
      double growth = last.rollupMs() / first.rollupMs();
      System.out.printf(Locale.ROOT, "ROLLUP-BENCH rollup time %,d -> %,d ledger rows: %.2fx (target <= %.0fx): %s%n",
          first.rows(), last.rows(), growth, FLAT_TARGET, growth <= FLAT_TARGET ? "met" : "not met");
    }
    double ratio = last.rawMs() / last.rollupMs();
    System.out.printf(Locale.ROOT, "ROLLUP-BENCH raw/rollup at %,d ledger rows: %.1fx (target >= %.0fx): %s%n",
        last.rows(), ratio, RATIO_TARGET, ratio >= RATIO_TARGET ? "met" : "not met");
    System.out.printf(Locale.ROOT, "ROLLUP-BENCH whole run %.0f s%n", (System.nanoTime() - start) / 1e9);
  }

  private static Size measure(EmbeddedClickHouse engine, ClickHouseHttpFront front, long rows, int rollupRuns,
      int rawRuns) throws Exception {
    // Disk: about 35 bytes per ledger row once written, twice that while the insert's parts merge.
    Path dataDir = engine.dataDir();
    long free = Files.getFileStore(dataDir).getUsableSpace();
    long need = rows * 70 + (1L << 30);
    if (free < need) {
      throw new IllegalStateException(String.format(Locale.ROOT, "%,d ledger rows need about %.1f GB free at %s;"
          + " %.1f GB are", rows, need / 1e9, dataDir, free / 1e9));
    }
    engine.query("DROP DATABASE IF EXISTS " + DB + " SYNC");
    Migrations migrations = new Migrations(Migrations.loadDefault(),
        new Migrations.Options().database(DB).skipAccessControl(true).log(null));
    try (Connection c = Migrations.connect(front.url(), front.user(), front.password())) {
      migrations.apply(c);
    }
    // 30 whole days ending at the last UTC midnight: a dashboard's "last 30 days". Every row was
    // ingested more than a few seconds ago, so the automatic correction (inserts of the last hour
    // only) has nothing to do while the benchmark runs.
    long end = Long.parseLong(engine.query("SELECT toUnixTimestamp(toStartOfDay(now('UTC')))").strip());
    long span = 30L * 24 * 3600;
    long begin = end - span;

    long t0 = System.nanoTime();
    engine.query(insertSql(rows, begin, span));
    long t1 = System.nanoTime();
    long rollupRowsAtInsert = count(engine, "SELECT count() FROM " + DB + ".usage_hourly");
    engine.query(settleSql(engine));
    long t2 = System.nanoTime();
    engine.query("OPTIMIZE TABLE " + DB + ".usage_hourly FINAL");
    long t3 = System.nanoTime();
    long rollupRows = count(engine, "SELECT count() FROM " + DB + ".usage_hourly");
    long ledgerParts = count(engine, "SELECT count() FROM system.parts WHERE database = '" + DB
        + "' AND table = 'usage_records' AND active");
    long disk = count(engine, "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = '" + DB + "' AND active");

    // Half-open, to the nanosecond: a ledger row in the last second before the end is inside.
    String range = "%s >= toDateTime(" + begin + ", 'UTC') AND %<s < toDateTime(" + end + ", 'UTC')";
    String fromRollup = "SELECT toDate(hour) AS day, model, sum(num_model_requests) AS requests,"
        + " sum(input_tokens) AS input, sum(input_cached_tokens) AS cached, sum(output_tokens) AS output FROM " + DB
        + ".usage_hourly WHERE " + String.format(range, "hour") + " GROUP BY day, model ORDER BY day, model";
    String fromLedger = "SELECT toDate(Timestamp, 'UTC') AS day, model, count() AS requests,"
        + " sum(input_tokens) AS input, sum(input_cached_tokens) AS cached, sum(output_tokens) AS output FROM " + DB
        + ".usage_events WHERE " + String.format(range, "Timestamp") + " GROUP BY day, model ORDER BY day, model";
    String a = engine.query(fromRollup);
    String b = engine.query(fromLedger);
    if (!a.equals(b)) {
      throw new AssertionError("the rollup's answer differs from the raw scan's at " + rows + " rows (day, model,"
          + " requests, input, cached, output):\n" + differences(a, b));
    }
    long ledgerRows = count(engine, "SELECT sum(requests) FROM (" + fromRollup + ")");
    if (ledgerRows != rows) {
      throw new AssertionError("the dashboard counts " + ledgerRows + " requests for " + rows + " ledger rows");
    }
    double rollupMs = median(engine, fromRollup, rollupRuns);
    double rawMs = median(engine, fromLedger, rawRuns);
    Size s = new Size(rows, rollupRowsAtInsert, rollupRows, ledgerParts, disk, (t1 - t0) / 1e9, (t2 - t1) / 1e9,
        (t3 - t2) / 1e9, rollupMs, rawMs);
    System.out.printf(Locale.ROOT, "ROLLUP-BENCH %,d ledger rows (%d parts, %.2f GB on disk): insert %.1f s"
            + " (%,.0f rows/s); usage_hourly %,d rows at insert (series x ingest minute), %,d after the correction"
            + " (%.1f s) and merges (%.1f s); answer %d rows (days x models)%n", rows, ledgerParts, disk / 1e9,
        s.insertS(), rows / s.insertS(), rollupRowsAtInsert, rollupRows, s.settleS(), s.optimizeS(),
        a.split("\n").length);
    System.out.printf(Locale.ROOT, "ROLLUP-BENCH %,d ledger rows: usage_hourly %.1f ms (median of %d), raw usage_events"
        + " %.1f ms (median of %d), raw/rollup %.1fx; answers identical%n", rows, rollupMs, rollupRuns, rawMs, rawRuns,
        rawMs / rollupMs);
    engine.query("DROP DATABASE " + DB + " SYNC");
    return s;
  }

  /**
   * ROWS ledger rows, evenly spread over [begin, begin + span), in time order as a live pipeline
   * writes them; every dimension follows from the row's use case (see the class comment).
   */
  static String insertSql(long rows, long begin, long span) {
    String models = "['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-5', 'gpt-5-mini', 'gpt-5-nano',"
        + " 'o4-mini', 'o3']";
    return "INSERT INTO " + DB + ".usage_records (Timestamp, ingested_at, record_id, ServiceName, provider, operation,"
        + " api, request_model, response_model, model, service_tier, batch, status, usage_source, usage_split,"
        + " project_id, organization_id, api_key_fingerprint, use_case, entrypoint, input_tokens, output_tokens,"
        + " input_cached_tokens, input_uncached_tokens, input_text_tokens, input_cached_text_tokens, output_text_tokens,"
        + " output_reasoning_tokens)"
        + " SELECT ts, toDateTime(ts) + 1 + cityHash64(number, 10) % 10, lower(hex(sipHash128(number))),"
        + " ['checkout', 'support-bot', 'search', 'recommendations', 'doc-ingest', 'analytics', 'email-drafts',"
        + " 'internal-tools'][1 + uc % 8], 'openai', if(api = 'embeddings', 'embeddings', 'chat'), api, m, m, m,"
        + " tier, api = 'batch.output', if(outcome < 997, 'completed', 'incomplete'),"
        + " if(outcome < 999, 'reported', 'missing'), 'reported',"
        + " concat('proj_', toString(uc % 12)), 'org-busy',"
        + " concat('sk-proj…k', leftPad(toString((uc % 12) * 3 + intDiv(uc, 12) % 3), 3, '0')),"
        + " concat('uc_', toString(uc)), concat('/api/uc', toString(uc)),"
        + " cached + uncached, out, cached, uncached, uncached, cached, out,"
        + " if(startsWith(m, 'o') OR startsWith(m, 'gpt-5'), intDiv(out, 3), 0)"
        + " FROM (SELECT number, uc, api, m, tier, outcome,"
        + "   if(outcome < 999, cityHash64(number, 6) % if(api = 'embeddings', 500, 4000), 0) AS uncached,"
        + "   if(outcome < 999 AND api != 'embeddings', cityHash64(number, 7) % 2000, 0) AS cached,"
        + "   if(outcome < 999 AND api != 'embeddings', cityHash64(number, 8) % 1500, 0) AS out,"
        + "   toDateTime64(" + begin + " + intDiv(number * " + span + ", " + rows + "), 9, 'UTC')"
        + "     + toIntervalNanosecond(cityHash64(number, 9) % 1000000000) AS ts"
        + "  FROM (SELECT number, uc, outcome,"
        + "     ['chat.completions', 'chat.completions', 'chat.completions', 'chat.completions', 'chat.completions',"
        + "      'chat.completions', 'responses', 'responses', 'embeddings', 'batch.output'][1 + uc % 10] AS api,"
        + "     multiIf(api = 'embeddings', if(fallback, 'text-embedding-3-large', 'text-embedding-3-small'),"
        + "       fallback, " + models + "[1 + (uc + 4) % 9], " + models + "[1 + uc % 9]) AS m,"
        + "     multiIf(api IN ('embeddings', 'batch.output') OR t < 90, 'default', t < 97, 'flex', 'priority') AS tier"
        + "   FROM (SELECT number,"
        // Skewed popularity: use case 0 is the busiest, use case 39 has about 1% of the calls.
        + "       toUInt32(40 * pow((cityHash64(number, 2) % 1000000) / 1e6, 2)) AS uc,"
        + "       cityHash64(number, 3) % 100 >= 80 AS fallback, cityHash64(number, 4) % 100 AS t,"
        + "       cityHash64(number, 5) % 1000 AS outcome"
        + "     FROM numbers(" + rows + "))))";
  }

  /**
   * What the automatic correction (017) has made of every settled hour on a running server: per
   * series, minus each insert-time row and plus their sum at ingest time 1970-01-01; merges then
   * drop the rows that add up to zero. The correction takes the sum from the ledger (usage_events);
   * here it is taken from the rollup itself, which holds exactly the ledger's figures (the ledger
   * has no second copy of any record, and both answers are compared below), at a fraction of the
   * cost of reading the whole ledger through FINAL. Counters go in as Int64, as the correction's do.
   */
  static String settleSql(EmbeddedClickHouse engine) {
    List<String> dims = new ArrayList<>(RollupRebuild.KEY);
    dims.removeAll(List.of("ingest_hour", "ingest_minute"));
    List<String> plus = new ArrayList<>(dims);
    List<String> minus = new ArrayList<>(dims);
    plus.addAll(List.of("toDateTime(0, 'UTC')", "toDateTime(0, 'UTC')"));
    minus.addAll(List.of("ingest_hour", "ingest_minute"));
    List<String> columns = new ArrayList<>(RollupRebuild.KEY);
    for (String line : engine.query("SELECT name, type FROM system.columns WHERE database = '" + DB
        + "' AND table = 'usage_hourly' ORDER BY position").strip().split("\n")) {
      String[] nameType = line.split("\t");
      if (RollupRebuild.KEY.contains(nameType[0])) {
        continue;
      }
      columns.add(nameType[0]);
      boolean isFloat = nameType[1].startsWith("Float");
      plus.add(isFloat ? "sum(" + nameType[0] + ")" : "toInt64(sum(" + nameType[0] + "))");
      minus.add(isFloat ? "-" + nameType[0] : "-toInt64(" + nameType[0] + ")");
    }
    String table = DB + ".usage_hourly";
    return "INSERT INTO " + table + " (" + String.join(", ", columns) + ") SELECT " + String.join(", ", plus)
        + " FROM " + table + " GROUP BY " + String.join(", ", dims) + " UNION ALL SELECT " + String.join(", ", minus)
        + " FROM " + table + " WHERE ingest_minute != toDateTime(0, 'UTC')";
  }

  private static long count(EmbeddedClickHouse engine, String sql) {
    String v = engine.query(sql).strip();
    return v.isEmpty() || v.equals("\\N") ? 0 : Long.parseLong(v);
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

  private static String differences(String rollup, String raw) {
    List<String> a = Arrays.asList(rollup.split("\n"));
    List<String> b = Arrays.asList(raw.split("\n"));
    StringBuilder out = new StringBuilder();
    for (String line : a) {
      if (!b.contains(line)) {
        out.append("rollup only: ").append(line).append('\n');
      }
    }
    for (String line : b) {
      if (!a.contains(line)) {
        out.append("raw only:    ").append(line).append('\n');
      }
    }
    return out.toString();
  }
}
