package dev.tokenledger.clickhouse.queries;

import dev.tokenledger.clickhouse.SqlText;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test support: the expansion Grafana and the {@code grafana-clickhouse-datasource} plugin apply to a
 * panel's SQL ({@link GrafanaPanelSql}) before it reaches ClickHouse — no Grafana server runs here,
 * so the dashboards' panels are checked by running their SQL expanded this way.
 *
 * <p>In the plugin's order: (1) {@code $__conditionalAll} — the frontend's {@code applyConditionalAll}:
 * innermost-last scan, arguments split on top-level commas, {@code 1=1} when the variable's current
 * value is All or empty; (2) Grafana's template variables ({@code $var}, {@code ${var}},
 * {@code ${var:format}}, {@code [[var]]}) with the datasource's default multi-value format
 * ({@code 'a','b'}) and Grafana's explicit formats (singlequote escapes {@code '} as {@code \'});
 * (3) the backend macros of {@code pkg/macros} (plugin 4.20) and the SDK defaults it keeps, longest
 * name first, {@code \$__name\b}, bracket-aware arguments — with the time range as Unix
 * seconds/milliseconds and the interval as the plugin renders them. Panel SQL has no comments and no
 * macro inside a string literal, so the SDK's and the newer comment-aware expansion agree on it.
 */
public final class GrafanaExpansion {

  /** A dashboard variable's current state. {@code options} are the values All stands for. */
  public record Variable(String name, List<String> selected, boolean all, boolean multi, List<String> options) {

    /** A multi-value variable with these values selected. */
    public static Variable of(String name, String... values) {
      return new Variable(name, List.of(values), false, true, List.of(values));
    }

    /** A multi-value variable set to All over these options. */
    public static Variable all(String name, List<String> options) {
      return new Variable(name, List.of("$__all"), true, true, List.copyOf(options));
    }

    // current.value.toString() in the frontend: arrays join with ','.
    String currentText() {
      return all ? "$__all" : String.join(",", selected);
    }

    // The value the interpolation formats: All means every option.
    Object value() {
      List<String> v = all ? options : selected;
      return multi ? v : (v.isEmpty() ? "" : v.get(0));
    }
  }

  /** The panel's time range and interval (as Grafana computes it for the panel width). */
  public record Range(Instant from, Instant to, Duration interval) {}

  private static final String CONDITIONAL_ALL = "$__conditionalAll(";
  private static final Pattern VARIABLE = Pattern.compile(
      "\\$(\\w+)|\\[\\[(\\w+?)(?::(\\w+))?]]|\\$\\{(\\w+)(?:\\.([^:^}]+))?(?::([^}]+))?}");

  private GrafanaExpansion() {}

  // ---------------------------------------------------------------- expansion

  /** All three steps, in the plugin's order. */
  public static String expand(String panelSql, Range range, Map<String, Variable> variables) {
    return expandMacros(interpolateVariables(applyConditionalAll(panelSql, variables), variables), range);
  }

  /** Step 1: the frontend's {@code $__conditionalAll(condition, $var)}. */
  public static String applyConditionalAll(String sql, Map<String, Variable> variables) {
    int at = sql.lastIndexOf(CONDITIONAL_ALL);
    while (at != -1) {
      List<String> args = macroArgs(sql, at + CONDITIONAL_ALL.length() - 1);
      if (args.size() != 2) {
        return sql;
      }
      Matcher m = Pattern.compile("(?<=\\$\\{)[\\w\\d]+(?=})|(?<=\\$)[\\w\\d]+").matcher(args.get(1).strip());
      String phrase = args.get(0);
      if (m.find()) {
        Variable v = variables.get(m.group());
        if (v != null && (v.currentText().isEmpty() || v.currentText().equals("$__all"))) {
          phrase = "1=1";
        }
      }
      sql = jsReplaceFirst(sql, CONDITIONAL_ALL + args.get(0) + "," + args.get(1) + ")", phrase);
      at = sql.lastIndexOf(CONDITIONAL_ALL);
    }
    return sql;
  }

  // The frontend's getMacroArgs: split on commas at bracket depth 1, no regard for quotes.
  private static List<String> macroArgs(String sql, int argsIndex) {
    List<String> args = new ArrayList<>();
    String s = sql.substring(argsIndex);
    int depth = 0;
    int lastEnd = 1;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '(' && c != ')' && c != ',') {
        continue;
      }
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      }
      if (c == ',' && depth == 1) {
        args.add(s.substring(lastEnd, i));
        lastEnd = i + 1;
      }
      if (depth == 0) {
        args.add(s.substring(lastEnd, i));
        return args;
      }
    }
    return List.of();
  }

  // JavaScript String.prototype.replace(string, string): first occurrence, with $$ $& $` $' in the replacement.
  private static String jsReplaceFirst(String s, String find, String replacement) {
    int at = s.indexOf(find);
    if (at < 0) {
      return s;
    }
    StringBuilder r = new StringBuilder();
    for (int i = 0; i < replacement.length(); i++) {
      char c = replacement.charAt(i);
      if (c == '$' && i + 1 < replacement.length()) {
        char n = replacement.charAt(i + 1);
        switch (n) {
          case '$' -> { r.append('$'); i++; continue; }
          case '&' -> { r.append(find); i++; continue; }
          case '`' -> { r.append(s, 0, at); i++; continue; }
          case '\'' -> { r.append(s.substring(at + find.length())); i++; continue; }
          default -> { }
        }
      }
      r.append(c);
    }
    return s.substring(0, at) + r + s.substring(at + find.length());
  }

  /** Step 2: Grafana's template variables; unknown names stay as they are (as in Grafana). */
  public static String interpolateVariables(String sql, Map<String, Variable> variables) {
    Matcher m = VARIABLE.matcher(sql);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(4);
      String format = m.group(3) != null ? m.group(3) : m.group(6);
      Variable v = variables.get(name);
      String replacement = v == null ? m.group() : format(v.value(), format);
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  @SuppressWarnings("unchecked")
  private static String format(Object value, String format) {
    List<String> list = value instanceof List<?> l ? (List<String>) l : null;
    if (format == null) { // the datasource's own format function
      return list != null ? "'" + String.join("','", list) + "'" : (String) value;
    }
    List<String> vs = list != null ? list : List.of((String) value);
    return switch (format) {
      case "singlequote" -> join(vs, v -> "'" + v.replace("'", "\\'") + "'");
      case "doublequote" -> join(vs, v -> "\"" + v.replace("\"", "\\\"") + "\"");
      case "sqlstring" -> join(vs, v -> "'" + v.replace("'", "''") + "'");
      case "csv" -> String.join(",", vs);
      case "raw" -> list != null ? String.join(",", vs) : (String) value;
      default -> throw new QueryException("variable format '" + format + "' is not supported by this expander");
    };
  }

  private static String join(List<String> values, java.util.function.Function<String, String> each) {
    List<String> out = new ArrayList<>();
    for (String v : values) {
      out.add(each.apply(v));
    }
    return String.join(",", out);
  }

  /** Step 3: the plugin's backend macros. */
  public static String expandMacros(String sql, Range range) {
    Map<String, BiFunction<Range, List<String>, String>> macros = backendMacros();
    List<String> names = new ArrayList<>(macros.keySet());
    names.sort(Comparator.comparingInt(String::length).reversed());
    for (String name : names) {
      Matcher m = Pattern.compile("\\$__" + Pattern.quote(name) + "\\b").matcher(sql);
      List<String[]> matches = new ArrayList<>(); // full text, then args
      while (m.find()) {
        String rest = sql.substring(m.end());
        List<String> args = new ArrayList<>();
        int len = parseArgs(rest, args);
        if (len < 0) {
          throw new QueryException("failed to parse macro arguments (missing close bracket?) after $__" + name);
        }
        String[] entry = new String[args.size() + 1];
        entry[0] = sql.substring(m.start(), m.end() + len);
        for (int i = 0; i < args.size(); i++) {
          entry[i + 1] = args.get(i);
        }
        matches.add(entry);
      }
      for (String[] match : matches) {
        List<String> args = List.of(match).subList(1, match.length);
        sql = sql.replace(match[0], macros.get(name).apply(range, args));
      }
    }
    return sql;
  }

  // The SDK's parseArgs: a bracketed, comma-separated list at the start of s (depth-aware, trimmed).
  private static int parseArgs(String s, List<String> args) {
    if (!s.startsWith("(")) {
      return 0;
    }
    int depth = 0;
    StringBuilder arg = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '(') {
        depth++;
        if (depth == 1) {
          continue;
        }
      } else if (c == ')') {
        depth--;
        if (depth == 0) {
          args.add(arg.toString().strip());
          return i + 1;
        }
      } else if (c == ',' && depth == 1) {
        args.add(arg.toString().strip());
        arg.setLength(0);
        continue;
      }
      arg.append(c);
    }
    return -1;
  }

  private static Map<String, BiFunction<Range, List<String>, String>> backendMacros() {
    Map<String, BiFunction<Range, List<String>, String>> m = new LinkedHashMap<>();
    // SDK defaults the plugin keeps.
    m.put("interval", (r, a) -> formatInterval(r.interval()));
    m.put("interval_ms", (r, a) -> Long.toString(r.interval().toMillis()));
    m.put("table", (r, a) -> "");
    m.put("column", (r, a) -> "");
    // The plugin's own.
    m.put("fromTime", (r, a) -> dateTime(r.from()));
    m.put("toTime", (r, a) -> dateTime(r.to()));
    m.put("fromTime_ms", (r, a) -> dateTime64(r.from()));
    m.put("toTime_ms", (r, a) -> dateTime64(r.to()));
    m.put("timeFilter", (r, a) -> one("$__timeFilter", a) + " >= " + dateTime(r.from()) + " AND " + a.get(0) + " <= "
        + dateTime(r.to()));
    m.put("timeFilter_ms", (r, a) -> one("$__timeFilter_ms", a) + " >= " + dateTime64(r.from()) + " AND " + a.get(0)
        + " <= " + dateTime64(r.to()));
    m.put("dateFilter", (r, a) -> one("$__dateFilter", a) + " >= " + date(r.from()) + " AND " + a.get(0) + " <= "
        + date(r.to()));
    BiFunction<Range, List<String>, String> dateTimeFilter = (r, a) -> {
      if (a.size() != 2) {
        throw badArgs("$__dateTimeFilter", 2, a.size());
      }
      return "(" + a.get(0) + " >= " + date(r.from()) + " AND " + a.get(0) + " <= " + date(r.to()) + ") AND ("
          + a.get(1) + " >= " + dateTime(r.from()) + " AND " + a.get(1) + " <= " + dateTime(r.to()) + ")";
    };
    m.put("dateTimeFilter", dateTimeFilter);
    m.put("dt", dateTimeFilter);
    m.put("timeInterval", (r, a) -> "toStartOfInterval(toDateTime(" + one("$__timeInterval", a) + "), INTERVAL "
        + intervalSeconds(r) + " second)");
    m.put("timeInterval_ms", (r, a) -> "toStartOfInterval(toDateTime64(" + one("$__timeInterval_ms", a) + ", 3), INTERVAL "
        + Math.max(r.interval().toMillis(), 1) + " millisecond)");
    m.put("interval_s", (r, a) -> Long.toString(intervalSeconds(r)));
    m.put("timeFrom", (r, a) -> one("$__timeFrom", a) + " >= " + dateTime(r.from()));
    m.put("timeTo", (r, a) -> one("$__timeTo", a) + " <= " + dateTime(r.to()));
    m.put("timeGroup", (r, a) -> {
      if (a.size() != 2) {
        throw badArgs("$__timeGroup", 2, a.size());
      }
      String period = a.get(1).strip().replaceAll("^['\"]+|['\"]+$", "");
      long secs = Math.round(goDuration(period).toNanos() / 1e9);
      if (secs <= 0) {
        throw new QueryException("$__timeGroup: interval must be positive, got \"" + period + "\"");
      }
      return "toStartOfInterval(toDateTime(" + a.get(0).strip() + "), INTERVAL " + secs + " second)";
    });
    return m;
  }

  private static String one(String macro, List<String> args) {
    if (args.size() != 1) {
      throw badArgs(macro, 1, args.size());
    }
    return args.get(0);
  }

  private static QueryException badArgs(String macro, int want, int got) {
    return new QueryException("unexpected number of arguments: " + macro + " expected " + want
        + " argument(s), received " + got);
  }

  // Go's int(math.Max(d.Seconds(), 1)): truncates.
  private static long intervalSeconds(Range r) {
    return (long) Math.max(r.interval().toNanos() / 1e9, 1);
  }

  private static String dateTime(Instant t) {
    return "toDateTime(" + t.getEpochSecond() + ")";
  }

  private static String dateTime64(Instant t) {
    return "fromUnixTimestamp64Milli(" + Math.floorDiv(t.getEpochSecond() * 1_000_000_000L + t.getNano(), 1_000_000L) + ")";
  }

  private static String date(Instant t) {
    return "toDate('" + t.atOffset(ZoneOffset.UTC).toLocalDate() + "')";
  }

  // grafana-plugin-sdk-go gtime.FormatInterval.
  static String formatInterval(Duration d) {
    long ms = d.toMillis();
    long year = 365L * 24 * 3600 * 1000;
    long day = 24L * 3600 * 1000;
    if (ms >= year) {
      return ms / year + "y";
    }
    if (ms >= day) {
      return ms / day + "d";
    }
    if (ms >= 3600_000) {
      return ms / 3600_000 + "h";
    }
    if (ms >= 60_000) {
      return ms / 60_000 + "m";
    }
    if (ms >= 1000) {
      return ms / 1000 + "s";
    }
    if (ms >= 1) {
      return ms + "ms";
    }
    return "1ms";
  }

  // Go time.ParseDuration for the units dashboards use (h, m, s, ms, us, ns; sums such as 1h30m).
  private static Duration goDuration(String s) {
    Matcher m = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)").matcher(s);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) {
        break;
      }
      double n = Double.parseDouble(m.group(1));
      long nanosPer = switch (m.group(2)) {
        case "ns" -> 1L;
        case "us", "µs" -> 1_000L;
        case "ms" -> 1_000_000L;
        case "s" -> 1_000_000_000L;
        case "m" -> 60_000_000_000L;
        default -> 3_600_000_000_000L;
      };
      total = total.plusNanos((long) (n * nanosPer));
      end = m.end();
    }
    if (end != s.length() || s.isEmpty()) {
      throw new QueryException("$__timeGroup: invalid interval \"" + s + "\"");
    }
    return total;
  }
}
