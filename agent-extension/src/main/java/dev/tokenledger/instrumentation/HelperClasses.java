package dev.tokenledger.instrumentation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The classes the agent injects beside each instrumented library (into its class loader, or the
 * bootstrap loader for the JDK's client). Upstream generates this list at build time with its
 * Gradle muzzle plugin; this Maven build keeps it by hand, and {@code HelperClassesTest} fails the
 * build when it misses a compiled class or lists a subtype before its supertype (classes are
 * defined in this order).
 */
public final class HelperClasses {

  /** The usage parser and the transport-neutral call/telemetry code every transport uses. */
  static final List<String> COMMON =
      Collections.unmodifiableList(
          Arrays.asList(
              // dev.tokenledger.usage: pure parsing, no agent types
              "dev.tokenledger.usage.ByteSink",
              "dev.tokenledger.usage.UsageField",
              "dev.tokenledger.usage.TokenUsage$1",
              "dev.tokenledger.usage.TokenUsage$Builder",
              "dev.tokenledger.usage.TokenUsage",
              "dev.tokenledger.usage.JsonException",
              "dev.tokenledger.usage.JsonObject",
              "dev.tokenledger.usage.Json",
              "dev.tokenledger.usage.JsonStreamScanner$Handler",
              "dev.tokenledger.usage.JsonStreamScanner",
              "dev.tokenledger.usage.DocCapture$Fields",
              "dev.tokenledger.usage.DocCapture",
              "dev.tokenledger.usage.UsageParser$Counts",
              "dev.tokenledger.usage.UsageParser",
              "dev.tokenledger.usage.OpenAiEndpoint",
              "dev.tokenledger.usage.HostMatcher",
              "dev.tokenledger.usage.ApiKeyFingerprint",
              "dev.tokenledger.usage.RateLimitedLog$Clock",
              "dev.tokenledger.usage.RateLimitedLog$Category",
              "dev.tokenledger.usage.RateLimitedLog",
              "dev.tokenledger.usage.RequestInfo$1",
              "dev.tokenledger.usage.RequestInfo$Fields",
              "dev.tokenledger.usage.RequestInfo$MultipartScanner",
              "dev.tokenledger.usage.RequestInfo$RequestHandler",
              "dev.tokenledger.usage.RequestInfo$Scanner",
              "dev.tokenledger.usage.RequestInfo",
              "dev.tokenledger.usage.ResponseUsage$Builder",
              "dev.tokenledger.usage.ResponseUsage",
              "dev.tokenledger.usage.ContentDecoder$Sink",
              "dev.tokenledger.usage.ContentDecoder",
              "dev.tokenledger.usage.ContentDecoder$Identity",
              "dev.tokenledger.usage.ContentDecoder$Inflating",
              "dev.tokenledger.usage.SseParser$Listener",
              "dev.tokenledger.usage.SseParser",
              "dev.tokenledger.usage.ResponseBodyCollector$RecordSink",
              "dev.tokenledger.usage.ResponseBodyCollector$1",
              "dev.tokenledger.usage.ResponseBodyCollector$JsonLines",
              "dev.tokenledger.usage.ResponseBodyCollector$StreamState",
              "dev.tokenledger.usage.ResponseBodyCollector",
              // dev.tokenledger.realtime: Realtime events and per-connection state, no agent types
              "dev.tokenledger.realtime.RealtimeEndpoint",
              "dev.tokenledger.realtime.RealtimeEventTypes",
              "dev.tokenledger.realtime.RealtimeEvent",
              "dev.tokenledger.realtime.RealtimeEventCapture",
              "dev.tokenledger.realtime.RealtimeMessageReader$Listener",
              "dev.tokenledger.realtime.RealtimeMessageReader$Scan",
              "dev.tokenledger.realtime.RealtimeMessageReader",
              "dev.tokenledger.realtime.RealtimeConnectionState$Sink",
              "dev.tokenledger.realtime.RealtimeConnectionState",
              // dev.tokenledger.agent: one OpenAI call and its telemetry
              "dev.tokenledger.agent.Headers",
              "dev.tokenledger.agent.HandshakeHeaders",
              "dev.tokenledger.agent.ByteSinkOutputStream",
              "dev.tokenledger.agent.TokenLedgerConfig",
              "dev.tokenledger.agent.TokenLedgerConfig$UseCaseRule",
              "dev.tokenledger.agent.TokenLedgerAttributes",
              "dev.tokenledger.agent.TokenLedgerTelemetry",
              "dev.tokenledger.agent.Attribution",
              "dev.tokenledger.agent.OpenAiCall",
              "dev.tokenledger.agent.TokenSeries",
              "dev.tokenledger.agent.UsageEmitter",
              "dev.tokenledger.agent.RealtimeConnection",
              "dev.tokenledger.agent.TeeInputStream"));

  public static final String OKHTTP = "okhttp";
  public static final String JAVA_HTTP_CLIENT = "java-http-client";
  public static final String APACHE_HTTPCLIENT = "apache-httpclient";
  public static final String OKHTTP_WEBSOCKET = "okhttp-websocket";
  public static final String JAKARTA_WEBSOCKET = "jakarta-websocket";

  static final List<String> OKHTTP_HELPERS =
      Arrays.asList(
          "dev.tokenledger.instrumentation.okhttp.v3_0.OkHttpHeaders",
          "dev.tokenledger.instrumentation.okhttp.v3_0.FormFields",
          "dev.tokenledger.instrumentation.okhttp.v3_0.TeeRequestBody$ScanningSink",
          "dev.tokenledger.instrumentation.okhttp.v3_0.TeeRequestBody",
          "dev.tokenledger.instrumentation.okhttp.v3_0.TokenLedgerInterceptor$Started",
          "dev.tokenledger.instrumentation.okhttp.v3_0.TeeSource",
          "dev.tokenledger.instrumentation.okhttp.v3_0.TeeResponseBody",
          "dev.tokenledger.instrumentation.okhttp.v3_0.TokenLedgerInterceptor");

  static final List<String> JAVA_HTTP_CLIENT_HELPERS =
      Arrays.asList(
          "dev.tokenledger.instrumentation.javahttpclient.JavaHttpHeaders",
          "dev.tokenledger.instrumentation.javahttpclient.RequestBodies",
          "dev.tokenledger.instrumentation.javahttpclient.RequestBodies$Copy",
          "dev.tokenledger.instrumentation.javahttpclient.RequestBodies$Collector",
          "dev.tokenledger.instrumentation.javahttpclient.TeeBodySubscriber",
          "dev.tokenledger.instrumentation.javahttpclient.TeeBodySubscriber$EndOnCancel",
          "dev.tokenledger.instrumentation.javahttpclient.TeeBodyHandler",
          "dev.tokenledger.instrumentation.javahttpclient.JavaHttpClientCalls",
          "dev.tokenledger.instrumentation.javahttpclient.JavaHttpClientCalls$EndOnFailure",
          "dev.tokenledger.instrumentation.javahttpclient.JavaWebSockets$EndOnFailure",
          "dev.tokenledger.instrumentation.javahttpclient.JavaWebSockets",
          "dev.tokenledger.instrumentation.javahttpclient.TokenLedgerWebSocketListener");

  /** OkHttp's WebSocket; also needs {@code OkHttpHeaders} of {@link #OKHTTP_HELPERS}. */
  static final List<String> OKHTTP_WEBSOCKET_HELPERS =
      Arrays.asList(
          "dev.tokenledger.instrumentation.okhttp.v3_0.TokenLedgerWebSocketListener",
          "dev.tokenledger.instrumentation.okhttp.v3_0.OkHttpWebSockets");

  static final List<String> JAKARTA_WEBSOCKET_HELPERS =
      Arrays.asList(
          "dev.tokenledger.instrumentation.jakartawebsocket.TextHandler",
          "dev.tokenledger.instrumentation.jakartawebsocket.WholeTextHandler",
          "dev.tokenledger.instrumentation.jakartawebsocket.PartialTextHandler",
          "dev.tokenledger.instrumentation.jakartawebsocket.JakartaWebSockets$Registration",
          "dev.tokenledger.instrumentation.jakartawebsocket.JakartaWebSockets$Handshake",
          "dev.tokenledger.instrumentation.jakartawebsocket.JakartaWebSockets");

  static final List<String> APACHE_HTTPCLIENT_HELPERS =
      Arrays.asList(
          "dev.tokenledger.instrumentation.apachehttpclient.v5_0.ApacheHeaders",
          "dev.tokenledger.instrumentation.apachehttpclient.v5_0.ScanningRequestEntity",
          "dev.tokenledger.instrumentation.apachehttpclient.v5_0.TeeEntity",
          "dev.tokenledger.instrumentation.apachehttpclient.v5_0.ApacheHttpClientCalls$Started",
          "dev.tokenledger.instrumentation.apachehttpclient.v5_0.ApacheHttpClientCalls");

  /** Everything one transport's module injects: the common classes first, then its own. */
  public static List<String> forTransport(String transport) {
    List<String> helpers = new ArrayList<String>(COMMON);
    if (OKHTTP.equals(transport)) {
      helpers.addAll(OKHTTP_HELPERS);
    } else if (JAVA_HTTP_CLIENT.equals(transport)) {
      helpers.addAll(JAVA_HTTP_CLIENT_HELPERS);
    } else if (APACHE_HTTPCLIENT.equals(transport)) {
      helpers.addAll(APACHE_HTTPCLIENT_HELPERS);
    } else if (OKHTTP_WEBSOCKET.equals(transport)) {
      helpers.add("dev.tokenledger.instrumentation.okhttp.v3_0.OkHttpHeaders");
      helpers.addAll(OKHTTP_WEBSOCKET_HELPERS);
    } else if (JAKARTA_WEBSOCKET.equals(transport)) {
      helpers.addAll(JAKARTA_WEBSOCKET_HELPERS);
    } else {
      throw new IllegalArgumentException("unknown transport " + transport);
    }
    return helpers;
  }

  private HelperClasses() {}
}
