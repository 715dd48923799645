package dev.tokenledger.clickhouse.queries;

import dev.tokenledger.clickhouse.queries.DashboardLayout.Dashboard;
import dev.tokenledger.clickhouse.queries.DashboardLayout.Panel;
import dev.tokenledger.clickhouse.queries.DashboardLayout.Type;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Generates the Grafana dashboards ({@code dashboards/*.json}) from the query library and
 * {@link DashboardLayout}: every panel's SQL is a library query translated by
 * {@link GrafanaPanelSql#panelSql}, units come from the queries' {@code @column} units, and the
 * dashboard variables are the ones the panels' queries map their filters to, each filled by the
 * library's {@code values_<name>} query. The generated files are checked in, and a test fails when
 * they differ from what this generator produces, so dashboards and queries cannot drift apart.
 *
 * <pre>
 * java -cp … dev.tokenledger.clickhouse.queries.DashboardGenerator [--check] [dashboards-dir]
 * </pre>
 *
 * Writes the files (default directory: {@code dashboards} next to {@code clickhouse/queries}), or
 * with {@code --check} only compares them and exits 1 when one differs.
 */
public final class DashboardGenerator {

  /** The plugin's id, and the uid the datasource provisioning file gives it. */
  public static final String PLUGIN = "grafana-clickhouse-datasource";
  public static final String DATASOURCE_UID = "tokenledger-clickhouse";
  /** Variables in the order the dashboards show them, with their labels. */
  static final Map<String, String> VARIABLES = new LinkedHashMap<>();

  static {
    VARIABLES.put("service", "Service");
    VARIABLES.put("environment", "Environment");
    VARIABLES.put("project", "Project");
    VARIABLES.put("model", "Model");
  }

  private DashboardGenerator() {}

  // An ordered JSON object from key, value pairs (Map.of would not keep the order stable).
  private static Map<String, Object> obj(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  /** File name -> JSON text, for every dashboard of the layout. */
  public static Map<String, String> generate(QueryLibrary library) {
    Map<String, String> out = new TreeMap<>();
    for (Dashboard d : DashboardLayout.DASHBOARDS) {
      out.put(d.file(), DashboardJson.write(dashboard(library, d)));
    }
    return out;
  }

  /** Grafana's unit for a library column unit. */
  static String grafanaUnit(String unit) {
    return switch (unit) {
      case "USD" -> "currencyUSD";
      case "ratio" -> "percentunit";
      case "seconds" -> "s";
      case "tokens", "requests", "count" -> "short";
      default -> "none";
    };
  }

  private static Map<String, Object> datasource() {
    Map<String, Object> ds = new LinkedHashMap<>();
    ds.put("type", PLUGIN);
    ds.put("uid", DATASOURCE_UID);
    return ds;
  }

  private static Map<String, Object> dashboard(QueryLibrary library, Dashboard d) {
    Set<String> variables = new LinkedHashSet<>();
    for (Panel p : d.panels()) {
      for (Query.Parameter param : library.get(p.query()).parameters()) {
        if (param.isArray() && !param.grafana().isEmpty() && !p.fixed().containsKey(param.name())) {
          variables.add(param.grafana());
        }
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("uid", d.uid());
    m.put("title", d.title());
    m.put("description", d.description() + " Generated from clickhouse/queries by DashboardGenerator: edit the"
        + " queries or the layout, not this file.");
    m.put("tags", List.of("tokenledger"));
    m.put("timezone", "utc");
    m.put("editable", false);
    m.put("graphTooltip", 1);
    m.put("schemaVersion", 42);
    m.put("version", 1);
    m.put("refresh", "5m");
    m.put("time", obj("from", "now-7d", "to", "now"));
    m.put("annotations", obj("list", List.of()));
    m.put("links", List.of(linkToOthers()));
    List<Object> vars = new ArrayList<>();
    for (String v : VARIABLES.keySet()) {
      if (variables.contains(v)) {
        vars.add(variable(library, v));
      }
    }
    for (String v : variables) {
      if (!VARIABLES.containsKey(v)) {
        throw new QueryException("dashboard " + d.file() + ": variable $" + v + " has no label in DashboardGenerator");
      }
    }
    m.put("templating", obj("list", vars));
    m.put("panels", panels(library, d));
    return m;
  }

  private static Map<String, Object> linkToOthers() {
    Map<String, Object> l = new LinkedHashMap<>();
    l.put("title", "TokenLedger");
    l.put("type", "dashboards");
    l.put("tags", List.of("tokenledger"));
    l.put("asDropdown", true);
    l.put("includeVars", true);
    l.put("keepTime", true);
    return l;
  }

  private static Map<String, Object> variable(QueryLibrary library, String name) {
    Query q = library.get("values_" + name);
    String sql = GrafanaPanelSql.panelSql(q, Map.of());
    Map<String, Object> query = new LinkedHashMap<>();
    query.put("refId", "values_" + name);
    query.put("editorType", "sql");
    query.put("rawSql", sql);
    Map<String, Object> current = new LinkedHashMap<>();
    current.put("selected", true);
    current.put("text", List.of("All"));
    current.put("value", List.of("$__all"));
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("type", "query");
    v.put("name", name);
    v.put("label", VARIABLES.get(name));
    v.put("description", q.title());
    v.put("datasource", datasource());
    v.put("query", query);
    v.put("definition", sql);
    v.put("refresh", 2); // on time range change
    v.put("multi", true);
    v.put("includeAll", true);
    v.put("current", current);
    v.put("options", List.of());
    v.put("sort", 1);
    v.put("hide", 0);
    return v;
  }

  private static List<Object> panels(QueryLibrary library, Dashboard d) {
    List<Object> out = new ArrayList<>();
    int x = 0;
    int y = 0;
    int rowHeight = 0;
    int id = 1;
    for (Panel p : d.panels()) {
      if (p.width() < 1 || p.width() > 24) {
        throw new QueryException(d.file() + ": panel '" + p.title() + "' must be 1 to 24 columns wide");
      }
      if (x + p.width() > 24) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      Map<String, Object> grid = new LinkedHashMap<>();
      grid.put("h", p.height());
      grid.put("w", p.width());
      grid.put("x", x);
      grid.put("y", y);
      out.add(panel(library, d, p, id++, grid));
      x += p.width();
      rowHeight = Math.max(rowHeight, p.height());
    }
    return out;
  }

  private static Map<String, Object> panel(QueryLibrary library, Dashboard d, Panel p, int id, Map<String, Object> grid) {
    Query q = library.get(p.query());
    List<Query.Column> shown = new ArrayList<>();
    for (String f : p.fields()) {
      shown.add(column(q, f, d, p));
    }
    String sql = GrafanaPanelSql.panelSql(q, p.fixed());
    if (shown.isEmpty()) {
      shown.addAll(q.columns());
    } else {
      if (p.type() == Type.TIMESERIES) { // the time column and the series labels stay
        List<Query.Column> keep = new ArrayList<>();
        for (Query.Column c : q.columns()) {
          if ((c == q.columns().get(0) || c.unit().isEmpty()) && !shown.contains(c)) {
            keep.add(c);
          }
        }
        shown.addAll(0, keep);
      }
      // Only the shown columns, selected from the library query as it is.
      sql = "SELECT " + String.join(", ", shown.stream().map(Query.Column::name).toList()) + "\nFROM\n(\n"
          + sql.indent(4).stripTrailing() + "\n)" + (p.type() == Type.TIMESERIES ? "\nORDER BY " + String.join(", ",
          shown.stream().filter(c -> c == q.columns().get(0) || c.unit().isEmpty()).map(Query.Column::name).toList()) : "");
    }
    List<Query.Column> measures = shown.stream().filter(c -> !c.unit().isEmpty()).toList();
    String unit = measures.isEmpty() ? "none" : grafanaUnit(measures.get(0).unit());

    Map<String, Object> target = new LinkedHashMap<>();
    target.put("refId", "A");
    target.put("datasource", datasource());
    target.put("editorType", "sql");
    target.put("format", p.type() == Type.TIMESERIES ? 0 : 1);
    target.put("queryType", p.type() == Type.TIMESERIES ? "timeseries" : "table");
    target.put("rawSql", sql);

    Map<String, Object> defaults = new LinkedHashMap<>();
    defaults.put("unit", unit);
    if (p.type() == Type.TIMESERIES) {
      defaults.put("custom", obj("drawStyle", "line", "fillOpacity", 10, "spanNulls", true));
    }
    List<Object> overrides = new ArrayList<>();
    for (Query.Column c : measures) {
      String u = grafanaUnit(c.unit());
      if (!u.equals(unit)) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("matcher", obj("id", "byName", "options", c.name()));
        o.put("properties", List.of(obj("id", "unit", "value", u)));
        overrides.add(o);
      }
    }
    Map<String, Object> fieldConfig = new LinkedHashMap<>();
    fieldConfig.put("defaults", defaults);
    fieldConfig.put("overrides", overrides);

    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("type", p.type().name().toLowerCase(Locale.ROOT));
    m.put("title", p.title());
    m.put("description", q.title() + " (query " + q.name() + ", clickhouse/queries/" + q.fileName() + ")");
    m.put("datasource", datasource());
    m.put("gridPos", grid);
    m.put("fieldConfig", fieldConfig);
    m.put("options", options(p));
    m.put("targets", List.of(target));
    return m;
  }

  private static Query.Column column(Query q, String name, Dashboard d, Panel p) {
    for (Query.Column c : q.columns()) {
      if (c.name().equals(name)) {
        return c;
      }
    }
    throw new QueryException(d.file() + ": panel '" + p.title() + "' shows column " + name + ", which query " + q.name()
        + " does not return; it returns " + q.columnNames());
  }

  private static Map<String, Object> options(Panel p) {
    Map<String, Object> o = new LinkedHashMap<>();
    switch (p.type()) {
      case STAT -> {
        Map<String, Object> reduce = new LinkedHashMap<>();
        reduce.put("calcs", List.of("sum"));
        reduce.put("fields", "");
        reduce.put("values", false);
        o.put("reduceOptions", reduce);
        o.put("colorMode", "value");
        o.put("graphMode", "none");
        o.put("textMode", "value");
      }
      case TIMESERIES -> {
        o.put("legend", obj("displayMode", "table", "placement", "bottom", "showLegend", true,
            "calcs", List.of("sum", "max")));
        o.put("tooltip", obj("mode", "multi", "sort", "desc"));
      }
      case TABLE -> {
        o.put("showHeader", true);
        o.put("cellHeight", "sm");
      }
      case BARCHART -> {
        o.put("orientation", "horizontal");
        o.put("showValue", "auto");
        o.put("legend", obj("displayMode", "list", "placement", "bottom", "showLegend", false));
      }
      case PIECHART -> {
        o.put("pieType", "donut");
        o.put("reduceOptions", obj("calcs", List.of("sum"), "fields", "", "values", true));
        o.put("legend", obj("displayMode", "table", "placement", "right", "showLegend", true,
            "values", List.of("percent")));
      }
      default -> throw new IllegalStateException();
    }
    return o;
  }

  /** The dashboards directory next to the library's {@code clickhouse/queries}. */
  public static Path defaultDir(QueryLibrary library) {
    return library.dir().toAbsolutePath().getParent().getParent().resolve("dashboards");
  }

  public static void main(String[] args) throws IOException {
    boolean check = false;
    Path dir = null;
    for (String a : args) {
      if (a.equals("--check")) {
        check = true;
      } else if (a.startsWith("-")) {
        System.err.println("usage: DashboardGenerator [--check] [dashboards-dir]");
        System.exit(2);
      } else {
        dir = Paths.get(a);
      }
    }
    QueryLibrary library = QueryLibrary.fromRepository();
    if (dir == null) {
      dir = defaultDir(library);
    }
    int differing = 0;
    for (Map.Entry<String, String> e : generate(library).entrySet()) {
      Path f = dir.resolve(e.getKey());
      String now = Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : null;
      if (e.getValue().equals(now)) {
        continue;
      }
      differing++;
      if (check) {
        System.err.println(f + " differs from what the queries and the layout generate: run DashboardGenerator");
      } else {
        Files.createDirectories(dir);
        Files.writeString(f, e.getValue(), StandardCharsets.UTF_8);
        System.out.println("wrote " + f);
      }
    }
    if (check && differing > 0) {
      System.exit(1);
    }
  }
}
