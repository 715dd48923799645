package dev.tokenledger.clickhouse.queries;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.tokenledger.clickhouse.SqlText;
import dev.tokenledger.clickhouse.queries.GrafanaExpansion.Range;
import dev.tokenledger.clickhouse.queries.GrafanaExpansion.Variable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The checked-in dashboards are exactly what the generator makes of the query library; they are
 * well-formed for the ClickHouse plugin; every panel's and variable's SQL, expanded as the plugin
 * expands it for a time range and variable values, runs on the real engine over seeded usage,
 * returns the column shape its panel type needs, and returns the same rows as the library query
 * rendered with the equivalent parameters; and the provisioning files parse and point at the
 * datasource uid and the dashboards.
 */
class DashboardsTest {

  static final Pattern VARIABLE_USE = Pattern.compile("\\$\\{?(\\w+)");
  static final Set<String> NUMERIC = Set.of("UInt8", "UInt16", "UInt32", "UInt64", "Int8", "Int16", "Int32", "Int64",
      "Float32", "Float64");

  /** Strict: a repeated key or text after the document is an error. */
  static final ObjectMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

  static QueryLibrary library;
  static Path dashboardsDir;
  static QueryTarget target;
  static String db;
  static LedgerSeed seed;

  @BeforeAll
  static void setUp() throws Exception {
    library = QueryLibrary.fromRepository();
    dashboardsDir = DashboardGenerator.defaultDir(library);
    target = QueryTarget.get();
    db = target.migratedDatabase("tl_dashboards");
    seed = LedgerSeed.generate(11, 600);
    try (Connection c = target.connect()) {
      for (String insert : seed.inserts(db)) {
        QueryTarget.exec(c, insert);
      }
      ParitySeed.load(c, db, seed);
    }
  }

  @AfterAll
  static void tearDown() {
    if (target != null && db != null) {
      target.drop(db);
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> dashboard(String file) throws Exception {
    return JSON.readValue(Files.readString(dashboardsDir.resolve(file), StandardCharsets.UTF_8), Map.class);
  }

  static List<String> files() throws Exception {
    try (Stream<Path> s = Files.list(dashboardsDir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted().toList();
    }
  }

  @Test
  void checkedInDashboardsAreWhatTheGeneratorMakesOfTheQueries() throws Exception {
    Map<String, String> generated = DashboardGenerator.generate(library);
    assertEquals(new ArrayList<>(generated.keySet()), files(), "one file per dashboard, no strays");
    for (Map.Entry<String, String> e : generated.entrySet()) {
      assertEquals(e.getValue(), Files.readString(dashboardsDir.resolve(e.getKey()), StandardCharsets.UTF_8),
          e.getKey() + " is stale: run DashboardGenerator (see dashboards/README.md)");
    }
    assertEquals(6, generated.size());
  }

  @Test
  @SuppressWarnings("unchecked")
  void dashboardsAreWellFormedForTheClickHousePlugin() throws Exception {
    Set<String> uids = new HashSet<>();
    for (String file : files()) {
      Map<String, Object> d = dashboard(file);
      assertTrue(uids.add((String) d.get("uid")), "unique uid " + d.get("uid"));
      assertEquals("42", d.get("schemaVersion").toString());
      assertFalse(d.containsKey("id") || d.containsKey("__inputs"), "provisioned dashboards carry no id or __inputs");
      Set<String> defined = new HashSet<>();
      for (Object o : (List<Object>) ((Map<String, Object>) d.get("templating")).get("list")) {
        Map<String, Object> v = (Map<String, Object>) o;
        defined.add((String) v.get("name"));
        assertDatasource(v.get("datasource"), file);
      }
      assertEquals(Set.of("service", "model", "project", "environment").stream().filter(defined::contains).count(),
          defined.size(), file + ": only the four documented variables");
      List<int[]> cells = new ArrayList<>();
      Set<Object> ids = new HashSet<>();
      for (Object o : (List<Object>) d.get("panels")) {
        Map<String, Object> p = (Map<String, Object>) o;
        String where = file + " / " + p.get("title");
        assertTrue(ids.add(p.get("id")), where + ": unique id");
        assertDatasource(p.get("datasource"), where);
        Map<String, Object> g = (Map<String, Object>) p.get("gridPos");
        int x = num(g.get("x"));
        int y = num(g.get("y"));
        int w = num(g.get("w"));
        int h = num(g.get("h"));
        assertTrue(x >= 0 && w > 0 && x + w <= 24 && h > 0, where + ": inside the 24-column grid");
        for (int[] c : cells) {
          boolean overlap = x < c[0] + c[2] && c[0] < x + w && y < c[1] + c[3] && c[1] < y + h;
          assertFalse(overlap, where + ": overlaps another panel");
        }
        cells.add(new int[] {x, y, w, h});
        String unit = (String) ((Map<String, Object>) ((Map<String, Object>) p.get("fieldConfig")).get("defaults")).get("unit");
        assertNotNull(unit, where + ": unit");
        List<Object> targets = (List<Object>) p.get("targets");
        assertEquals(1, targets.size());
        Map<String, Object> t = (Map<String, Object>) targets.get(0);
        assertDatasource(t.get("datasource"), where);
        assertEquals("sql", t.get("editorType"));
        assertEquals(p.get("type").equals("timeseries") ? "0" : "1", t.get("format").toString(), where + ": format");
        String sql = (String) t.get("rawSql");
        assertFalse(sql.isBlank());
        Matcher m = VARIABLE_USE.matcher(sql);
        while (m.find()) {
          assertTrue(m.group(1).startsWith("__") || defined.contains(m.group(1)), where + ": $" + m.group(1) + " undefined");
        }
        // No macro inside a string literal or comment: every plugin version expands such SQL alike.
        for (SqlText.Token tok : SqlText.tokenize(sql)) {
          if (tok.kind() == SqlText.Kind.STRING || tok.kind() == SqlText.Kind.COMMENT) {
            assertFalse(Pattern.compile("\\$[\\w{]").matcher(tok.text()).find(), where + ": '$' inside " + tok.text());
          }
        }
      }
    }
    // Money and ratios carry their units somewhere in every dashboard that shows them.
    String all = String.join("\n", files().stream().map(f -> {
      try {
        return Files.readString(dashboardsDir.resolve(f));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }).toList());
    assertTrue(all.contains("\"currencyUSD\"") && all.contains("\"percentunit\"") && all.contains("\"short\""));
  }

  @SuppressWarnings("unchecked")
  static void assertDatasource(Object o, String where) {
    Map<String, Object> ds = (Map<String, Object>) o;
    assertEquals(DashboardGenerator.PLUGIN, ds.get("type"), where);
    assertEquals(DashboardGenerator.DATASOURCE_UID, ds.get("uid"), where);
  }

  static int num(Object o) {
    return Integer.parseInt(o.toString());
  }

  /** The variable selections each panel is run with: All everywhere, and one concrete selection. */
  static List<Map<String, Variable>> scenarios() {
    Map<String, Variable> all = new LinkedHashMap<>();
    all.put("service", Variable.all("service", List.of("checkout", "evaluator", "voice-bot")));
    all.put("model", Variable.all("model", List.of("gpt-4o-2024-08-06", "gpt-4o-mini", "gpt-realtime", "my-finetune")));
    all.put("project", Variable.all("project", List.of("proj_a", "proj_b")));
    all.put("environment", Variable.all("environment", List.of("production", "staging")));
    Map<String, Variable> some = new LinkedHashMap<>();
    some.put("service", Variable.of("service", "checkout", "voice-bot"));
    some.put("model", Variable.of("model", "gpt-4o-mini", "gpt-realtime"));
    some.put("project", Variable.of("project", "proj_a"));
    some.put("environment", Variable.of("environment", "production"));
    return List.of(all, some);
  }

  /** The library parameter values equivalent to a scenario's variables. */
  static Map<String, String> equivalent(Query q, Map<String, Variable> vars, Range range, Map<String, String> fixed) {
    Map<String, String> v = new LinkedHashMap<>(fixed);
    for (Query.Parameter p : q.parameters()) {
      if (fixed.containsKey(p.name())) {
        continue;
      }
      switch (p.grafana()) {
        case "$__fromTime" -> v.put(p.name(), range.from().toString());
        case "$__toTime" -> v.put(p.name(), range.to().toString());
        case "$__interval_s" -> v.put(p.name(), Long.toString(Math.max(range.interval().toSeconds(), 1)));
        case "" -> { }
        default -> {
          Variable var = vars.get(p.grafana());
          v.put(p.name(), var.all() ? "" : String.join(",", var.selected()));
        }
      }
    }
    return v;
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyPanelAndVariableRunsAsThePluginWouldSendIt() throws Exception {
    Map<String, DashboardLayout.Panel> layout = new TreeMap<>();
    for (DashboardLayout.Dashboard d : DashboardLayout.DASHBOARDS) {
      for (DashboardLayout.Panel p : d.panels()) {
        layout.put(d.file() + "/" + p.title(), p);
      }
    }
    List<String> failures = new ArrayList<>();
    int runs = 0;
    try (Connection c = target.connect()) {
      for (String file : files()) {
        Map<String, Object> d = dashboard(file);
        for (Duration interval : List.of(Duration.ofSeconds(60), Duration.ofHours(6))) {
          Range range = new Range(LedgerSeed.RANGE_FROM, LedgerSeed.RANGE_TO, interval);
          for (Map<String, Variable> vars : scenarios()) {
            if (interval.toHours() > 1 && !vars.get("service").all()) {
              continue; // the selection once, at the short interval
            }
            for (Object o : (List<Object>) ((Map<String, Object>) d.get("templating")).get("list")) {
              Map<String, Object> v = (Map<String, Object>) o;
              String sql = (String) ((Map<String, Object>) v.get("query")).get("rawSql");
              QueryTarget.Result r = run(c, sql, range, vars);
              runs++;
              if (r.names().size() != 1 || r.rows().isEmpty()) {
                failures.add(file + " variable " + v.get("name") + ": expected one column of values, got " + r.names()
                    + " with " + r.rows().size() + " rows");
              }
            }
            for (Object o : (List<Object>) d.get("panels")) {
              Map<String, Object> p = (Map<String, Object>) o;
              String where = file + " / " + p.get("title") + " (" + interval + ", " + (vars.get("service").all()
                  ? "All" : "selection") + ")";
              String sql = (String) ((Map<String, Object>) ((List<Object>) p.get("targets")).get(0)).get("rawSql");
              // The selection runs in a session time zone off the hour: panels must not depend on it.
              String tz = vars.get("service").all() ? "" : "\nSETTINGS session_timezone = 'Asia/Kolkata'";
              try {
                QueryTarget.Result r = QueryTarget.query(c, SqlText.renameIdentifiers(
                    GrafanaExpansion.expand(sql, range, vars), Map.of("tokenledger", db)) + tz);
                runs++;
                String shape = r.rows().isEmpty() && vars.get("service").all() ? "no rows over the seed"
                    : shapeProblem((String) p.get("type"), r);
                if (shape != null) {
                  failures.add(where + ": " + shape);
                  continue;
                }
                // Same rows as the library query with the equivalent parameters.
                DashboardLayout.Panel spec = layout.get(file + "/" + p.get("title"));
                Query q = library.get(spec.query());
                QueryTarget.Result lib = QueryTarget.query(c, q.render(equivalent(q, vars, range, spec.fixed()), db)
                    + "\nSETTINGS session_timezone = 'UTC'");
                List<List<String>> expected = new ArrayList<>();
                for (List<String> row : lib.rows()) {
                  List<String> sel = new ArrayList<>();
                  for (String n : r.names()) {
                    sel.add(row.get(lib.column(n)));
                  }
                  expected.add(sel);
                }
                if (!expected.equals(r.rows())) {
                  failures.add(where + ": rows differ from the library query's");
                }
              } catch (Exception e) {
                failures.add(where + ": " + e.getMessage());
              }
            }
          }
        }
      }
    }
    assertEquals(List.of(), failures);
    assertTrue(runs > 100, "ran " + runs);
  }

  static QueryTarget.Result run(Connection c, String rawSql, Range range, Map<String, Variable> vars) throws Exception {
    String sql = GrafanaExpansion.expand(rawSql, range, vars);
    return QueryTarget.query(c, SqlText.renameIdentifiers(sql, Map.of("tokenledger", db)));
  }

  /** What is wrong with the result for the panel type, or null. */
  static String shapeProblem(String type, QueryTarget.Result r) {
    List<String> kinds = new ArrayList<>();
    for (String t : r.types()) {
      String base = t.replaceFirst("^Nullable\\((.*)\\)$", "$1").replaceFirst("^LowCardinality\\((.*)\\)$", "$1");
      kinds.add(NUMERIC.contains(base) || base.startsWith("Decimal") ? "number" : base.startsWith("Date") ? "time"
          : base.equals("String") ? "string" : "other:" + t);
    }
    boolean hasNumber = kinds.contains("number");
    switch (type) {
      case "timeseries" -> {
        if (!kinds.get(0).equals("time") || !r.types().get(0).startsWith("DateTime")) {
          return "a time series needs a DateTime first column, got " + r.types();
        }
        if (!hasNumber || kinds.subList(1, kinds.size()).stream().anyMatch(k -> !k.equals("number") && !k.equals("string"))) {
          return "a time series needs numbers (and string labels) after the time, got " + r.types();
        }
        List<String> times = r.rows().stream().map(row -> row.get(0)).toList();
        if (!times.equals(times.stream().sorted().toList())) {
          return "a time series must be sorted by time";
        }
      }
      case "stat" -> {
        if (!hasNumber) {
          return "a stat needs a number, got " + r.types();
        }
      }
      case "barchart", "piechart" -> {
        if (!hasNumber || !kinds.contains("string")) {
          return type + " needs a string and a number, got " + r.types();
        }
      }
      case "table" -> {
        if (kinds.stream().anyMatch(k -> k.startsWith("other:"))) {
          return "unexpected column types " + r.types();
        }
      }
      default -> {
        return "unknown panel type " + type;
      }
    }
    return null;
  }

  @Test
  @SuppressWarnings("unchecked")
  void provisioningFilesParseAndPointAtTheDatasourceAndTheDashboards() throws Exception {
    Path prov = dashboardsDir.resolve("provisioning");
    Map<String, Object> ds = (Map<String, Object>) MiniYaml.parse(Files.readString(prov.resolve("datasources/tokenledger.yaml")));
    assertEquals("1", ds.get("apiVersion"));
    List<Object> list = (List<Object>) ds.get("datasources");
    assertEquals(1, list.size());
    Map<String, Object> d = (Map<String, Object>) list.get(0);
    assertEquals(DashboardGenerator.DATASOURCE_UID, d.get("uid"), "the uid every dashboard refers to");
    assertEquals(DashboardGenerator.PLUGIN, d.get("type"));
    Map<String, Object> json = (Map<String, Object>) d.get("jsonData");
    assertEquals("tokenledger", json.get("defaultDatabase"));
    assertTrue(List.of("http", "native").contains(json.get("protocol")));
    Integer.parseInt((String) json.get("port"));
    // The read-only user the migrations create, and its password only from the environment.
    assertEquals("tokenledger_grafana", json.get("username"));
    String users = Files.readString(library.dir().getParent().resolve("migrations/012_users.sql"));
    assertTrue(users.contains("CREATE USER IF NOT EXISTS tokenledger_grafana"));
    String password = (String) ((Map<String, Object>) d.get("secureJsonData")).get("password");
    assertTrue(password.matches("\\$\\{[A-Z_]+}"), "password from an environment variable, got " + password);
    assertTrue(((String) json.get("host")).matches("\\$\\{[A-Z_]+}"), "host from an environment variable");

    Map<String, Object> dp = (Map<String, Object>) MiniYaml.parse(Files.readString(prov.resolve("dashboards/tokenledger.yaml")));
    List<Object> providers = (List<Object>) dp.get("providers");
    assertEquals(1, providers.size());
    Map<String, Object> p = (Map<String, Object>) providers.get(0);
    assertEquals("file", p.get("type"));
    String path = (String) ((Map<String, Object>) p.get("options")).get("path");
    assertTrue(path.startsWith("/"), "an absolute path inside the Grafana container");
    // The provider loads every *.json of the folder the repository's dashboards/ is mounted at:
    // those are exactly the generated dashboards.
    assertEquals(new ArrayList<>(DashboardGenerator.generate(library).keySet()), files());
    Path compose = library.dir().getParent().getParent().resolve("docker-compose.yml");
    if (Files.exists(compose)) {
      String text = Files.readString(compose);
      assertTrue(text.contains("dashboards:" + path) || text.contains("dashboards:" + path + ":ro"),
          "docker-compose.yml mounts ./dashboards at " + path);
      assertTrue(text.contains("dashboards/provisioning:/etc/grafana/provisioning"),
          "docker-compose.yml mounts dashboards/provisioning as Grafana's provisioning directory");
    }
  }
}
