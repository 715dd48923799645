package dev.tokenledger.cli;

import dev.tokenledger.clickhouse.queries.Query;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code report --html FILE}: one self-contained page for people without Grafana — tokens and cost
 * over time, by model, by modality and by cache status, and parity with OpenAI's imported usage.
 * Charts are inline SVG ({@link SvgChart}); there is no script, and nothing is loaded from anywhere
 * else (no fonts, styles or images by URL). Every value from the database is escaped. The numbers
 * come from the query library, the same SQL as the dashboards.
 */
final class HtmlReport {

  /** Library queries the page is built from (columns as the library declares them). */
  static final String TOTALS = "totals";
  static final String SUMMARY = "summary";
  static final String TOKENS_BY_MODEL = "tokens_by_model";
  static final String COST_BY_MODEL = "cost_by_model";
  static final String MODALITY_CACHE = "tokens_by_modality_cache";
  static final String CACHE_SAVINGS = "cache_savings";
  static final String PARITY_BY_DAY = "parity_by_day";
  static final String PARITY = "parity_daily";

  private static final String DAY_SECONDS = "86400";

  private HtmlReport() {}

  static String build(ClickHouseSession s, QueryRunner q, int days, Instant now) throws CliException {
    s.requireMigrated("usage_hourly", "usage_cost_hourly", "usage_parity_daily");
    Instant from = now.minus(days, ChronoUnit.DAYS);
    Map<String, String> range = Map.of("from", Query.dateTimeValue(from), "to", Query.dateTimeValue(now));
    Map<String, String> daily = Map.of("from", Query.dateTimeValue(from), "to", Query.dateTimeValue(now),
        "bucket_seconds", DAY_SECONDS);
    Page p = new Page();
    p.head("TokenLedger usage report — last " + days + " days", "Usage from " + from.truncatedTo(ChronoUnit.SECONDS)
        + " to " + now.truncatedTo(ChronoUnit.SECONDS) + " (UTC), database " + s.database() + ". Generated "
        + now.truncatedTo(ChronoUnit.SECONDS) + ". Figures from the TokenLedger query library, the same SQL as the"
        + " Grafana dashboards.");

    Table totals = q.run(TOTALS, range);
    p.cards(List.of(
        card("Requests", totals, "requests", "requests"),
        card("Input tokens", totals, "input_tokens", "tokens"),
        card("Output tokens", totals, "output_tokens", "tokens"),
        card("Cache hit rate", totals, "cache_hit_rate", "ratio"),
        card("Cost", totals, "cost_usd", "USD")));
    if (!totals.isEmpty() && totals.number(0, "unpriced_tokens") > 0) {
      p.note(SvgChart.format(totals.number(0, "unpriced_tokens"), "tokens") + " tokens have no known price and are"
          + " not in the cost.");
    }

    p.section("Tokens and cost over time", "Per UTC day and model: input + output tokens, and their cost at the"
        + " effective prices.");
    Table tokens = q.run(TOKENS_BY_MODEL, daily);
    p.chart("Tokens per day, by model", perDay(tokens, "model", r -> tokens.number(r, "input_tokens")
        + tokens.number(r, "output_tokens"), "tokens"));
    Table cost = q.run(COST_BY_MODEL, daily);
    p.chart("Cost per day, by model", perDay(cost, "model", r -> cost.number(r, "cost_usd"), "USD"));

    Table summary = q.run(SUMMARY, range);
    byModel(p, summary);
    modalityAndCache(p, q.run(MODALITY_CACHE, daily));

    p.section("Prompt caching", "Cache hit rate (cached share of input tokens) and the money caching saved, per"
        + " model.");
    p.table(q.run(CACHE_SAVINGS, range), 200);

    parity(p, q, from, now);

    p.section("All usage by model and API", "Straight from the library's summary query; tokens without a known"
        + " price are not in the cost.");
    p.table(summary, 500);
    return p.finish();
  }

  // ---------------------------------------------------------------- sections

  private static String[] card(String label, Table t, String column, String unit) {
    String v = t.isEmpty() ? null : t.value(0, column);
    return new String[] {label, v == null ? "unknown" : SvgChart.format(Double.parseDouble(v), unit)};
  }

  /** Stacked bars per UTC day, one series per value of {@code seriesColumn}. */
  private static String perDay(Table t, String seriesColumn, java.util.function.IntToDoubleFunction value, String unit) {
    TreeMap<String, Map<String, Double>> byDay = new TreeMap<>();
    Map<String, Double> seriesTotals = new LinkedHashMap<>();
    for (int r = 0; r < t.rows().size(); r++) {
      String day = t.value(r, "time").substring(0, 10);
      String series = t.value(r, seriesColumn);
      series = series == null || series.isEmpty() ? "(none)" : series;
      double v = value.applyAsDouble(r);
      byDay.computeIfAbsent(day, d -> new LinkedHashMap<>()).merge(series, v, Double::sum);
      seriesTotals.merge(series, v, Double::sum);
    }
    List<String> order = new ArrayList<>(seriesTotals.keySet());
    order.sort((a, b) -> Double.compare(seriesTotals.get(b), seriesTotals.get(a)));
    List<String> days = new ArrayList<>(byDay.keySet());
    Map<String, double[]> series = SvgChart.series();
    for (String name : order) {
      double[] v = new double[days.size()];
      for (int i = 0; i < days.size(); i++) {
        v[i] = byDay.get(days.get(i)).getOrDefault(name, 0.0);
      }
      series.put(name, v);
    }
    return SvgChart.stackedBars(days, series, unit);
  }

  private static void byModel(Page p, Table summary) {
    p.section("By model", "Tokens (input + output) and cost per billed model over the whole range.");
    Map<String, double[]> m = new LinkedHashMap<>();
    for (int r = 0; r < summary.rows().size(); r++) {
      double[] v = m.computeIfAbsent(summary.value(r, "model"), k -> new double[2]);
      v[0] += summary.number(r, "input_tokens") + summary.number(r, "output_tokens");
      v[1] += summary.number(r, "cost_usd");
    }
    List<Map.Entry<String, double[]>> entries = new ArrayList<>(m.entrySet());
    entries.sort((x, y) -> Double.compare(y.getValue()[0], x.getValue()[0]));
    List<String> labels = new ArrayList<>();
    double[] tokens = new double[entries.size()];
    double[] cost = new double[entries.size()];
    for (int i = 0; i < entries.size(); i++) {
      labels.add(entries.get(i).getKey().isEmpty() ? "(unknown model)" : entries.get(i).getKey());
      tokens[i] = entries.get(i).getValue()[0];
      cost[i] = entries.get(i).getValue()[1];
    }
    if (labels.isEmpty()) {
      p.note("No usage recorded in this range.");
      return;
    }
    p.chart("Tokens by model", SvgChart.horizontalBars(labels, tokens, "tokens"));
    p.chart("Cost by model", SvgChart.horizontalBars(labels, cost, "USD"));
  }

  private static void modalityAndCache(Page p, Table t) {
    p.section("By modality and cache status", "Every token counted once: input and output by modality (text, audio,"
        + " image), and input by cache status (uncached, read from the prompt cache, written to it).");
    Map<String, Double> modality = new LinkedHashMap<>();
    Map<String, Double> cache = new LinkedHashMap<>();
    for (int r = 0; r < t.rows().size(); r++) {
      String type = t.value(r, "token_type");
      double v = t.number(r, "tokens");
      modality.merge(type + " " + t.value(r, "modality"), v, Double::sum);
      if ("input".equals(type)) {
        cache.merge(t.value(r, "cache"), v, Double::sum);
      }
    }
    if (modality.isEmpty()) {
      p.note("No tokens recorded in this range.");
      return;
    }
    p.chart("Tokens by direction and modality", SvgChart.split(modality, "tokens"));
    p.chart("Input tokens by cache status", SvgChart.split(cache, "tokens"));
    p.chart("Input tokens per day, by cache status", perDay(t, "cache",
        r -> "input".equals(t.value(r, "token_type")) ? t.number(r, "tokens") : 0, "tokens"));
  }

  private static void parity(Page p, QueryRunner q, Instant from, Instant now) throws CliException {
    p.section("Parity with OpenAI", "Our figures (the ledger) next to OpenAI's imported usage, per UTC day, project,"
        + " API key, model and export field. Only differing figures are listed.");
    Map<String, String> days = Map.of("from", Query.dateTimeValue(TokenLedger.startOfDayUtc(from)), "to",
        Query.dateTimeValue(now));
    Table t = q.run(PARITY, days);
    int state = t.index("state");
    boolean anyOpenAi = false;
    List<List<String>> differing = new ArrayList<>();
    for (List<String> row : t.rows()) {
      anyOpenAi |= !"missing_openai".equals(row.get(state));
      if (!"match".equals(row.get(state))) {
        differing.add(row);
      }
    }
    if (!anyOpenAi) {
      p.note("No OpenAI usage is imported for this range: run tokenledger import-openai-usage to compare.");
      return;
    }
    Table byDay = q.run(PARITY_BY_DAY, days);
    Map<String, double[]> series = SvgChart.series();
    List<String> labels = new ArrayList<>();
    double[] matching = new double[byDay.rows().size()];
    double[] mismatching = new double[byDay.rows().size()];
    for (int r = 0; r < byDay.rows().size(); r++) {
      labels.add(byDay.value(r, "time").substring(0, 10));
      mismatching[r] = byDay.number(r, "mismatches");
      matching[r] = byDay.number(r, "comparisons") - mismatching[r];
    }
    series.put("matching figures", matching);
    series.put("differing figures", mismatching);
    p.chart("Figures compared per day", SvgChart.stackedBars(labels, series, "count"));
    if (differing.isEmpty()) {
      p.note("No differences: every compared figure matches OpenAI's.");
    } else {
      p.note(differing.size() + " of " + t.rows().size() + " figures differ.");
      p.table(new Table(t.columns(), t.types(), differing), 300);
    }
  }

  // ---------------------------------------------------------------- page

  /** The HTML page being written; every text goes through {@link Html#escape}. */
  static final class Page {

    private final StringBuilder sb = new StringBuilder();

    void head(String title, String subtitle) {
      sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
          .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
          .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline';"
              + " img-src data:\">\n")
          .append("<title>").append(Html.escape(title)).append("</title>\n<style>\n")
          .append("body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#222;background:#f6f7f9}\n")
          .append("main{max-width:920px;margin:0 auto;padding:24px}\n")
          .append("h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 4px;border-bottom:1px solid #ccd}")
          .append("h3{font-size:14px;margin:16px 0 4px;color:#444}\n")
          .append("p.sub,p.note{color:#555;font-size:13px;margin:4px 0 8px}\n")
          .append(".cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}")
          .append(".card{background:#fff;border:1px solid #dde;border-radius:6px;padding:10px 16px;min-width:150px}")
          .append(".card b{display:block;font-size:22px}.card span{font-size:12px;color:#666}\n")
          .append("svg{background:#fff;border:1px solid #e3e3ea;border-radius:4px}")
          .append("svg text{font-family:inherit}.ax{font-size:11px;fill:#555}.lb{font-size:12px;fill:#333}")
          .append(".in{font-size:12px;fill:#fff}\n")
          .append("table{border-collapse:collapse;font-size:12px;background:#fff;margin:8px 0;width:100%}")
          .append("th,td{border:1px solid #dde;padding:3px 6px;text-align:left}td.n{text-align:right;")
          .append("font-variant-numeric:tabular-nums}th{background:#eef0f5}\n")
          .append("</style>\n</head>\n<body>\n<main>\n<h1>").append(Html.escape(title)).append("</h1>\n<p class=\"sub\">")
          .append(Html.escape(subtitle)).append("</p>\n");
    }

    void cards(List<String[]> cards) {
      sb.append("<div class=\"cards\">");
      for (String[] c : cards) {
        sb.append("<div class=\"card\"><span>").append(Html.escape(c[0])).append("</span><b>").append(Html.escape(c[1]))
            .append("</b></div>");
      }
      sb.append("</div>\n");
    }

    void section(String title, String explanation) {
      sb.append("<h2>").append(Html.escape(title)).append("</h2>\n<p class=\"sub\">").append(Html.escape(explanation))
          .append("</p>\n");
    }

    void chart(String title, String svg) {
      // svg is generated by SvgChart, which escapes every data text it contains.
      sb.append("<h3>").append(Html.escape(title)).append("</h3>\n").append(svg).append('\n');
    }

    void note(String text) {
      sb.append("<p class=\"note\">").append(Html.escape(text)).append("</p>\n");
    }

    void table(Table t, int maxRows) {
      sb.append("<table>\n<tr>");
      for (String c : t.columns()) {
        sb.append("<th>").append(Html.escape(c)).append("</th>");
      }
      sb.append("</tr>\n");
      int n = Math.min(maxRows, t.rows().size());
      for (int r = 0; r < n; r++) {
        sb.append("<tr>");
        List<String> row = t.rows().get(r);
        for (int i = 0; i < row.size(); i++) {
          sb.append(t.numeric(i) ? "<td class=\"n\">" : "<td>").append(row.get(i) == null ? "–" : Html.escape(row.get(i)))
              .append("</td>");
        }
        sb.append("</tr>\n");
      }
      sb.append("</table>\n");
      if (t.rows().size() > n) {
        note((t.rows().size() - n) + " more rows not shown.");
      }
    }

    String finish() {
      return sb.append("</main>\n</body>\n</html>\n").toString();
    }
  }
}
