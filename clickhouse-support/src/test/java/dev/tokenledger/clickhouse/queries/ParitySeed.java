package dev.tokenledger.clickhouse.queries;

import dev.tokenledger.clickhouse.SqlText;
import dev.tokenledger.clickhouse.queries.LedgerSeed.Record;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * OpenAI's side of the parity check, built from the seed records as OpenAI's completions export
 * would show them (one row per UTC day, project, API key and model), with two known discrepancies:
 * the first row's input_tokens is 100 higher than ours, and the last row is absent. Also maps two
 * key fingerprints to api_key_ids.
 */
final class ParitySeed {

  /** The export's comparable fields, num_model_requests first. */
  static final List<String> FIELDS = List.of("num_model_requests", "input_tokens", "output_tokens", "input_cached_tokens",
      "input_uncached_tokens", "input_text_tokens", "output_text_tokens", "input_cached_text_tokens",
      "input_audio_tokens", "input_cached_audio_tokens", "output_audio_tokens", "input_image_tokens",
      "input_cached_image_tokens", "output_image_tokens", "input_cache_write_tokens");
  static final List<String> COMPLETIONS_APIS = List.of("chat.completions", "responses", "completions", "batch.output",
      "realtime");
  static final Map<String, String> KEY_IDS = Map.of("proj_a|sk-proj…Ax1", "key_a", "proj_b|sk-proj…Bx2", "key_b");

  /** Expected rows of parity_daily with only_differences = 1: day|project|key|model|field -> ours, openai. */
  static final Map<String, long[]> DIFFERENCES = new TreeMap<>();
  /** Our side per day|project|key|model, fields as FIELDS. */
  static final Map<String, long[]> OURS = new TreeMap<>();

  private ParitySeed() {}

  static String keyId(Record r) {
    return KEY_IDS.getOrDefault(r.project() + "|" + r.fingerprint, "");
  }

  static long field(Record r, String f) {
    return switch (f) {
      case "num_model_requests" -> 1;
      case "input_tokens" -> r.input();
      case "output_tokens" -> r.output();
      case "input_cached_tokens" -> r.cached();
      case "input_uncached_tokens" -> r.token("input_text_tokens") + r.token("input_audio_tokens")
          + r.token("input_image_tokens");
      default -> r.token(f);
    };
  }

  static void load(Connection c, String db, LedgerSeed seed) throws Exception {
    String q = SqlText.quoteIdentifier(db);
    QueryTarget.exec(c, "INSERT INTO " + q + ".api_key_map (project_id, api_key_fingerprint, api_key_id, api_key_name)"
        + " VALUES ('proj_a', 'sk-proj…Ax1', 'key_a', 'a'), ('proj_b', 'sk-proj…Bx2', 'key_b', 'b')");
    OURS.clear();
    DIFFERENCES.clear();
    for (Record r : seed.records) {
      if (!COMPLETIONS_APIS.contains(r.api)) {
        continue;
      }
      long[] s = OURS.computeIfAbsent(r.day() + "|" + r.project() + "|" + keyId(r) + "|" + r.model,
          k -> new long[FIELDS.size()]);
      for (int i = 0; i < FIELDS.size(); i++) {
        s[i] += field(r, FIELDS.get(i));
      }
    }
    List<String> keys = new ArrayList<>(OURS.keySet());
    StringJoiner rows = new StringJoiner(",\n");
    for (int k = 0; k < keys.size(); k++) {
      String key = keys.get(k);
      long[] ours = OURS.get(key);
      if (k == keys.size() - 1) { // OpenAI has no row: every non-zero field differs
        for (int i = 0; i < FIELDS.size(); i++) {
          if (ours[i] != 0) {
            DIFFERENCES.put(key + "|" + FIELDS.get(i), new long[] {ours[i], 0});
          }
        }
        continue;
      }
      long[] theirs = ours.clone();
      if (k == 0) {
        theirs[1] += 100;
        DIFFERENCES.put(key + "|input_tokens", new long[] {ours[1], theirs[1]});
      }
      String[] parts = key.split("\\|", -1);
      StringJoiner row = new StringJoiner(", ", "(", ")");
      row.add("toDateTime('" + parts[0] + " 00:00:00', 'UTC')").add("toDateTime('" + parts[0] + " 00:00:00', 'UTC') + 86400")
          .add(SqlText.quoteString(parts[1])).add(SqlText.quoteString(parts[2])).add(SqlText.quoteString(parts[3]));
      for (long v : theirs) {
        row.add(Long.toString(v));
      }
      rows.add(row.toString());
    }
    QueryTarget.exec(c, "INSERT INTO " + q + ".openai_usage_import (start_time, end_time, project_id, api_key_id, model, "
        + String.join(", ", FIELDS) + ") VALUES " + rows);
  }
}
