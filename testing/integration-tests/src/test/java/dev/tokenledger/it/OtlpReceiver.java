package dev.tokenledger.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;

/**
 * A loopback OTLP/HTTP (protobuf) receiver standing in for the Collector: it keeps every decoded
 * span, log record and metric, and every received byte, so tests can compare the agent's export
 * with ground truth and scan it for secrets.
 */
final class OtlpReceiver implements Exported, AutoCloseable {

  private final HttpServer server;
  private final List<Span> spans = new ArrayList<>();
  private final List<LogRecord> logs = new ArrayList<>();
  private final List<Metric> metrics = new ArrayList<>();
  private final ByteArrayOutputStream raw = new ByteArrayOutputStream();
  private final boolean keep;
  /** How long each export waits before its answer: a loaded Collector. */
  private final Duration answerDelay;
  /** Spans are counted only (a burst's spans would fill the test JVM's heap for nothing). */
  private final boolean keepSpans;
  private final AtomicLong spansReceived = new AtomicLong();
  private final AtomicLong logExports = new AtomicLong();
  private final AtomicLong logBytes = new AtomicLong();
  private final ExecutorService executor;

  OtlpReceiver() throws IOException {
    this(true, Duration.ZERO, true);
  }

  /**
   * A receiver that answers every export and keeps nothing: for benchmarks, where decoding here
   * would take CPU from the application being measured on the same machine.
   */
  static OtlpReceiver discarding() throws IOException {
    return new OtlpReceiver(false, Duration.ZERO, false);
  }

  /**
   * A loaded Collector: it answers each export {@code answerDelay} late, several exports at a time
   * (as the Collector's receiver does), and keeps log records and metrics; spans are only counted.
   */
  static OtlpReceiver answeringLate(Duration answerDelay) throws IOException {
    return new OtlpReceiver(true, answerDelay, false);
  }

  private OtlpReceiver(boolean keep, Duration answerDelay, boolean keepSpans) throws IOException {
    this.keep = keep;
    this.answerDelay = answerDelay;
    this.keepSpans = keepSpans;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/v1/traces", exchange -> handle(exchange, "traces"));
    server.createContext("/v1/logs", exchange -> handle(exchange, "logs"));
    server.createContext("/v1/metrics", exchange -> handle(exchange, "metrics"));
    executor = answerDelay.isZero() ? null : Executors.newFixedThreadPool(8);
    server.setExecutor(executor);
    server.start();
  }

  String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange, String signal) throws IOException {
    try (InputStream in = body(exchange)) {
      byte[] bytes = in.readAllBytes();
      if (!answerDelay.isZero()) {
        try {
          Thread.sleep(answerDelay.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      synchronized (this) {
        if (!keep) {
          exchange.sendResponseHeaders(200, -1);
          return;
        }
        if (keepSpans || !signal.equals("traces")) {
          raw.write(bytes);
        }
        switch (signal) {
          case "traces":
            for (ResourceSpans rs : ExportTraceServiceRequest.parseFrom(bytes).getResourceSpansList()) {
              for (ScopeSpans ss : rs.getScopeSpansList()) {
                spansReceived.addAndGet(ss.getSpansCount());
                if (keepSpans) {
                  spans.addAll(ss.getSpansList());
                }
              }
            }
            break;
          case "logs":
            logExports.incrementAndGet();
            logBytes.addAndGet(bytes.length);
            for (ResourceLogs rl : ExportLogsServiceRequest.parseFrom(bytes).getResourceLogsList()) {
              for (ScopeLogs sl : rl.getScopeLogsList()) {
                logs.addAll(sl.getLogRecordsList());
              }
            }
            break;
          default:
            for (ResourceMetrics rm : ExportMetricsServiceRequest.parseFrom(bytes).getResourceMetricsList()) {
              for (ScopeMetrics sm : rm.getScopeMetricsList()) {
                metrics.addAll(sm.getMetricsList());
              }
            }
        }
      }
      exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, 0);
    } catch (RuntimeException e) {
      exchange.sendResponseHeaders(400, -1);
    } finally {
      exchange.close();
    }
  }

  private static InputStream body(HttpExchange exchange) throws IOException {
    String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
    InputStream in = exchange.getRequestBody();
    return "gzip".equalsIgnoreCase(encoding) ? new GZIPInputStream(in) : in;
  }

  @Override
  public synchronized List<Span> spans() {
    return new ArrayList<>(spans);
  }

  @Override
  public synchronized List<LogRecord> logs() {
    return new ArrayList<>(logs);
  }

  @Override
  public synchronized List<Metric> metrics() {
    return new ArrayList<>(metrics);
  }

  /** Every byte received so far, decompressed. */
  @Override
  public synchronized byte[] rawBytes() {
    return raw.toByteArray();
  }

  /** Spans received so far, kept or not. */
  long spansReceived() {
    return spansReceived.get();
  }

  /** Bytes of the log exports so far, uncompressed. */
  long logBytes() {
    return logBytes.get();
  }

  /** Log exports answered so far. */
  long logExports() {
    return logExports.get();
  }

  synchronized void reset() {
    spans.clear();
    logs.clear();
    metrics.clear();
    raw.reset();
    spansReceived.set(0);
    logExports.set(0);
    logBytes.set(0);
  }

  @Override
  public void close() {
    server.stop(0);
    if (executor != null) {
      executor.shutdownNow();
    }
  }
}
