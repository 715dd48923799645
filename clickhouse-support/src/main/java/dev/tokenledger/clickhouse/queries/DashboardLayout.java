package dev.tokenledger.clickhouse.queries;

import java.util.List;
import java.util.Map;

/**
 * The panel layout of the Grafana dashboards: which library query each panel shows, as which panel
 * type, with which columns and fixed parameter values, in reading order. Everything else — SQL,
 * units, variables, positions — is derived by {@link DashboardGenerator}, so a panel's SQL can only
 * ever be a library query's.
 */
final class DashboardLayout {

  /** Panel types the generator knows how to shape. */
  enum Type { STAT, TIMESERIES, TABLE, BARCHART, PIECHART }

  /**
   * One panel. {@code fields}: the columns to show (empty = all; the time column of a time series is
   * always kept); {@code fixed}: values for parameters that have no Grafana mapping; {@code width} in
   * grid columns (of 24), {@code height} in grid rows.
   */
  record Panel(String title, Type type, String query, List<String> fields, Map<String, String> fixed, int width,
      int height) {}

  /** One dashboard, written to {@code dashboards/<file>}. */
  record Dashboard(String file, String uid, String title, String description, List<Panel> panels) {}

  private DashboardLayout() {}

  static Panel stat(String title, String query, String field) {
    return new Panel(title, Type.STAT, query, List.of(field), Map.of(), 4, 4);
  }

  static Panel panel(String title, Type type, String query, int width, int height) {
    return new Panel(title, type, query, List.of(), Map.of(), width, height);
  }

  static Panel panel(String title, Type type, String query, List<String> fields, Map<String, String> fixed, int width,
      int height) {
    return new Panel(title, type, query, fields, fixed, width, height);
  }

  static final List<Dashboard> DASHBOARDS = List.of(
      new Dashboard("overview.json", "tokenledger-overview", "TokenLedger · Overview",
          "What the applications spend on OpenAI: requests, tokens and cost, per model and API.",
          List.of(
              stat("Requests", "totals", "requests"),
              stat("Input tokens", "totals", "input_tokens"),
              stat("Output tokens", "totals", "output_tokens"),
              stat("Cost", "totals", "cost_usd"),
              stat("Cache hit rate", "totals", "cache_hit_rate"),
              stat("Unpriced tokens", "totals", "unpriced_tokens"),
              panel("Tokens by model", Type.TIMESERIES, "tokens_by_model", 12, 9),
              panel("Cost by model", Type.TIMESERIES, "cost_by_model", List.of("cost_usd"), Map.of(), 12, 9),
              panel("Usage by model and API", Type.TABLE, "summary", 24, 10))),
      new Dashboard("cost-and-caching.json", "tokenledger-cost-caching", "TokenLedger · Cost & caching",
          "Cost at the effective prices, and what the prompt cache saves.",
          List.of(
              stat("Cost", "totals", "cost_usd"),
              panel("Saved by caching", Type.STAT, "cache_savings", List.of("saved_usd"), Map.of(), 4, 4),
              stat("Cache hit rate", "totals", "cache_hit_rate"),
              stat("Cached input tokens", "totals", "input_cached_tokens"),
              stat("Unpriced tokens", "totals", "unpriced_tokens"),
              panel("Cost share by model", Type.PIECHART, "cost_by_dimension", List.of("value", "cost_usd"),
                  Map.of("dimension", "model"), 4, 4),
              panel("Cost by model", Type.TIMESERIES, "cost_by_model", List.of("cost_usd"), Map.of(), 12, 9),
              panel("Cache hit rate and savings", Type.TIMESERIES, "cache_over_time", 12, 9),
              panel("Tokens by modality and cache status", Type.TIMESERIES, "tokens_by_modality_cache", 24, 9),
              panel("Caching per model", Type.TABLE, "cache_savings", 24, 8),
              panel("Tokens and cost by model, modality and cache status", Type.TABLE, "cost_by_modality_cache", 24,
                  10))),
      new Dashboard("realtime.json", "tokenledger-realtime", "TokenLedger · Realtime",
          "Realtime API sessions: connections, responses, cancellations, audio versus text.",
          List.of(
              panel("Sessions, connections and responses", Type.TIMESERIES, "realtime_over_time",
                  List.of("sessions", "connections", "responses", "cancelled_responses"), Map.of(), 12, 9),
              panel("Audio vs text tokens", Type.TIMESERIES, "realtime_over_time",
                  List.of("input_audio_tokens", "input_text_tokens", "output_audio_tokens", "output_text_tokens"),
                  Map.of(), 12, 9),
              panel("Sessions", Type.TABLE, "realtime_sessions", 24, 10))),
      new Dashboard("attribution.json", "tokenledger-attribution", "TokenLedger · Attribution",
          "Which feature, use case, project, key and user spent the tokens — without code changes.",
          List.of(
              panel("Cost by entry point", Type.BARCHART, "cost_by_dimension", List.of("value", "cost_usd"),
                  Map.of("dimension", "entrypoint"), 12, 8),
              panel("Cost by use case", Type.BARCHART, "cost_by_dimension", List.of("value", "cost_usd"),
                  Map.of("dimension", "use_case"), 12, 8),
              panel("By project", Type.TABLE, "cost_by_dimension", List.of(), Map.of("dimension", "project"), 12, 8),
              panel("By API key", Type.TABLE, "cost_by_dimension", List.of(), Map.of("dimension", "api_key"), 12, 8),
              panel("By user", Type.TABLE, "cost_by_user", 12, 8),
              panel("By service", Type.TABLE, "cost_by_dimension", List.of(), Map.of("dimension", "service"), 12, 8),
              panel("Top sessions", Type.TABLE, "top_sessions", 24, 8))),
      new Dashboard("billing-parity.json", "tokenledger-billing-parity", "TokenLedger · Billing parity",
          "Our numbers against OpenAI's usage export, day by day: 0 differences means they match the bill.",
          List.of(
              panel("Mismatched fields", Type.STAT, "parity_by_day", List.of("mismatches"), Map.of(), 6, 4),
              panel("Token difference", Type.STAT, "parity_by_day", List.of("abs_token_diff"), Map.of(), 6, 4),
              panel("Fields compared", Type.STAT, "parity_by_day", List.of("comparisons"), Map.of(), 6, 4),
              panel("Mismatches per day", Type.TIMESERIES, "parity_by_day", List.of("mismatches", "abs_token_diff"),
                  Map.of(), 24, 8),
              panel("Differences", Type.TABLE, "parity_daily", List.of(), Map.of("only_differences", "1"), 24, 10),
              panel("All comparisons", Type.TABLE, "parity_daily", 24, 10))),
      new Dashboard("data-quality.json", "tokenledger-data-quality", "TokenLedger · Data quality",
          "How exact the ledger is: missing usage, inferred splits, pipeline lag, raw vs ledger counts, records the agents dropped.",
          List.of(
              panel("Missing and inferred requests", Type.TIMESERIES, "missing_over_time", 12, 8),
              panel("Pipeline lag", Type.TIMESERIES, "pipeline_lag", List.of("avg_lag_seconds", "max_lag_seconds"),
                  Map.of(), 12, 8),
              panel("Missing usage and inferred splits", Type.TABLE, "missing_usage", 24, 8),
              panel("Why usage went missing", Type.TABLE, "missing_diagnostics", 12, 8),
              panel("Raw records, ledger rows, rollup requests", Type.TIMESERIES, "raw_vs_ledger", 12, 8),
              panel("Ledger records dropped in the agent", Type.TIMESERIES, "records_dropped", 24, 8))));
}
