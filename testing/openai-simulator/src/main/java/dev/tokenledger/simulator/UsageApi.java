package dev.tokenledger.simulator;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * OpenAI's organization Usage API for completions ({@code GET /v1/organization/usage/completions},
 * docs/token-vocabulary.md#the-usage-export), answered from the simulator's ground truth through {@link UsageExport}:
 * what OpenAI's billing side would report about the simulated traffic, so a usage import can be
 * tested page by page against known numbers.
 *
 * <p>Supported: {@code start_time} (required, unix seconds, inclusive), {@code end_time} (exclusive,
 * default now), {@code bucket_width=1d} (the only width served here; others answer 400),
 * {@code limit} (buckets per page, 1–31, default 7), {@code page} (the {@code next_page} cursor of the
 * previous page), {@code group_by} ({@code project_id}, {@code user_id}, {@code api_key_id},
 * {@code model}, {@code batch}, {@code service_tier}; repeated, bracketed or comma-separated). Buckets
 * start at {@code start_time} and are one day wide; every bucket of the range is listed, empty ones
 * with no results, as OpenAI does. Grouping fields not asked for come back null; {@code user_id} and
 * {@code api_key_id} are always null (the simulator does not know OpenAI's ids for them).
 *
 * <p>Authentication: a bearer admin key ({@code sk-admin-…}); none answers 401, another kind of key
 * 403, like the real endpoint (whose exact error texts are not reproduced).
 */
public final class UsageApi {

  /** The path this class serves. */
  public static final String PATH = "/v1/organization/usage/completions";

  private static final long DAY = 86_400;
  private static final Set<String> GROUP_KEYS =
      Set.of("project_id", "user_id", "api_key_id", "model", "batch", "service_tier");
  /** The token fields of a result: the export's token columns, in the same order. */
  private static final List<String> RESULT_TOKENS = UsageExport.TOKEN_COLUMNS;

  private UsageApi() {}

  /** Answers one request for {@link #PATH} from {@code truth}. */
  public static void serve(HttpExchange ex, Supplier<List<GroundTruth>> truth) throws IOException {
    ex.getRequestBody().readAllBytes();
    if (!ex.getRequestMethod().equalsIgnoreCase("GET")) {
      send(ex, 405, error("Method not allowed: use GET.", "invalid_request_error", null));
      return;
    }
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    if (auth == null || !auth.startsWith("Bearer ") || auth.length() <= "Bearer ".length()) {
      send(ex, 401, error("You didn't provide an API key. You need to provide your admin API key in an"
          + " Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", "invalid_request_error", null));
      return;
    }
    if (!auth.substring("Bearer ".length()).startsWith("sk-admin-")) {
      send(ex, 403, error("This endpoint requires an admin API key (sk-admin-…).", "invalid_request_error",
          "insufficient_permissions"));
      return;
    }
    Map<String, List<String>> q = query(ex.getRequestURI().getRawQuery());
    try {
      send(ex, 200, Json.write(page(q, truth.get(), Instant.now())));
    } catch (IllegalArgumentException bad) {
      send(ex, 400, error(bad.getMessage(), "invalid_request_error", null));
    }
  }

  /** The page object for query parameters {@code q} (exposed for tests). */
  static Map<String, Object> page(Map<String, List<String>> q, List<GroundTruth> truth, Instant now) {
    long start = longParam(q, "start_time", null);
    long end = longParam(q, "end_time", now.getEpochSecond());
    if (end <= start) {
      throw new IllegalArgumentException("end_time must be after start_time.");
    }
    String width = first(q, "bucket_width", "1d");
    if (!width.equals("1d")) {
      throw new IllegalArgumentException("bucket_width '" + width + "': the simulator serves only 1d buckets.");
    }
    long limit = longParam(q, "limit", 7L);
    if (limit < 1 || limit > 31) {
      throw new IllegalArgumentException("limit must be between 1 and 31 for 1d buckets.");
    }
    Set<String> groupBy = new LinkedHashSet<>();
    for (String key : List.of("group_by", "group_by[]")) {
      for (String v : q.getOrDefault(key, List.of())) {
        for (String g : v.split(",")) {
          if (!g.isBlank()) {
            if (!GROUP_KEYS.contains(g.strip())) {
              throw new IllegalArgumentException("Invalid group_by value '" + g.strip() + "'.");
            }
            groupBy.add(g.strip());
          }
        }
      }
    }
    long first = start;
    String cursor = first(q, "page", null);
    if (cursor != null) {
      first = decodeCursor(cursor, start, end);
    }
    List<Object> buckets = new ArrayList<>();
    long bucketStart = first;
    for (int i = 0; i < limit && bucketStart < end; i++, bucketStart += DAY) {
      long bucketEnd = Math.min(bucketStart + DAY, end);
      buckets.add(bucket(truth, bucketStart, bucketEnd, groupBy));
    }
    boolean more = bucketStart < end;
    return Json.obj("object", "page", "data", buckets, "has_more", more,
        "next_page", more ? encodeCursor(bucketStart) : null);
  }

  private static Map<String, Object> bucket(List<GroundTruth> truth, long from, long to, Set<String> groupBy) {
    Instant a = Instant.ofEpochSecond(from);
    Instant b = Instant.ofEpochSecond(to);
    List<UsageExport.Row> rows = UsageExport.daily(truth,
        UsageExport.COMPLETIONS.and(g -> !g.time().isBefore(a) && g.time().isBefore(b)));
    // Re-group the export rows by the requested keys only; the rest is summed over.
    Map<List<Object>, Map<String, Long>> groups = new TreeMap<>(Comparator.comparing(Object::toString));
    for (UsageExport.Row r : rows) {
      List<Object> key = new ArrayList<>();
      key.add(groupBy.contains("project_id") ? r.projectId() : null);
      key.add(null); // user_id
      key.add(null); // api_key_id
      key.add(groupBy.contains("model") ? r.model() : null);
      key.add(groupBy.contains("batch") ? (Object) r.batch() : null);
      key.add(groupBy.contains("service_tier") ? r.serviceTier() : null);
      Map<String, Long> sums = groups.computeIfAbsent(key, k -> new LinkedHashMap<>());
      for (String f : RESULT_TOKENS) {
        sums.merge(f, r.tokens().get(f), Long::sum);
      }
      sums.merge("num_model_requests", r.numModelRequests(), Long::sum);
    }
    List<Object> results = new ArrayList<>();
    groups.forEach((key, sums) -> {
      Map<String, Object> res = new LinkedHashMap<>();
      res.put("object", "organization.usage.completions.result");
      for (String f : RESULT_TOKENS) {
        res.put(f, sums.get(f));
      }
      res.put("num_model_requests", sums.get("num_model_requests"));
      res.put("project_id", key.get(0));
      res.put("user_id", key.get(1));
      res.put("api_key_id", key.get(2));
      res.put("model", key.get(3));
      res.put("batch", key.get(4));
      res.put("service_tier", key.get(5));
      results.add(res);
    });
    return Json.obj("object", "bucket", "start_time", from, "end_time", to,
        "start_time_iso", Instant.ofEpochSecond(from).toString(), "end_time_iso", Instant.ofEpochSecond(to).toString(),
        "results", results);
  }

  // The cursor names the first bucket of the next page; opaque to clients, as OpenAI's is.
  private static String encodeCursor(long bucketStart) {
    return "page_" + Base64.getUrlEncoder().withoutPadding()
        .encodeToString(("bucket:" + bucketStart).getBytes(StandardCharsets.US_ASCII));
  }

  private static long decodeCursor(String cursor, long start, long end) {
    try {
      String s = new String(Base64.getUrlDecoder().decode(cursor.substring("page_".length())), StandardCharsets.US_ASCII);
      long at = Long.parseLong(s.substring("bucket:".length()));
      if (at < start || at >= end || (at - start) % DAY != 0) {
        throw new IllegalArgumentException("page cursor does not belong to this time range.");
      }
      return at;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("Invalid page cursor '" + cursor + "'.");
    }
  }

  private static long longParam(Map<String, List<String>> q, String name, Long fallback) {
    String v = first(q, name, null);
    if (v == null) {
      if (fallback == null) {
        throw new IllegalArgumentException("Missing required parameter: '" + name + "'.");
      }
      return fallback;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Invalid value for '" + name + "': expected an integer, got '" + v + "'.");
    }
  }

  private static String first(Map<String, List<String>> q, String name, String fallback) {
    List<String> v = q.get(name);
    return v == null || v.isEmpty() ? fallback : v.get(0);
  }

  static Map<String, List<String>> query(String raw) {
    Map<String, List<String>> q = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return q;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      q.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
    return q;
  }

  private static String error(String message, String type, String code) {
    return Json.write(Json.obj("error", Json.obj("message", message, "type", type, "param", null, "code", code)));
  }

  private static void send(HttpExchange ex, int status, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }
}
