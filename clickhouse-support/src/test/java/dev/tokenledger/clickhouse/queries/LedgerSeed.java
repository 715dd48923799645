package dev.tokenledger.clickhouse.queries;

import dev.tokenledger.clickhouse.SqlText;
import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.StringJoiner;

/**
 * Seed data for the query library tests: {@code tokenledger.usage} log records as the Collector's
 * exporter writes them into otel_logs (every attribute a string), spread over services,
 * environments, models, projects, API keys, entry points, use cases, users and Realtime sessions,
 * with missing and inferred records — and the Java side of every figure the queries must return,
 * computed from the records themselves.
 *
 * <p>Prices make a model/tier/batch combination wholly priced or wholly unpriced (an unknown model,
 * a tier without a price list), so summing per record equals the cost view's per-hour-group sums.
 */
final class LedgerSeed {

  /** The ten leaf token fields: every token counted once. */
  static final List<String> LEAF_FIELDS = List.of("input_text_tokens", "input_audio_tokens", "input_image_tokens",
      "input_cached_text_tokens", "input_cached_audio_tokens", "input_cached_image_tokens", "input_cache_write_tokens",
      "output_text_tokens", "output_audio_tokens", "output_image_tokens");

  /** Rates of model_prices per leaf field, same order. */
  static final List<String> RATE_COLUMNS = List.of("input_text_per_mtok", "input_audio_per_mtok", "input_image_per_mtok",
      "input_cached_text_per_mtok", "input_cached_audio_per_mtok", "input_cached_image_per_mtok",
      "input_cache_write_per_mtok", "output_text_per_mtok", "output_audio_per_mtok", "output_image_per_mtok");

  static final Instant START = Instant.parse("2026-11-20T21:30:00Z");
  static final long SPAN_SECONDS = 5 * 3600;
  static final Instant RANGE_FROM = Instant.parse("2026-11-20T00:00:00Z");
  static final Instant RANGE_TO = Instant.parse("2026-11-22T00:00:00Z");

  static final String[] SERVICES = {"checkout", "evaluator", "voice-bot"};
  static final Map<String, String> ENVIRONMENT = Map.of("checkout", "production", "evaluator", "staging",
      "voice-bot", "production");
  static final String[] HTTP_MODELS = {"gpt-4o-2024-08-06", "gpt-4o-mini", "my-finetune"};
  static final String[] PROJECTS = {"proj_a", "proj_b", null};
  static final String[] FINGERPRINTS = {"sk-proj…Ax1", "sk-proj…Bx2", null};
  static final String[] ENTRYPOINTS = {"POST /api/checkout", "POST /api/evaluation/judge", ""};
  static final String[] USE_CASES = {"judge", "summarize", ""};
  static final String[] USERS = {"alice", "bob", "carol", ""};

  /** One usage record. */
  static final class Record {
    Instant time;
    String service;
    String api;
    String operation;
    String model;
    String project;
    String tier;
    boolean batch;
    String fingerprint;
    String source = "reported";
    String split = "reported";
    String status = "completed";
    String diagnostic = "";
    String session = "";
    String connection = "";
    String responseId;
    String traceId;
    String entrypoint;
    String useCase;
    String user;
    /** tokenledger.record.id, or null for a record of an agent from before the id. */
    String recordId;
    final Map<String, Long> tokens = new LinkedHashMap<>();

    long token(String field) {
      return tokens.getOrDefault(field, 0L);
    }

    long input() {
      return token("input_text_tokens") + token("input_audio_tokens") + token("input_image_tokens") + cached()
          + token("input_cache_write_tokens");
    }

    long cached() {
      return token("input_cached_text_tokens") + token("input_cached_audio_tokens") + token("input_cached_image_tokens");
    }

    long output() {
      return token("output_text_tokens") + token("output_audio_tokens") + token("output_image_tokens");
    }

    String environment() {
      return ENVIRONMENT.get(service);
    }

    String project() {
      return project == null ? "" : project;
    }

    LocalDate day() {
      return time.atOffset(ZoneOffset.UTC).toLocalDate();
    }

    Instant hour() {
      return time.truncatedTo(ChronoUnit.HOURS);
    }

    /** The price row key, by the cost view's lookup rules. */
    String priceKey(Map<String, Map<String, BigDecimal>> prices) {
      String m = prices.keySet().stream().anyMatch(k -> k.startsWith(model + "|")) ? model
          : model.replaceFirst("-[0-9]{4}-[0-9]{2}-[0-9]{2}$", "");
      String t = tier == null || List.of("", "auto", "default", "standard").contains(tier) ? "default" : tier;
      return m + "|" + t + "|" + batch;
    }

    /** The record's cost, or null when a token count needs a rate that is not known. */
    BigDecimal cost(Map<String, Map<String, BigDecimal>> prices) {
      Map<String, BigDecimal> rates = prices.get(priceKey(prices));
      BigDecimal sum = BigDecimal.ZERO;
      for (int i = 0; i < LEAF_FIELDS.size(); i++) {
        long n = token(LEAF_FIELDS.get(i));
        if (n == 0) {
          continue;
        }
        BigDecimal rate = rates == null ? null : rates.get(RATE_COLUMNS.get(i));
        if (rate == null) {
          return null;
        }
        sum = sum.add(rate.multiply(BigDecimal.valueOf(n)).divide(BigDecimal.valueOf(1_000_000), MathContext.DECIMAL128));
      }
      return sum;
    }

    /** Money saved by the prompt cache: cached tokens at the uncached rate minus their cached rate. */
    BigDecimal saved(Map<String, Map<String, BigDecimal>> prices) {
      Map<String, BigDecimal> rates = prices.get(priceKey(prices));
      BigDecimal sum = BigDecimal.ZERO;
      String[][] pairs = {{"input_cached_text_tokens", "input_text_per_mtok", "input_cached_text_per_mtok"},
          {"input_cached_audio_tokens", "input_audio_per_mtok", "input_cached_audio_per_mtok"},
          {"input_cached_image_tokens", "input_image_per_mtok", "input_cached_image_per_mtok"}};
      for (String[] p : pairs) {
        long n = token(p[0]);
        if (n == 0) {
          continue;
        }
        if (rates == null || rates.get(p[1]) == null || rates.get(p[2]) == null) {
          return null;
        }
        sum = sum.add(rates.get(p[1]).subtract(rates.get(p[2])).multiply(BigDecimal.valueOf(n))
            .divide(BigDecimal.valueOf(1_000_000), MathContext.DECIMAL128));
      }
      return sum;
    }

    Map<String, String> attributes() {
      Map<String, String> a = new LinkedHashMap<>();
      if (recordId != null) {
        a.put("tokenledger.record.id", recordId);
      }
      a.put("gen_ai.provider.name", "openai");
      a.put("gen_ai.operation.name", operation);
      a.put("gen_ai.request.model", model);
      a.put("gen_ai.response.model", model);
      a.put("gen_ai.response.id", responseId);
      a.put("tokenledger.api", api);
      a.put("tokenledger.status", status);
      a.put("tokenledger.batch", String.valueOf(batch));
      a.put("tokenledger.usage.source", source);
      a.put("tokenledger.usage.split", split);
      if (!diagnostic.isEmpty()) {
        a.put("tokenledger.usage.diagnostic", diagnostic);
      }
      if (project != null) {
        a.put("openai.project", project);
      }
      if (tier != null) {
        a.put("openai.response.service_tier", tier);
      }
      if (fingerprint != null) {
        a.put("tokenledger.api_key.fingerprint", fingerprint);
      }
      if (!session.isEmpty()) {
        a.put("tokenledger.session.id", session);
        a.put("tokenledger.connection.id", connection);
      }
      if (!entrypoint.isEmpty()) {
        a.put("tokenledger.entrypoint", entrypoint);
      }
      if (!useCase.isEmpty()) {
        a.put("tokenledger.use_case", useCase);
      }
      if (!user.isEmpty()) {
        a.put("enduser.id", user);
      }
      a.put("server.address", "api.openai.com");
      long uncached = token("input_text_tokens") + token("input_audio_tokens") + token("input_image_tokens");
      a.put("tokenledger.usage.input_tokens", String.valueOf(input()));
      a.put("tokenledger.usage.output_tokens", String.valueOf(output()));
      a.put("tokenledger.usage.input_cached_tokens", String.valueOf(cached()));
      a.put("tokenledger.usage.input_uncached_tokens", String.valueOf(uncached));
      for (String f : LEAF_FIELDS) {
        a.put("tokenledger.usage." + f, String.valueOf(token(f)));
      }
      a.put("tokenledger.usage.output_reasoning_tokens", String.valueOf(token("output_text_tokens") / 3));
      return a;
    }
  }

  final List<Record> records = new ArrayList<>();

  /**
   * A point of the agents' counter tokenledger.records.dropped as the exporter writes it into
   * otel_metrics_sum (delta sums: each point counts the records dropped since the last one).
   */
  record DroppedPoint(Instant time, String service, String reason, String api, long records) {}

  final List<DroppedPoint> dropped = new ArrayList<>();

  /** {@code count} records, deterministic for {@code seed}. */
  static LedgerSeed generate(long seed, int count) {
    return generate(seed, count, START);
  }

  /** {@code count} records over the {@link #SPAN_SECONDS} from {@code start}, deterministic for {@code seed}. */
  static LedgerSeed generate(long seed, int count, Instant start) {
    Random r = new Random(seed);
    LedgerSeed s = new LedgerSeed();
    for (int i = 0; i < count; i++) {
      Record rec = new Record();
      rec.time = start.plusMillis((long) (r.nextDouble() * SPAN_SECONDS * 1000)).plusNanos(r.nextInt(1_000_000));
      rec.responseId = "resp_" + i;
      rec.traceId = String.format("%032x", 0xabc000 + i);
      rec.project = PROJECTS[r.nextInt(PROJECTS.length)];
      rec.fingerprint = FINGERPRINTS[r.nextInt(FINGERPRINTS.length)];
      rec.entrypoint = ENTRYPOINTS[r.nextInt(ENTRYPOINTS.length)];
      rec.useCase = USE_CASES[r.nextInt(USE_CASES.length)];
      rec.user = USERS[r.nextInt(USERS.length)];
      boolean realtime = r.nextInt(4) == 0;
      if (realtime) {
        rec.service = "voice-bot";
        rec.model = "gpt-realtime";
        int session = r.nextInt(4);
        rec.session = "sess_" + session;
        rec.connection = "conn_" + session + "_" + r.nextInt(2);
        // As the agent records them: every Realtime record is operation "realtime"; a response.done is
        // api "realtime" with the response's status, an input-audio transcription "realtime.transcription".
        rec.operation = "realtime";
        rec.api = r.nextInt(10) == 0 ? "realtime.transcription" : "realtime";
        rec.status = rec.api.equals("realtime") && r.nextInt(4) == 0 ? "cancelled" : "completed";
        rec.tier = null;
      } else {
        rec.service = SERVICES[r.nextInt(2)];
        int kind = r.nextInt(10);
        rec.api = kind < 5 ? "chat.completions" : kind < 8 ? "responses" : "batch.output";
        rec.batch = rec.api.equals("batch.output");
        rec.operation = rec.api.equals("responses") ? "responses" : "chat";
        rec.model = rec.batch ? "gpt-4o-mini" : HTTP_MODELS[r.nextInt(HTTP_MODELS.length)];
        rec.tier = rec.batch ? null : new String[] {"default", "auto", null, "flex"}[r.nextInt(4)];
        rec.status = "ok";
      }
      boolean missing = r.nextInt(9) == 0;
      if (missing) {
        rec.source = "missing";
        rec.diagnostic = r.nextBoolean() ? "stream without include_usage" : "body truncated";
      } else {
        rec.split = r.nextInt(3) == 0 ? "inferred" : "reported";
        rec.tokens.put("input_text_tokens", (long) r.nextInt(4000));
        rec.tokens.put("input_cached_text_tokens", (long) r.nextInt(2000));
        rec.tokens.put("output_text_tokens", (long) r.nextInt(1200));
        if (r.nextInt(5) == 0) {
          rec.tokens.put("input_image_tokens", (long) r.nextInt(700));
          rec.tokens.put("input_cached_image_tokens", (long) r.nextInt(90));
        }
        if (r.nextInt(6) == 0) {
          rec.tokens.put("input_cache_write_tokens", (long) r.nextInt(300));
        }
        if (realtime) {
          rec.tokens.put("input_audio_tokens", (long) r.nextInt(3000));
          rec.tokens.put("input_cached_audio_tokens", (long) r.nextInt(600));
          rec.tokens.put("output_audio_tokens", (long) r.nextInt(2500));
        }
      }
      s.records.add(rec);
    }
    for (int i = 0; i < 12; i++) {
      s.dropped.add(new DroppedPoint(START.plusSeconds(r.nextInt((int) SPAN_SECONDS)), SERVICES[r.nextInt(2)],
          r.nextInt(3) == 0 ? "export_failed" : "queue_full", r.nextBoolean() ? "chat.completions" : "batch.output",
          1 + r.nextInt(500)));
    }
    return s;
  }

  /** INSERT statements (blocks of 200 rows) into {@code db}.otel_logs, and the drop counter's points. */
  List<String> inserts(String db) {
    List<String> out = new ArrayList<>();
    for (int from = 0; from < records.size(); from += 200) {
      out.add(insert(db, records.subList(from, Math.min(records.size(), from + 200)), true));
    }
    StringJoiner points = new StringJoiner(",\n");
    for (DroppedPoint p : dropped) {
      points.add("(" + map(Map.of("service.name", p.service())) + ", 'tokenledger', " + SqlText.quoteString(p.service())
          + ", 'tokenledger.records.dropped', '{record}', "
          + map(Map.of("error.type", p.reason(), "tokenledger.api", p.api())) + ", toDateTime("
          + (p.time().getEpochSecond() - 60) + ", 'UTC'), toDateTime(" + p.time().getEpochSecond() + ", 'UTC'), "
          + p.records() + ", 1, true)");
    }
    out.add("INSERT INTO " + SqlText.quoteIdentifier(db) + ".otel_metrics_sum (ResourceAttributes, ScopeName,"
        + " ServiceName, MetricName, MetricUnit, Attributes, StartTimeUnix, TimeUnix, Value, AggregationTemporality,"
        + " IsMonotonic) SETTINGS async_insert = 0 VALUES\n" + points);
    return out;
  }

  /**
   * One INSERT of {@code block} into {@code db}.otel_logs, as the exporter writes it: with the
   * event name, or without it (the exporter leaves EventName out when ClickHouse was unreachable at
   * its start).
   */
  static String insert(String db, List<Record> block, boolean withEventName) {
    StringJoiner rows = new StringJoiner(",\n");
    for (Record rec : block) {
      long nanos = rec.time.getEpochSecond() * 1_000_000_000L + rec.time.getNano();
      rows.add("(fromUnixTimestamp64Nano(toInt64(" + nanos + ")), " + SqlText.quoteString(rec.traceId)
          + ", '0123456789abcdef', 1, 'INFO', 9, " + SqlText.quoteString(rec.service) + ", '', '', "
          + map(Map.of("service.name", rec.service, "deployment.environment.name", rec.environment()))
          + ", '', 'dev.tokenledger', '0.1.0', {}, " + map(rec.attributes()) + ", "
          + (withEventName ? "'tokenledger.usage'" : "''") + ")");
    }
    return "INSERT INTO " + SqlText.quoteIdentifier(db) + ".otel_logs (Timestamp, TraceId, SpanId, TraceFlags,"
        + " SeverityText, SeverityNumber, ServiceName, Body, ResourceSchemaUrl, ResourceAttributes, ScopeSchemaUrl,"
        + " ScopeName, ScopeVersion, ScopeAttributes, LogAttributes, EventName) SETTINGS async_insert = 0 VALUES\n"
        + rows;
  }

  private static String map(Map<String, String> m) {
    StringJoiner j = new StringJoiner(", ", "{", "}");
    m.forEach((k, v) -> j.add(SqlText.quoteString(k) + ": " + SqlText.quoteString(v)));
    return j.toString();
  }
}
