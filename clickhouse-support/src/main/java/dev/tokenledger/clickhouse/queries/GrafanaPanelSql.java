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
 * Library queries as Grafana panels hold them (the dashboards are generated from them).
 *
 * <p>Comments are dropped; each parameter becomes what its {@code @param} line names for Grafana — a
 * backend macro ({@code $__fromTime}, {@code $__toTime}, {@code $__interval_s}) cast to the
 * parameter's type as {@link Query#render} casts values, or, for an {@code Array(String)} filter
 * written in the library's idiom {@code (empty({p:Array(String)}) OR … has({p:Array(String)}, expr)
 * …)}, the plugin's {@code $__conditionalAll(… expr IN (${var:singlequote}) …, $var)} over a
 * dashboard variable; a parameter without a Grafana mapping takes the value the panel fixes, else its
 * default. What Grafana then does to that SQL is emulated for the tests only ({@code GrafanaExpansion}
 * in the test sources).
 */
public final class GrafanaPanelSql {

  private static final String CONDITIONAL_ALL = "$__conditionalAll(";
  private static final String IDIOM_HEAD = "(empty({%s:Array(String)}) OR ";

  private GrafanaPanelSql() {}

  // ---------------------------------------------------------------- translation

  /**
   * The SQL a panel holds for {@code query}, with {@code fixed} values for parameters that have no
   * Grafana mapping (validated and quoted like {@link Query#render}).
   */
  public static String panelSql(Query query, Map<String, String> fixed) {
    for (String k : fixed.keySet()) {
      query.parameter(k);
    }
    String sql = stripComments(query.sql());
    for (Query.Parameter p : query.parameters()) {
      if (p.isArray() && !p.grafana().isEmpty() && !fixed.containsKey(p.name())) {
        sql = conditionalAll(query, sql, p);
      }
    }
    Map<String, String> mapped = new LinkedHashMap<>();
    for (Query.Parameter p : query.parameters()) {
      if (fixed.containsKey(p.name())) {
        continue;
      }
      if (p.grafana().isEmpty()) {
        if (p.required()) {
          throw new QueryException("query " + query.name() + ": parameter '" + p.name() + "' has no Grafana mapping"
              + " and no default: the panel must fix its value");
        }
      } else if (!p.isArray()) {
        // Typed like a rendered value: $__fromTime is a DateTime in the server's time zone, the
        // parameter a DateTime('UTC') — toStartOfHour() and toDate() must see the declared type.
        mapped.put(p.name(), "CAST(" + p.grafana() + ", " + SqlText.quoteString(p.type()) + ")");
      }
    }
    return Query.replacePlaceholders(sql, (param, type) -> {
      String g = mapped.get(param);
      return g != null ? g : query.literalFor(query.parameter(param), fixed.get(param));
    });
  }

  // (empty({p:Array(String)}) OR BODY) -> $__conditionalAll(BODY', $var), has({p..}, x) -> x IN (${var:singlequote})
  private static String conditionalAll(Query query, String sql, Query.Parameter p) {
    String head = String.format(Locale.ROOT, IDIOM_HEAD, p.name());
    String placeholder = "{" + p.name() + ":Array(String)}";
    String var = p.grafana();
    StringBuilder out = new StringBuilder();
    int from = 0;
    int at;
    while ((at = sql.indexOf(head, from)) >= 0) {
      int close = matchingParen(sql, at);
      if (close < 0) {
        throw new QueryException("query " + query.name() + ": unbalanced parentheses after " + head);
      }
      String body = sql.substring(at + head.length(), close);
      body = replaceHas(query, body, placeholder, var);
      out.append(sql, from, at).append(CONDITIONAL_ALL).append(body).append(", $").append(var).append(')');
      from = close + 1;
    }
    out.append(sql.substring(from));
    String result = out.toString();
    if (result.contains(placeholder)) {
      throw new QueryException("query " + query.name() + ": {" + p.name() + ":Array(String)} is used outside the idiom"
          + " (empty({" + p.name() + ":Array(String)}) OR … has({" + p.name() + ":Array(String)}, expr) …)");
    }
    return result;
  }

  private static String replaceHas(Query query, String body, String placeholder, String var) {
    String head = "has(" + placeholder + ",";
    StringBuilder out = new StringBuilder();
    int from = 0;
    int at;
    while ((at = body.indexOf(head, from)) >= 0) {
      int close = matchingParen(body, at + 3);
      if (close < 0) {
        throw new QueryException("query " + query.name() + ": unbalanced parentheses in " + head);
      }
      String expr = body.substring(at + head.length(), close).strip();
      out.append(body, from, at).append(expr).append(" IN (${").append(var).append(":singlequote})");
      from = close + 1;
    }
    return out.append(body.substring(from)).toString();
  }

  // Index of the ')' closing the '(' at index open, skipping string literals; -1 if none.
  private static int matchingParen(String s, int open) {
    int depth = 0;
    for (int i = open; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\'') {
        for (i++; i < s.length() && s.charAt(i) != '\''; i++) {
          if (s.charAt(i) == '\\') {
            i++;
          }
        }
      } else if (c == '(') {
        depth++;
      } else if (c == ')' && --depth == 0) {
        return i;
      }
    }
    return -1;
  }

  /** The SQL without comments; lines left empty by a removed comment are dropped. */
  static String stripComments(String sql) {
    StringBuilder sb = new StringBuilder();
    for (SqlText.Token t : SqlText.tokenize(sql)) {
      if (t.kind() != SqlText.Kind.COMMENT) {
        sb.append(t.text());
      }
    }
    List<String> lines = new ArrayList<>();
    for (String line : sb.toString().split("\n", -1)) {
      String l = line.stripTrailing();
      if (!l.isBlank()) {
        lines.add(l);
      }
    }
    return String.join("\n", lines);
  }

}
