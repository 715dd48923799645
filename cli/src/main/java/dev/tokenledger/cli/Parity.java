package dev.tokenledger.cli;

import dev.tokenledger.clickhouse.queries.Query;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code parity --days N}: our daily numbers next to OpenAI's imported ones (the library's
 * {@code parity_daily}, over {@code usage_parity_daily}), per UTC day, project, API key, model and
 * export field, with the difference in tokens and percent. Exit code 1 when any field differs, so
 * a scheduled job can alert on it; 7 when no OpenAI usage was imported for the range at all.
 */
final class Parity {

  private Parity() {}

  static int run(Args a, Map<String, String> env, PrintStream out, PrintStream err, Clock clock) throws CliException {
    TokenLedger.noPositional(a, "parity");
    int days = a.intOption("--days", 7, 1, 3660);
    Instant now = clock.instant();
    Instant from = TokenLedger.startOfDayUtc(now).minus(days - 1L, ChronoUnit.DAYS);
    try (ClickHouseSession s = TokenLedger.open(a, env, err)) {
      s.requireMigrated("usage_parity_daily", "openai_usage_import");
      Table all = new QueryRunner(s).run("parity_daily", Map.of("from", Query.dateTimeValue(from), "to",
          Query.dateTimeValue(now)));
      boolean anyOpenAi = false;
      List<List<String>> differing = new ArrayList<>();
      int state = all.index("state");
      for (List<String> row : all.rows()) {
        if (!"missing_openai".equals(row.get(state))) {
          anyOpenAi = true;
        }
        if (!"match".equals(row.get(state))) {
          differing.add(row);
        }
      }
      String range = from.toString().substring(0, 10) + " – " + now.toString().substring(0, 10) + " (UTC days)";
      if (!anyOpenAi) {
        throw new CliException(CliException.NOT_FOUND, "No OpenAI usage is imported for " + range + " in database "
            + s.database() + ": nothing to compare with. Run `tokenledger import-openai-usage --api --days " + days
            + "` (or import the dashboard's CSV export) first.");
      }
      Table shown = a.has("--differences-only") ? new Table(all.columns(), all.types(), differing) : all;
      if (a.has("--json")) {
        out.println(JsonOutput.write(g -> {
          g.writeStartObject();
          g.writeStringField("from", from.toString());
          g.writeStringField("to", now.toString());
          g.writeNumberField("differences", differing.size());
          g.writeFieldName("rows");
          JsonOutput.rows(g, shown);
          g.writeEndObject();
        }));
      } else {
        out.println("Parity with OpenAI's usage for " + range + ", database " + s.database() + ": ours (the ledger) vs"
            + " openai (imported); diff = ours - openai, diff_pct in percent of OpenAI's figure");
        out.println();
        if (!shown.isEmpty()) {
          out.print(TextOutput.table(shown));
          out.println();
        }
        out.println(differing.isEmpty() ? "No differences: every field of every day, project, key and model matches."
            : differing.size() + " of " + all.rows().size() + " figures differ (exit code 1).");
      }
      return differing.isEmpty() ? 0 : CliException.DIFFERENCES;
    }
  }
}
