package dev.tokenledger.cli;

import dev.tokenledger.clickhouse.queries.Query;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code report summary}, {@code report session ID} and {@code report --html FILE}. */
final class Reports {

  private Reports() {}

  static int report(Args a, Map<String, String> env, PrintStream out, PrintStream err, Clock clock) throws CliException {
    List<String> words = a.positional();
    if (a.has("--html")) {
      if (!words.isEmpty()) {
        throw CliException.usage("report --html FILE takes no other report name ('" + words.get(0) + "')");
      }
      if (a.has("--json")) {
        throw CliException.usage("--json and --html do not go together");
      }
      int days = a.intOption("--days", 30, 1, 3660);
      Path file = Paths.get(a.get("--html"));
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null && !Files.isDirectory(parent)) {
        throw CliException.usage("cannot write " + file + ": the folder " + parent + " does not exist");
      }
      try (ClickHouseSession s = TokenLedger.open(a, env, err)) {
        String html = HtmlReport.build(s, new QueryRunner(s), days, clock.instant());
        try {
          Files.writeString(file, html, StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw new CliException(CliException.USAGE, "Cannot write " + file + ": " + e.getMessage());
        }
        out.println("wrote " + file + " (" + html.length() / 1024 + " KiB): usage of the last " + days + " days");
      }
      return 0;
    }
    if (words.isEmpty()) {
      throw CliException.usage("report wants a report name: summary, session ID, or --html FILE");
    }
    switch (words.get(0)) {
      case "summary" -> {
        if (words.size() > 1) {
          throw CliException.usage("report summary takes no argument '" + words.get(1) + "'");
        }
        return summary(a, env, out, err, clock);
      }
      case "session" -> {
        if (words.size() != 2) {
          throw CliException.usage("report session wants one session id (tokenledger.session.id, e.g. sess_…)");
        }
        if (a.has("--days")) {
          throw CliException.usage("report session shows the whole session: --days does not apply");
        }
        return session(words.get(1), a, env, out, err);
      }
      default -> throw CliException.usage("unknown report '" + words.get(0) + "' (summary, session ID, --html FILE)");
    }
  }

  private static int summary(Args a, Map<String, String> env, PrintStream out, PrintStream err, Clock clock)
      throws CliException {
    int days = a.intOption("--days", 7, 1, 3660);
    Instant to = clock.instant();
    Instant from = to.minus(days, ChronoUnit.DAYS);
    try (ClickHouseSession s = TokenLedger.open(a, env, err)) {
      s.requireMigrated("usage_hourly", "usage_cost_hourly");
      Table t = new QueryRunner(s).run("summary",
          Map.of("from", Query.dateTimeValue(from), "to", Query.dateTimeValue(to)));
      Map<String, String> totals = totals(t, "requests", "input_tokens", "output_tokens", "input_cached_tokens",
          "cost_usd", "unpriced_tokens");
      if (a.has("--json")) {
        out.println(JsonOutput.write(g -> {
          g.writeStartObject();
          g.writeStringField("database", s.database());
          g.writeStringField("from", from.toString());
          g.writeStringField("to", to.toString());
          g.writeNumberField("days", days);
          g.writeFieldName("totals");
          JsonOutput.totals(g, totals);
          g.writeFieldName("rows");
          JsonOutput.rows(g, t);
          g.writeEndObject();
        }));
        return 0;
      }
      out.println("Usage of the last " + days + " days (" + from.truncatedTo(ChronoUnit.SECONDS) + " – "
          + to.truncatedTo(ChronoUnit.SECONDS) + ", UTC), database " + s.database() + " at " + s.settings().where());
      out.println();
      if (t.isEmpty()) {
        out.println("No usage recorded in this range.");
        return 0;
      }
      out.print(TextOutput.table(t));
      out.println();
      out.println("total: " + totals.get("requests") + " requests, " + totals.get("input_tokens") + " input tokens ("
          + totals.get("input_cached_tokens") + " cached), " + totals.get("output_tokens") + " output tokens, cost "
          + ("null".equals(totals.get("cost_usd")) ? "unknown" : "$" + totals.get("cost_usd"))
          + ("0".equals(totals.get("unpriced_tokens")) ? "" : " (+ " + totals.get("unpriced_tokens")
              + " tokens without a known price)"));
      return 0;
    }
  }

  private static int session(String id, Args a, Map<String, String> env, PrintStream out, PrintStream err)
      throws CliException {
    try (ClickHouseSession s = TokenLedger.open(a, env, err)) {
      s.requireMigrated("usage_events");
      Table t = new QueryRunner(s).run("session", Map.of("session_id", id));
      if (t.isEmpty()) {
        throw new CliException(CliException.NOT_FOUND, "No usage recorded for session '" + id + "' in database "
            + s.database() + " at " + s.settings().where() + ". Session ids are the tokenledger.session.id of Realtime"
            + " sessions (sess_…), connection ids or trace ids; check the id, and that the data is not older than the"
            + " ledger's retention.");
      }
      Map<String, String> totals = totals(t, "input_tokens", "input_cached_tokens", "input_audio_tokens",
          "output_tokens", "output_audio_tokens", "cost_usd");
      if (a.has("--json")) {
        out.println(JsonOutput.write(g -> {
          g.writeStartObject();
          g.writeStringField("session_id", id);
          g.writeNumberField("records", t.rows().size());
          g.writeFieldName("totals");
          JsonOutput.totals(g, totals);
          g.writeFieldName("rows");
          JsonOutput.rows(g, t);
          g.writeEndObject();
        }));
        return 0;
      }
      out.println("Session " + id + ": " + t.rows().size() + " usage records");
      out.println();
      out.print(TextOutput.table(t));
      out.println();
      out.println("total: " + totals.get("input_tokens") + " input tokens (" + totals.get("input_cached_tokens")
          + " cached, " + totals.get("input_audio_tokens") + " audio), " + totals.get("output_tokens")
          + " output tokens (" + totals.get("output_audio_tokens") + " audio), cost "
          + ("null".equals(totals.get("cost_usd")) ? "unknown" : "$" + totals.get("cost_usd")));
      return 0;
    }
  }

  /**
   * Column sums as exact decimals (JSON literals); a money column whose every value is NULL sums to
   * null (unknown), not 0.
   */
  static Map<String, String> totals(Table t, String... columns) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String c : columns) {
      int i = t.index(c);
      BigDecimal sum = BigDecimal.ZERO;
      boolean any = false;
      for (List<String> row : t.rows()) {
        String v = row.get(i);
        if (v != null && !v.isEmpty()) {
          sum = sum.add(new BigDecimal(v));
          any = true;
        }
      }
      out.put(c, any || t.isEmpty() || !t.types().get(i).startsWith("Nullable") ? sum.stripTrailingZeros().toPlainString()
          : "null");
    }
    return out;
  }
}
