package dev.tokenledger.simulator;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/** One parsed API request, with the random sources its response is generated from. */
final class SimRequest {

  final String method;
  /** API path below the prefix: {@code /chat/completions}, {@code /files/file-1/content}, … */
  final String route;
  final Map<String, List<String>> headers;
  final byte[] body;
  /** The JSON body as a map, or null when the body is not a JSON object. */
  final Map<String, Object> json;
  /** The multipart form, or null. */
  final Multipart form;
  /** Deployment from an Azure {@code /openai/deployments/{deployment}/…} URL, else null. */
  final String deployment;
  final boolean azure;
  final String host;
  /**
   * Seeded from the request body and the simulator's request counter: token numbers and generated
   * text are reproducible for the same traffic.
   */
  final SplittableRandom usageRng;

  final SplittableRandom textRng;
  /** Seeded from a per-instance salt so ids never repeat across simulator instances. */
  final SplittableRandom idRng;

  /** Set by fault scenarios that need a stream whatever the request asked for. */
  boolean forceStream;

  SimRequest(
      String method,
      String route,
      Map<String, List<String>> headers,
      byte[] body,
      Map<String, Object> json,
      Multipart form,
      String deployment,
      boolean azure,
      String host,
      long usageSeed,
      long idSeed) {
    this.method = method;
    this.route = route;
    this.headers = headers;
    this.body = body;
    this.json = json;
    this.form = form;
    this.deployment = deployment;
    this.azure = azure;
    this.host = host;
    SplittableRandom seed = new SplittableRandom(usageSeed);
    this.usageRng = seed.split();
    this.textRng = seed.split();
    this.idRng = new SplittableRandom(idSeed);
  }

  /** First value of a header, matched case-insensitively; null when absent. */
  String header(String name) {
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      if (e.getKey() != null && e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
        return e.getValue().get(0);
      }
    }
    return null;
  }

  boolean acceptsGzip() {
    String ae = header("Accept-Encoding");
    return ae != null && ae.toLowerCase(Locale.ROOT).contains("gzip");
  }

  String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /** The model the client asked for: body, then form field, then Azure deployment. */
  String model() {
    if (json != null && json.get("model") instanceof String s) {
      return s;
    }
    if (form != null && form.field("model") != null) {
      return form.field("model");
    }
    return deployment;
  }

  String project() {
    return header("OpenAI-Project");
  }
}
