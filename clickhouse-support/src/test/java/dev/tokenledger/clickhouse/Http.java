package dev.tokenledger.clickhouse;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/** Raw HTTP requests to the target's ClickHouse HTTP interface (real server or the front). */
final class Http {

  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private final ClickHouseTarget target;

  Http(ClickHouseTarget target) {
    this.target = target;
  }

  static Map<String, String> params(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  HttpResponse<byte[]> get(String path, Map<String, String> params, String... headers)
      throws IOException, InterruptedException {
    return send("GET", path, params, null, headers);
  }

  HttpResponse<byte[]> post(Map<String, String> params, byte[] body, String... headers)
      throws IOException, InterruptedException {
    return send("POST", "/", params, body, headers);
  }

  HttpResponse<byte[]> send(String method, String path, Map<String, String> params, byte[] body, String... headers)
      throws IOException, InterruptedException {
    StringJoiner q = new StringJoiner("&");
    params.forEach((k, v) -> q.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
        + URLEncoder.encode(v, StandardCharsets.UTF_8)));
    String base = target.url.endsWith("/") ? target.url.substring(0, target.url.length() - 1) : target.url;
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path + (q.length() == 0 ? "" : "?" + q)))
        .timeout(Duration.ofSeconds(60))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    boolean hasAuth = false;
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
      hasAuth |= headers[i].equalsIgnoreCase("Authorization") || headers[i].equalsIgnoreCase("X-ClickHouse-User");
    }
    if (!hasAuth) {
      b.header("Authorization", "Basic " + Base64.getEncoder()
          .encodeToString((target.user + ":" + target.password).getBytes(StandardCharsets.UTF_8)));
    }
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Runs a read-only query with GET and returns its body as text; fails on a non-200 answer. */
  String query(String sql, String... kv) throws IOException, InterruptedException {
    Map<String, String> p = params(kv);
    p.put("query", sql);
    HttpResponse<byte[]> r = get("/", p);
    String text = new String(r.body(), StandardCharsets.UTF_8);
    if (r.statusCode() != 200) {
      throw new IllegalStateException("HTTP " + r.statusCode() + ": " + text);
    }
    return text;
  }

  /** Runs a statement that writes (POST, as a server requires); fails on a non-200 answer. */
  String exec(String sql) throws IOException, InterruptedException {
    HttpResponse<byte[]> r = post(params(), sql.getBytes(StandardCharsets.UTF_8));
    String text = new String(r.body(), StandardCharsets.UTF_8);
    if (r.statusCode() != 200) {
      throw new IllegalStateException("HTTP " + r.statusCode() + ": " + text);
    }
    return text;
  }

  static String text(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }
}
