package dev.tokenledger.cli;

import java.util.List;

/**
 * One row of OpenAI's completions usage: one time bucket and grouping key, as the dashboard CSV
 * export and the Usage API ({@code organization.usage.completions.result}) carry it, ready for
 * {@code openai_usage_import}. Grouping values OpenAI left null are empty strings; {@code batch} is
 * {@code "true"}, {@code "false"} or empty. {@code tokens} are the counts of the token columns the
 * row was read for ({@link UsageImport#tokenColumns}: those of openai_usage_import), in their order.
 * {@code line} is where the row came from, for messages.
 */
record ImportRow(long startTime, long endTime, String projectId, String userId, String apiKeyId, String model,
    String batch, String serviceTier, long numModelRequests, long[] tokens, int line, int column) {

  /** Grouping columns OpenAI's export and API carry (null in the data when not grouped by). */
  static final List<String> GROUP_COLUMNS = List.of("project_id", "user_id", "api_key_id", "model", "batch",
      "service_tier");

  /** '1d', '1h' or '1m'; null for any other width. */
  static String bucketWidth(long seconds) {
    if (seconds == 86_400) {
      return "1d";
    }
    if (seconds == 3_600) {
      return "1h";
    }
    if (seconds == 60) {
      return "1m";
    }
    return null;
  }

  String bucketWidth() {
    return bucketWidth(endTime - startTime);
  }

  /** What makes a row unique in the import table (its sort key). */
  String key() {
    return startTime + "|" + bucketWidth() + "|" + projectId + "|" + userId + "|" + apiKeyId + "|" + model + "|"
        + batch + "|" + serviceTier;
  }
}
