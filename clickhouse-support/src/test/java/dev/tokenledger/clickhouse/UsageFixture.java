package dev.tokenledger.clickhouse;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.StringJoiner;

/**
 * Synthetic {@code tokenledger.usage} log records, shaped as the agent emits them and the Collector's
 * exporter writes them into otel_logs (every attribute a string in LogAttributes), with the exact
 * totals the ledger and the rollups must show. Deterministic for a given seed.
 */
final class UsageFixture {

  /** The token fields of docs/token-vocabulary.md: the agent's vocabulary. */
  static final List<String> TOKEN_FIELDS = TokenVocabularyTest.VOCABULARY;

  /** APIs OpenAI reports under the completions usage export (see 008_usage_daily_openai.sql). */
  static final List<String> COMPLETIONS_APIS = List.of("chat.completions", "responses", "completions", "batch.output",
      "realtime");

  /** otel_logs columns the exporter inserts, in its order. */
  static final String LOG_COLUMNS = "Timestamp, TraceId, SpanId, TraceFlags, SeverityText, SeverityNumber, ServiceName,"
      + " Body, ResourceSchemaUrl, ResourceAttributes, ScopeSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes,"
      + " LogAttributes, EventName";

  /** One usage record. */
  static final class Record {
    Instant time;
    String eventName = "tokenledger.usage";
    String api;
    String model;
    String requestModel;
    String project;
    String tier;
    boolean batch;
    String fingerprint;
    String source;
    String split;
    String status = "ok";
    String service = "demo-app";
    double audioSeconds;
    long inputCharacters;
    final Map<String, Long> tokens = new LinkedHashMap<>();
    final Map<String, String> extra = new LinkedHashMap<>();

    long token(String field) {
      return tokens.getOrDefault(field, 0L);
    }

    Instant hour() {
      return time.truncatedTo(ChronoUnit.HOURS);
    }

    Instant day() {
      return time.atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS).toInstant();
    }

    /** LogAttributes as the exporter writes them: every value a string. */
    Map<String, String> attributes() {
      Map<String, String> a = new LinkedHashMap<>();
      a.put("gen_ai.provider.name", "openai");
      a.put("gen_ai.operation.name", api.startsWith("chat") ? "chat" : api);
      a.put("gen_ai.request.model", requestModel);
      if (model != null) {
        a.put("gen_ai.response.model", model);
      }
      a.put("tokenledger.api", api);
      a.put("tokenledger.status", status);
      a.put("tokenledger.batch", String.valueOf(batch));
      if (project != null) {
        a.put("openai.project", project);
      }
      if (tier != null) {
        a.put("openai.response.service_tier", tier);
      }
      if (fingerprint != null) {
        a.put("tokenledger.api_key.fingerprint", fingerprint);
      }
      a.put("tokenledger.usage.source", source);
      a.put("tokenledger.usage.split", split);
      a.put("server.address", "api.openai.com");
      a.put("http.response.status_code", "200");
      a.put("openai.request.id", "req_" + Long.toHexString(time.toEpochMilli()));
      for (String f : TOKEN_FIELDS) {
        a.put("tokenledger.usage." + f, String.valueOf(token(f)));
      }
      if (audioSeconds != 0) {
        a.put("tokenledger.usage.audio_seconds", String.valueOf(audioSeconds));
      }
      if (inputCharacters != 0) {
        a.put("tokenledger.usage.input_characters", String.valueOf(inputCharacters));
      }
      a.put("tokenledger.usage.raw", "{\"prompt_tokens\":" + token("input_tokens") + ",\"note\":\"it's; a \\\"raw\\\" body\"}");
      a.putAll(extra);
      return a;
    }

    /** The billed model: the response model, else the request model. */
    String billedModel() {
      return model != null ? model : requestModel;
    }
  }

  private UsageFixture() {}

  /**
   * {@code count} records from {@code start} over {@code span}, crossing hour and UTC day
   * boundaries when the span does; consistent with the invariants of docs/token-vocabulary.md.
   */
  static List<Record> records(long seed, int count, Instant start, long spanSeconds) {
    Random r = new Random(seed);
    String[] models = {"gpt-4o-2024-08-06", "gpt-4o-mini", "gpt-5", "gpt-realtime-2025-08-28"};
    String[] apis = {"chat.completions", "responses", "completions", "batch.output", "realtime", "embeddings",
        "audio.transcriptions", "audio.speech"};
    String[] projects = {"proj_a", "proj_b", null};
    String[] tiers = {"default", "flex", null};
    List<Record> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Record rec = new Record();
      rec.time = start.plusMillis((long) (r.nextDouble() * spanSeconds * 1000)).plusNanos(r.nextInt(1_000_000));
      rec.api = apis[r.nextInt(apis.length)];
      rec.requestModel = models[r.nextInt(models.length)].replaceAll("-\\d{4}-\\d{2}-\\d{2}$", "");
      rec.model = r.nextInt(5) == 0 ? null : models[r.nextInt(models.length)];
      rec.project = projects[r.nextInt(projects.length)];
      rec.tier = tiers[r.nextInt(tiers.length)];
      rec.batch = rec.api.equals("batch.output");
      rec.fingerprint = r.nextBoolean() ? "sk-proj-…" + (char) ('A' + r.nextInt(3)) + "x1" : null;
      boolean missing = r.nextInt(8) == 0;
      rec.source = missing ? "missing" : rec.api.equals("audio.speech") ? "counted" : "reported";
      rec.split = r.nextBoolean() ? "reported" : "inferred";
      if (r.nextInt(10) == 0) {
        rec.status = "error";
      }
      if (!missing) {
        long text = r.nextInt(5000);
        long audio = rec.api.equals("realtime") ? r.nextInt(3000) : 0;
        long image = r.nextInt(4) == 0 ? r.nextInt(800) : 0;
        long cText = r.nextInt(2000);
        long cAudio = audio > 0 ? r.nextInt(500) : 0;
        long cImage = image > 0 ? r.nextInt(100) : 0;
        long cacheWrite = r.nextInt(6) == 0 ? r.nextInt(300) : 0;
        long oText = r.nextInt(1500);
        long oAudio = rec.api.equals("realtime") ? r.nextInt(2000) : 0;
        long oImage = 0;
        long reasoning = oText == 0 ? 0 : r.nextInt((int) oText + 1);
        long uncached = text + audio + image;
        long cached = cText + cAudio + cImage;
        rec.tokens.put("input_text_tokens", text);
        rec.tokens.put("input_audio_tokens", audio);
        rec.tokens.put("input_image_tokens", image);
        rec.tokens.put("input_cached_text_tokens", cText);
        rec.tokens.put("input_cached_audio_tokens", cAudio);
        rec.tokens.put("input_cached_image_tokens", cImage);
        rec.tokens.put("input_cache_write_tokens", cacheWrite);
        rec.tokens.put("input_uncached_tokens", uncached);
        rec.tokens.put("input_cached_tokens", cached);
        rec.tokens.put("input_tokens", uncached + cached + cacheWrite);
        rec.tokens.put("output_text_tokens", oText);
        rec.tokens.put("output_audio_tokens", oAudio);
        rec.tokens.put("output_image_tokens", oImage);
        rec.tokens.put("output_tokens", oText + oAudio + oImage);
        rec.tokens.put("output_reasoning_tokens", reasoning);
        if (rec.api.equals("audio.transcriptions")) {
          rec.audioSeconds = r.nextInt(600) / 2.0; // halves: exact in binary, so sums compare exactly
        }
        if (rec.api.equals("audio.speech")) {
          rec.inputCharacters = r.nextInt(4000);
        }
      }
      if (r.nextInt(7) == 0) {
        rec.eventName = ""; // the exporter lost EventName (docs/clickhouse.md#exporter): still a usage record
      }
      out.add(rec);
    }
    return out;
  }

  /** An INSERT of {@code records} into {@code db}.otel_logs, with optional settings (k = v, …). */
  static String insertSql(String db, List<Record> records, String settings) {
    StringJoiner rows = new StringJoiner(",\n");
    for (Record rec : records) {
      rows.add(row(rec.time, rec.service, rec.eventName, rec.attributes()));
    }
    return "INSERT INTO " + SqlText.quoteIdentifier(db) + ".otel_logs (" + LOG_COLUMNS + ")"
        + (settings == null ? "" : " SETTINGS " + settings) + " VALUES\n" + rows;
  }

  /** An otel_logs row that is not a usage record (must be ignored by the ledger). */
  static String otherLogRow(Instant time, String eventName, Map<String, String> attributes) {
    return row(time, "demo-app", eventName, attributes);
  }

  private static String row(Instant time, String service, String eventName, Map<String, String> attributes) {
    long nanos = time.getEpochSecond() * 1_000_000_000L + time.getNano();
    return "(fromUnixTimestamp64Nano(toInt64(" + nanos + ")), '0123456789abcdef0123456789abcdef', '0123456789abcdef', 1,"
        + " 'INFO', 9, " + SqlText.quoteString(service) + ", '', '', " + map(Map.of("service.name", service))
        + ", '', 'dev.tokenledger', '0.1.0', {}, " + map(attributes) + ", " + SqlText.quoteString(eventName) + ")";
  }

  private static String map(Map<String, String> m) {
    StringJoiner j = new StringJoiner(", ", "{", "}");
    m.forEach((k, v) -> j.add(SqlText.quoteString(k) + ": " + SqlText.quoteString(v)));
    return j.toString();
  }
}
