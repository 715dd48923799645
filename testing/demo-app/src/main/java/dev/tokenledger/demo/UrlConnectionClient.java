package dev.tokenledger.demo;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.zip.GZIPInputStream;

/**
 * The JDK's {@code HttpURLConnection}, as legacy code and Spring's {@code SimpleClientHttpRequestFactory}
 * use it: request bodies buffered by the JDK, or streamed with a fixed length or in chunks; the status
 * read first, then the body from {@code getInputStream}, or from {@code getErrorStream} for a
 * 4xx/5xx status; some connections disconnected after their body.
 */
final class UrlConnectionClient implements DemoClient {

  /** Request bodies streamed with their length known up front (Spring's default). */
  private static final Set<String> FIXED_LENGTH = Set.of("responses", "embeddings", "moderations", "error-500", "huge");

  /** Request bodies streamed in chunks. */
  private static final Set<String> CHUNKED = Set.of("chat-image", "completions", "chat-stream-no-usage");

  /** Scenarios that ask for the body before the status (the JDK reads the head either way). */
  private static final Set<String> BODY_FIRST = Set.of("chat-stream-usage", "speech", "translation");

  /** Scenarios whose connection is disconnected once the body has been read. */
  private static final Set<String> DISCONNECT = Set.of("chat", "responses-stream", "error-429", "batch-output");

  private final DemoApp.Config cfg;

  UrlConnectionClient(DemoApp.Config cfg) {
    this.cfg = cfg;
  }

  @Override
  public String name() {
    return "url-connection";
  }

  @Override
  public Result run(String scenario) throws Exception {
    Scenarios.Call c = Scenarios.call(scenario, cfg);
    HttpURLConnection connection = (HttpURLConnection) c.uri().toURL().openConnection();
    int timeout = (int) Math.min(Integer.MAX_VALUE, cfg.timeout().toMillis());
    connection.setConnectTimeout(timeout);
    connection.setReadTimeout(timeout);
    for (Map.Entry<String, String> h : c.headers().entrySet()) {
      connection.setRequestProperty(h.getKey(), h.getValue());
    }
    boolean gzip = c.headers().containsKey("X-Sim-Gzip");
    if (gzip) {
      // HttpURLConnection never decompresses by itself: an app that wants gzip asks and decodes.
      connection.setRequestProperty("Accept-Encoding", "gzip");
    }
    byte[] body = null;
    if (c.form() != null) {
      String boundary = "----demo" + UUID.randomUUID();
      connection.setRequestProperty("Content-Type", "multipart/form-data; boundary=" + boundary);
      body = JdkClient.multipart(c.form(), boundary);
    } else if (c.json() != null) {
      body = c.json();
    }
    try {
      if (body != null) {
        connection.setRequestMethod("POST");
        connection.setDoOutput(true);
        if (FIXED_LENGTH.contains(scenario)) {
          connection.setFixedLengthStreamingMode(body.length);
        } else if (CHUNKED.contains(scenario)) {
          connection.setChunkedStreamingMode(4096);
        }
        try (OutputStream out = connection.getOutputStream()) {
          out.write(body);
        }
      }
      InputStream early = BODY_FIRST.contains(scenario) ? connection.getInputStream() : null;
      int status = connection.getResponseCode();
      InputStream in = early != null ? early : status >= 400 ? connection.getErrorStream() : connection.getInputStream();
      if (in == null) {
        return Result.of(status, new byte[0]);
      }
      boolean encoded = gzip && "gzip".equalsIgnoreCase(connection.getContentEncoding());
      try (InputStream body0 = encoded ? new GZIPInputStream(in) : in) {
        Bodies.Digest d = c.kind() == Scenarios.Kind.SSE
            ? Bodies.readLines(body0, new Bodies.SseConsumer())
            : Bodies.drain(body0);
        return Result.of(status, d);
      }
    } finally {
      if (DISCONNECT.contains(scenario)) {
        connection.disconnect();
      }
    }
  }
}
