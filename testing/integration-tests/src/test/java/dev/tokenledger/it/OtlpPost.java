package dev.tokenledger.it;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * OTLP/HTTP log exports sent straight to a Collector, one request at a time, so a test knows exactly
 * which records each answer covers (the ground truth of the Collector tests that do not need the
 * agent). Records carry their id in the attribute {@value #RECORD_ID}.
 */
final class OtlpPost {

  static final String RECORD_ID = "test.record";

  /** The Collector's answer to one request: an HTTP status, or the client-side failure (status -1). */
  record Answer(int status, String body, String failure) {
    boolean accepted() {
      return status == 200;
    }

    @Override
    public String toString() {
      return status >= 0 ? "HTTP " + status + " " + body.strip() : failure;
    }
  }

  /** One request of log records, one per map of attributes, under one resource. */
  static byte[] logs(String serviceName, List<Map<String, String>> records) {
    ScopeLogs.Builder scope = ScopeLogs.newBuilder();
    long now = TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis());
    for (Map<String, String> attributes : records) {
      LogRecord.Builder record = LogRecord.newBuilder()
          .setTimeUnixNano(now)
          .setObservedTimeUnixNano(now)
          .setBody(AnyValue.newBuilder().setStringValue("collector test record"));
      attributes.forEach((k, v) -> record.addAttributes(KeyValue.newBuilder().setKey(k)
          .setValue(AnyValue.newBuilder().setStringValue(v))));
      scope.addLogRecords(record);
    }
    return ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(ResourceLogs.newBuilder()
            .setResource(Resource.newBuilder().addAttributes(KeyValue.newBuilder().setKey("service.name")
                .setValue(AnyValue.newBuilder().setStringValue(serviceName))))
            .addScopeLogs(scope))
        .build()
        .toByteArray();
  }

  /**
   * POSTs {@code body} to {@code <baseUrl>/v1/logs}, with {@code Authorization: authorization} unless
   * that is null; TLS trusts only the Collector's test certificate.
   */
  static Answer post(Collector collector, String baseUrl, byte[] body, String authorization, Duration timeout) {
    HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
        .version(HttpClient.Version.HTTP_1_1);
    if (collector.tls != null) {
      client.sslContext(collector.tls.sslContext());
    }
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + "/v1/logs"))
        .timeout(timeout)
        .header("Content-Type", "application/x-protobuf")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    try {
      HttpResponse<String> response = client.build().send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(response.statusCode(), response.body(), null);
    } catch (IOException e) {
      return new Answer(-1, "", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer(-1, "", e.toString());
    }
  }

  /** With the Collector's own token, over its TLS endpoint. */
  static Answer post(Collector collector, byte[] body, Duration timeout) {
    return post(collector, collector.otlpHttpEndpoint(), body,
        collector.token == null ? null : "Bearer " + collector.token, timeout);
  }

  private OtlpPost() {}
}
