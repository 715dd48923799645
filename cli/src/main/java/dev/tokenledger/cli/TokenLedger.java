package dev.tokenledger.cli;

import dev.tokenledger.clickhouse.MigrationException;
import dev.tokenledger.clickhouse.Migrations;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code tokenledger} command: migrations, reports, OpenAI usage import and parity, over
 * clickhouse-jdbc. {@link #run} is the whole command without {@code System.exit}, for tests.
 */
public final class TokenLedger {

  static final String USAGE = String.join("\n",
      "tokenledger — what your Java applications spent on OpenAI, from ClickHouse.",
      "",
      "Usage: tokenledger [connection options] COMMAND [options]",
      "",
      "Commands:",
      "  migrate [--status] [--print] [--cluster NAME] [--ttl KEY=DAYS] [--rename OLD=NEW] [--skip-access-control]",
      "          [--dir DIR]",
      "      apply the ClickHouse migrations (clickhouse/migrations); --status lists applied and pending files",
      "  report summary [--days N] [--json]          (N defaults to 7)",
      "      requests, tokens and cost per model and API over the last N days (default 7)",
      "  report session ID [--json]",
      "      the usage of one session (tokenledger.session.id), response by response",
      "  report --html FILE [--days N]               (N defaults to 30)",
      "      a self-contained HTML page with charts (no scripts, fonts or files from elsewhere)",
      "  import-openai-usage FILE.csv | FILE.json",
      "      load OpenAI's completions usage: the dashboard CSV export, or saved Usage API answers",
      "  import-openai-usage --api [--days N] [--base-url URL]   (N defaults to 30)",
      "      load it from OpenAI's Usage API (daily buckets by project, API key and model); the Admin key",
      "      comes from OPENAI_ADMIN_KEY; --base-url (default $OPENAI_BASE_URL, else " + OpenAiUsageApi.DEFAULT_BASE_URL + ")",
      "  parity [--days N] [--json] [--differences-only]   (N defaults to 7)",
      "      our numbers next to OpenAI's imported ones, per day, project, API key, model and field",
      "  rebuild-rollup --from TIME --to TIME",
      "      recompute usage_hourly for [from, to) from the ledger (idempotent, safe while data flows; one at a time)",
      "",
      "Connection options (any position):",
      "  --url URL         ClickHouse HTTP endpoint (default $CLICKHOUSE_URL, else " + ClickHouseSession.Settings.DEFAULT_URL + ")",
      "  --user NAME       (default $CLICKHOUSE_USER, else default)",
      "  --password PW     (default $CLICKHOUSE_PASSWORD; prefer the variable: arguments are visible to other users)",
      "  --database NAME   (default tokenledger)",
      "  --embedded        use the embedded ClickHouse engine instead of a server (to try things out);",
      "  --embedded-dir D  its data directory (default ${XDG_DATA_HOME:-~/.local/share}/tokenledger/embedded)",
      "",
      "Imports are all or nothing: a malformed or truncated file is reported with its line and column and",
      "nothing is imported. Re-importing a time range replaces what an earlier import held for it.",
      "",
      "Exit codes: 0 done; 1 parity found differences; 2 bad arguments; 3 ClickHouse unreachable or",
      "credentials refused; 4 database not migrated; 5 input file rejected; 6 OpenAI Usage API failed or",
      "no admin key; 7 not found (e.g. unknown session id, nothing imported to compare); 8 a statement failed.");

  private static final Set<String> CONNECTION_VALUED = Set.of("--url", "--user", "--password", "--database",
      "--embedded-dir");
  private static final Set<String> CONNECTION_FLAGS = Set.of("--embedded");

  private TokenLedger() {}

  public static void main(String[] args) {
    // The driver logs through slf4j-simple: keep its chatter (retries of a refused connection) off the terminal.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", System.getProperty(
        "org.slf4j.simpleLogger.defaultLogLevel", "error"));
    System.exit(run(args, System.getenv(), System.out, System.err));
  }

  /** The whole command; returns its exit code. */
  public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    try {
      return dispatch(Arrays.asList(args), env, out, err, Clock.systemUTC());
    } catch (CliException e) {
      err.println("tokenledger: " + e.getMessage());
      if (env.containsKey("TOKENLEDGER_DEBUG") && e.getCause() != null) {
        e.getCause().printStackTrace(err);
      }
      return e.exitCode();
    } catch (RuntimeException | Error e) {
      err.println("tokenledger: internal error: " + e + ". This is a bug in tokenledger; set TOKENLEDGER_DEBUG=1 for"
          + " the stack trace and report it.");
      if (env.containsKey("TOKENLEDGER_DEBUG")) {
        e.printStackTrace(err);
      }
      return 70;
    }
  }

  static int dispatch(List<String> words, Map<String, String> env, PrintStream out, PrintStream err, Clock clock)
      throws CliException {
    if (words.isEmpty() || words.contains("--help") || words.contains("-h") || words.get(0).equals("help")) {
      out.println(USAGE);
      return words.isEmpty() ? CliException.USAGE : 0;
    }
    String command = firstPositional(words);
    if (command == null) {
      throw CliException.usage("no command given");
    }
    List<String> rest = new ArrayList<>(words);
    rest.remove(command);
    switch (command) {
      case "migrate" -> {
        Args a = parse(rest, Set.of("--cluster", "--ttl", "--rename", "--dir"),
            Set.of("--status", "--print", "--skip-access-control"));
        return migrate(a, env, out, err);
      }
      case "report" -> {
        Args a = parse(rest, Set.of("--days", "--html"), Set.of("--json"));
        return Reports.report(a, env, out, err, clock);
      }
      case "import-openai-usage" -> {
        Args a = parse(rest, Set.of("--days", "--base-url"), Set.of("--api"));
        return importUsage(a, env, out, err, clock);
      }
      case "parity" -> {
        Args a = parse(rest, Set.of("--days"), Set.of("--json", "--differences-only"));
        return Parity.run(a, env, out, err, clock);
      }
      case "rebuild-rollup" -> {
        Args a = parse(rest, Set.of("--from", "--to"), Set.of());
        return RebuildRollup.run(a, env, out, err);
      }
      default -> throw CliException.usage("unknown command '" + command + "'");
    }
  }

  private static String firstPositional(List<String> words) {
    for (int i = 0; i < words.size(); i++) {
      String w = words.get(i);
      if (w.startsWith("--")) {
        if (CONNECTION_VALUED.contains(w)) {
          i++;
        }
        continue;
      }
      return w;
    }
    return null;
  }

  private static Args parse(List<String> words, Set<String> valued, Set<String> flags) throws CliException {
    Set<String> v = new HashSet<>(valued);
    v.addAll(CONNECTION_VALUED);
    Set<String> f = new HashSet<>(flags);
    f.addAll(CONNECTION_FLAGS);
    return Args.parse(words, v, f);
  }

  static ClickHouseSession open(Args a, Map<String, String> env, PrintStream err) throws CliException {
    return ClickHouseSession.open(ClickHouseSession.Settings.from(a, env), err);
  }

  static void noPositional(Args a, String command) throws CliException {
    if (!a.positional().isEmpty()) {
      throw CliException.usage(command + " takes no argument '" + a.positional().get(0) + "'");
    }
  }

  // ---------------------------------------------------------------- migrate

  private static int migrate(Args a, Map<String, String> env, PrintStream out, PrintStream err) throws CliException {
    noPositional(a, "migrate");
    ClickHouseSession.Settings s = ClickHouseSession.Settings.from(a, env);
    Migrations.Options options = new Migrations.Options().database(s.database()).log(err);
    if (a.has("--cluster")) {
      options.cluster(a.get("--cluster"));
    }
    if (a.has("--ttl")) {
      String kv = a.get("--ttl");
      int eq = kv.indexOf('=');
      try {
        options.ttlDays(kv.substring(0, Math.max(eq, 0)), Integer.parseInt(kv.substring(eq + 1)));
      } catch (RuntimeException e) {
        throw CliException.usage("--ttl wants KEY=DAYS (raw_days=30, ledger_days=400), not '" + kv + "'");
      }
    }
    if (a.has("--rename")) {
      String kv = a.get("--rename");
      int eq = kv.indexOf('=');
      if (eq <= 0 || eq == kv.length() - 1) {
        throw CliException.usage("--rename wants OLD=NEW (a user, role or profile name of the files), not '" + kv + "'");
      }
      options.rename(kv.substring(0, eq), kv.substring(eq + 1));
    }
    boolean skipAccess = a.has("--skip-access-control") || s.embedded();
    if (s.embedded() && !a.has("--skip-access-control")) {
      err.println("tokenledger: the embedded engine has no users or grants: skipping 012_users.sql");
    }
    options.skipAccessControl(skipAccess);
    try {
      List<Migrations.Migration> files = a.has("--dir") ? Migrations.loadDirectory(Paths.get(a.get("--dir")))
          : Migrations.loadDefault();
      Migrations m = new Migrations(files, options);
      if (a.has("--print")) {
        m.print(out);
        return 0;
      }
      try (ClickHouseSession session = ClickHouseSession.open(s, err)) {
        if (a.has("--status")) {
          m.status(session.connection()).forEach(out::println);
          return 0;
        }
        Migrations.Report r = m.apply(session.connection());
        out.println("migrated database " + s.database() + " at " + s.where() + ": " + r.applied().size() + " applied, "
            + r.alreadyApplied().size() + " already applied, " + r.skipped().size() + " skipped");
        return 0;
      }
    } catch (MigrationException e) {
      throw ClickHouseSession.fromMigration(e);
    }
  }

  // ---------------------------------------------------------------- import-openai-usage

  private static int importUsage(Args a, Map<String, String> env, PrintStream out, PrintStream err, Clock clock)
      throws CliException {
    // The arguments first; then the table, whose token columns are what is read and stored.
    boolean api = a.has("--api");
    String key = null;
    String base = null;
    int days = 0;
    Path file = null;
    if (api) {
      noPositional(a, "import-openai-usage --api");
      days = a.intOption("--days", 30, 1, 3660);
      key = env.get("OPENAI_ADMIN_KEY");
      if (key == null || key.isBlank()) {
        throw new CliException(CliException.OPENAI_API, "OPENAI_ADMIN_KEY is not set. The Usage API needs an"
            + " organization Admin key (sk-admin-…, created under the organization's Admin keys settings): export"
            + " OPENAI_ADMIN_KEY=sk-admin-… and run this again, or import the dashboard's CSV export instead"
            + " (import-openai-usage FILE.csv).");
      }
      base = a.get("--base-url", env.getOrDefault("OPENAI_BASE_URL", OpenAiUsageApi.DEFAULT_BASE_URL));
      if (base.isBlank() || !base.matches("(?i)https?://.+")) {
        throw CliException.usage("--base-url wants an http(s) URL such as " + OpenAiUsageApi.DEFAULT_BASE_URL
            + ", not '" + base + "'");
      }
    } else {
      if (a.has("--days") || a.has("--base-url")) {
        throw CliException.usage("--days and --base-url go with --api; a file import takes the range the file covers");
      }
      if (a.positional().size() != 1) {
        throw CliException.usage("import-openai-usage wants one file (OpenAI's usage CSV export or a saved Usage API"
            + " answer in JSON), or --api");
      }
      file = Paths.get(a.positional().get(0));
      if (!Files.exists(file)) {
        throw UsageImport.noSuchFile(file);
      }
    }
    try (ClickHouseSession session = open(a, env, err)) {
      List<String> tokenColumns = UsageImport.tokenColumns(session);
      List<ImportRow> rows;
      long from;
      long to;
      String source;
      if (api) {
        Instant today = clock.instant().truncatedTo(ChronoUnit.DAYS);
        from = today.minus(days - 1L, ChronoUnit.DAYS).getEpochSecond();
        to = today.plus(1, ChronoUnit.DAYS).getEpochSecond();
        err.println("tokenledger: reading OpenAI completions usage " + Instant.ofEpochSecond(from) + " – "
            + Instant.ofEpochSecond(to) + " from " + base);
        rows = new OpenAiUsageApi(base.strip(), key.strip()).completions(from, to, tokenColumns, err);
        source = "usage_api";
      } else {
        rows = UsageImport.readFile(file, tokenColumns, err);
        if (rows.isEmpty()) {
          out.println(file + " has no usage rows: nothing to import.");
          return 0;
        }
        long[] range = UsageImport.range(rows);
        from = range[0];
        to = range[1];
        source = file.toString().toLowerCase(java.util.Locale.ROOT).endsWith(".json") ? "usage_api" : "csv";
      }
      if (rows.stream().anyMatch(r -> !"1d".equals(r.bucketWidth()))) {
        err.println("tokenledger: note: parity compares daily (1d) buckets; the hourly or per-minute rows of this"
            + " import are stored but not compared");
      }
      UsageImport.Result r = UsageImport.store(session, rows, tokenColumns, source, from, to, err);
      out.println(UsageImport.describe(r));
    }
    return 0;
  }

  static Instant startOfDayUtc(Instant t) {
    return t.atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS).toInstant();
  }

}
