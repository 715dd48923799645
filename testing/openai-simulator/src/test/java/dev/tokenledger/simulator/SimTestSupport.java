package dev.tokenledger.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Shared client code for the simulator tests: plain java.net.http, bodies as raw bytes. */
final class SimTestSupport {

  private SimTestSupport() {}

  static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  static HttpResponse<byte[]> postJson(OpenAiSimulator sim, String route, String json, String... headers)
      throws IOException, InterruptedException {
    return postJsonTo(sim.baseUrl() + route, json, headers);
  }

  static HttpResponse<byte[]> postJsonTo(String url, String json, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer sk-test-not-a-key")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json));
    for (int i = 0; i < headers.length; i += 2) {
      b.setHeader(headers[i], headers[i + 1]);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static HttpResponse<byte[]> postMultipart(OpenAiSimulator sim, String route, Map<String, String> fields,
      String fileField, String fileName, byte[] file) throws IOException, InterruptedException {
    String boundary = "----simtest" + System.nanoTime();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Map.Entry<String, String> f : fields.entrySet()) {
      out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.getKey()
          + "\"\r\n\r\n" + f.getValue() + "\r\n").getBytes(StandardCharsets.UTF_8));
    }
    if (file != null) {
      out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + fileField
          + "\"; filename=\"" + fileName + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
          .getBytes(StandardCharsets.UTF_8));
      out.writeBytes(file);
      out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
    }
    out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    HttpRequest req = HttpRequest.newBuilder(URI.create(sim.baseUrl() + route))
        .header("Authorization", "Bearer sk-test-not-a-key")
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(out.toByteArray()))
        .build();
    return HTTP.send(req, HttpResponse.BodyHandlers.ofByteArray());
  }

  static HttpResponse<byte[]> get(String url) throws IOException, InterruptedException {
    HttpRequest req = HttpRequest.newBuilder(URI.create(url))
        .header("Authorization", "Bearer sk-test-not-a-key").GET().build();
    return HTTP.send(req, HttpResponse.BodyHandlers.ofByteArray());
  }

  /** A WAV file of silence: 16 kHz, 16-bit mono. */
  static byte[] wav(double seconds) {
    int rate = 16000;
    int dataLen = (int) (seconds * rate) * 2;
    byte[] b = new byte[44 + dataLen];
    java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    bb.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + dataLen)
        .put("WAVE".getBytes(StandardCharsets.US_ASCII))
        .put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1)
        .putShort((short) 1).putInt(rate).putInt(rate * 2).putShort((short) 2).putShort((short) 16)
        .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(dataLen);
    return b;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> obj(byte[] body) {
    return (Map<String, Object>) Json.parse(new String(body, StandardCharsets.UTF_8));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    return (Map<String, Object>) o;
  }

  static long num(Object map, String... path) {
    Object v = Json.path(map, path);
    return v == null ? 0 : ((Number) v).longValue();
  }

  static GroundTruth last(OpenAiSimulator sim) {
    List<GroundTruth> all = sim.groundTruth();
    assertTrue(!all.isEmpty(), "no ground truth recorded");
    return all.get(all.size() - 1);
  }

  /** The SSE events of a body: each event's lines, split exactly as the wire has them. */
  static List<String> sseEvents(byte[] body) {
    String s = new String(body, StandardCharsets.UTF_8);
    assertTrue(s.endsWith("\n\n"), "an SSE body ends with a blank line");
    List<String> events = List.of(s.substring(0, s.length() - 2).split("\n\n", -1));
    for (String e : events) {
      for (String line : e.split("\n")) {
        assertTrue(line.startsWith("data: ") || line.startsWith("event: "), "SSE field line: " + line);
      }
    }
    return events;
  }

  static String dataOf(String event) {
    for (String line : event.split("\n")) {
      if (line.startsWith("data: ")) {
        return line.substring(6);
      }
    }
    throw new AssertionError("no data line in " + event);
  }

  /**
   * Maps a Chat Completions usage object to export fields the way docs/token-vocabulary.md#mapping-table describes, as
   * an independent check that the ground truth is knowable from the wire.
   */
  static Map<String, Long> exportFromChatUsage(Map<String, Object> u) {
    long input = num(u, "prompt_tokens");
    long cached = num(u, "prompt_tokens_details", "cached_tokens");
    long write = num(u, "prompt_tokens_details", "cache_write_tokens");
    long audio = num(u, "prompt_tokens_details", "audio_tokens");
    long image = num(u, "prompt_tokens_details", "image_tokens");
    long uncached = input - cached - write;
    long text = uncached - audio - image;
    Object textTokens = Json.path(u, "prompt_tokens_details", "text_tokens");
    if (textTokens != null) {
      assertEquals(((Number) textTokens).longValue() - cached - write, text,
          "text_tokens counts every text input token");
    }
    long output = num(u, "completion_tokens");
    long outAudio = num(u, "completion_tokens_details", "audio_tokens");
    return fields(input, output, cached, write, uncached, text, audio, image, cached, 0, 0,
        output - outAudio, outAudio, 0, num(u, "completion_tokens_details", "reasoning_tokens"));
  }

  static Map<String, Long> exportFromResponsesUsage(Map<String, Object> u) {
    long input = num(u, "input_tokens");
    long cached = num(u, "input_tokens_details", "cached_tokens");
    long write = num(u, "input_tokens_details", "cache_write_tokens");
    long output = num(u, "output_tokens");
    return fields(input, output, cached, write, input - cached - write, input - cached - write, 0, 0,
        cached, 0, 0, output, 0, 0, num(u, "output_tokens_details", "reasoning_tokens"));
  }

  static Map<String, Long> fields(long... v) {
    Map<String, Long> m = new LinkedHashMap<>();
    for (int i = 0; i < ExportTokens.FIELDS.size(); i++) {
      m.put(ExportTokens.FIELDS.get(i), v[i]);
    }
    return m;
  }
}
