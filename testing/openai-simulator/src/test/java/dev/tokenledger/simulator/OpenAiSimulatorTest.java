package dev.tokenledger.simulator;

import static dev.tokenledger.simulator.SimTestSupport.dataOf;
import static dev.tokenledger.simulator.SimTestSupport.exportFromChatUsage;
import static dev.tokenledger.simulator.SimTestSupport.exportFromResponsesUsage;
import static dev.tokenledger.simulator.SimTestSupport.fields;
import static dev.tokenledger.simulator.SimTestSupport.get;
import static dev.tokenledger.simulator.SimTestSupport.last;
import static dev.tokenledger.simulator.SimTestSupport.map;
import static dev.tokenledger.simulator.SimTestSupport.num;
import static dev.tokenledger.simulator.SimTestSupport.obj;
import static dev.tokenledger.simulator.SimTestSupport.postJson;
import static dev.tokenledger.simulator.SimTestSupport.postJsonTo;
import static dev.tokenledger.simulator.SimTestSupport.postMultipart;
import static dev.tokenledger.simulator.SimTestSupport.sseEvents;
import static dev.tokenledger.simulator.SimTestSupport.wav;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OpenAiSimulatorTest {

  static OpenAiSimulator sim;

  @BeforeAll
  static void startSimulator() {
    sim = OpenAiSimulator.start(0);
  }

  @AfterAll
  static void stopSimulator() {
    sim.close();
  }

  @BeforeEach
  void reset() {
    sim.reset();
  }

  /** Every record, whatever the test did, obeys the invariants of docs/token-vocabulary.md and names all 15 fields. */
  @AfterEach
  void invariantsHoldOnEveryRecord() {
    for (GroundTruth g : sim.groundTruth()) {
      assertEquals(ExportTokens.FIELDS, List.copyOf(g.tokens().keySet()));
      assertEquals("", ExportTokens.invariantViolations(g.tokens()), g.toString());
      if (!g.usageSource().equals("reported")) {
        assertTrue(g.tokens().values().stream().allMatch(v -> v == 0), "no usage, no tokens: " + g);
      }
      assertEquals(64, g.bodySha256().length());
      assertNotNull(g.requestId());
    }
  }

  private static String chatBody(String model, String extra) {
    return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}]"
        + extra + "}";
  }

  private static void assertBodyIsGroundTruth(HttpResponse<byte[]> r, GroundTruth g) {
    assertEquals(OpenAiSimulator.sha256Hex(r.body()), g.bodySha256());
    assertEquals(r.body().length, g.bodyLength());
    assertEquals(r.headers().firstValue("x-request-id").orElseThrow(), g.requestId());
    assertEquals(r.statusCode(), g.httpStatus());
  }

  // ------------------------------------------------------------------ chat

  @Test
  void chatUsageFollowsOpenAiArithmeticAndMatchesGroundTruth() throws Exception {
    String[] models = {"gpt-4o-mini", "gpt-5-mini", "gpt-4o-audio-preview", "o4-mini", "gpt-4.1"};
    Set<String> ids = new HashSet<>();
    boolean sawCached = false;
    boolean sawWrite = false;
    boolean sawAudio = false;
    boolean sawImage = false;
    for (int i = 0; i < 40; i++) {
      String model = models[i % models.length];
      String extra = i % 7 == 3
          ? ",\"x\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}}]" : "";
      HttpResponse<byte[]> r = postJson(sim, "/chat/completions", chatBody(model, extra + ",\"n\":" + i));
      assertEquals(200, r.statusCode());
      assertTrue(r.headers().firstValue("content-type").orElseThrow().startsWith("application/json"));
      Map<String, Object> body = obj(r.body());
      Map<String, Object> u = map(body.get("usage"));
      long prompt = num(u, "prompt_tokens");
      long completion = num(u, "completion_tokens");
      assertEquals(prompt + completion, num(u, "total_tokens"));
      long cached = num(u, "prompt_tokens_details", "cached_tokens");
      long write = num(u, "prompt_tokens_details", "cache_write_tokens");
      long audio = num(u, "prompt_tokens_details", "audio_tokens");
      long image = num(u, "prompt_tokens_details", "image_tokens");
      assertTrue(cached + write + audio + image <= prompt, "details are subsets of prompt_tokens");
      if (Json.path(u, "prompt_tokens_details", "text_tokens") != null) {
        assertEquals(prompt, num(u, "prompt_tokens_details", "text_tokens") + audio + image,
            "prompt_tokens = text + audio + image, cached included");
      }
      assertTrue(num(u, "completion_tokens_details", "reasoning_tokens")
          + num(u, "completion_tokens_details", "audio_tokens") <= completion);

      GroundTruth g = last(sim);
      assertBodyIsGroundTruth(r, g);
      assertEquals("chat.completions", g.api());
      assertEquals(body.get("id"), g.responseId());
      assertEquals(body.get("model"), g.model());
      assertEquals(model, g.requestModel());
      assertEquals("reported", g.usageSource());
      assertEquals(exportFromChatUsage(u), g.tokens());
      assertEquals(0, g.token("input_cached_audio_tokens"), "chat cached tokens are text");
      assertEquals("default", g.serviceTier());
      assertFalse(g.streamed());
      assertTrue(ids.add(g.requestId()), "x-request-id is unique");
      sawCached |= g.token("input_cached_text_tokens") > 0;
      sawWrite |= g.token("input_cache_write_tokens") > 0;
      sawAudio |= g.token("input_audio_tokens") > 0 && g.token("output_audio_tokens") > 0;
      sawImage |= g.token("input_image_tokens") > 0;
    }
    assertTrue(sawCached && sawWrite && sawAudio && sawImage, "the mix covers every chat bucket");
    GroundTruth mini = sim.groundTruth().get(0);
    assertEquals("gpt-4o-mini-2024-07-18", mini.model());
  }

  @Test
  void chatStreamWithIncludeUsageHasOneUsageChunkBeforeDone() throws Exception {
    HttpResponse<byte[]> r = postJson(sim, "/chat/completions",
        chatBody("gpt-4o-mini", ",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"service_tier\":\"fast\""));
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("content-type").orElseThrow().startsWith("text/event-stream"));
    List<String> events = sseEvents(r.body());
    assertEquals("data: [DONE]", events.get(events.size() - 1));
    Map<String, Object> usageChunk = null;
    String id = null;
    for (int i = 0; i < events.size() - 1; i++) {
      Map<String, Object> c = map(Json.parse(dataOf(events.get(i))));
      assertEquals("chat.completion.chunk", c.get("object"));
      assertTrue(c.containsKey("usage"), "with include_usage every chunk has a usage key");
      id = id == null ? (String) c.get("id") : id;
      assertEquals(id, c.get("id"));
      if (c.get("usage") != null) {
        assertNull(usageChunk, "usage appears once");
        assertEquals(events.size() - 2, i, "the usage chunk comes right before [DONE]");
        assertEquals(List.of(), c.get("choices"));
        usageChunk = c;
      }
    }
    assertNotNull(usageChunk);
    GroundTruth g = last(sim);
    assertBodyIsGroundTruth(r, g);
    assertTrue(g.streamed());
    assertEquals("priority", g.serviceTier(), "a request for fast is reported as priority");
    assertEquals(exportFromChatUsage(map(usageChunk.get("usage"))), g.tokens());
  }

  @Test
  void chatStreamWithoutIncludeUsageCarriesNoUsageAndIsRecordedMissing() throws Exception {
    HttpResponse<byte[]> r =
        postJson(sim, "/chat/completions", chatBody("gpt-4o-mini", ",\"stream\":true"));
    List<String> events = sseEvents(r.body());
    assertEquals("data: [DONE]", events.get(events.size() - 1));
    for (int i = 0; i < events.size() - 1; i++) {
      Map<String, Object> c = map(Json.parse(dataOf(events.get(i))));
      assertFalse(c.containsKey("usage"));
      assertFalse(((List<?>) c.get("choices")).isEmpty());
    }
    GroundTruth g = last(sim);
    assertBodyIsGroundTruth(r, g);
    assertEquals("missing", g.usageSource());
    assertTrue(g.streamed());
  }

  // ------------------------------------------------------------------ responses

  @Test
  void responsesJsonUsageMatchesGroundTruth() throws Exception {
    for (int i = 0; i < 20; i++) {
      HttpResponse<byte[]> r = postJson(sim, "/responses",
          "{\"model\":\"gpt-5-mini\",\"input\":\"Summarise the invoice " + i + "\"}");
      Map<String, Object> body = obj(r.body());
      assertEquals("completed", body.get("status"));
      Map<String, Object> u = map(body.get("usage"));
      assertEquals(num(u, "input_tokens") + num(u, "output_tokens"), num(u, "total_tokens"));
      assertTrue(num(u, "input_tokens_details", "cached_tokens")
          + num(u, "input_tokens_details", "cache_write_tokens") <= num(u, "input_tokens"));
      assertTrue(num(u, "output_tokens_details", "reasoning_tokens") <= num(u, "output_tokens"));
      GroundTruth g = last(sim);
      assertBodyIsGroundTruth(r, g);
      assertEquals("responses", g.api());
      assertEquals(body.get("id"), g.responseId());
      assertTrue(g.responseId().startsWith("resp_"));
      assertEquals("gpt-5-mini-2025-08-07", g.model());
      assertEquals(exportFromResponsesUsage(u), g.tokens());
      assertTrue(g.token("output_reasoning_tokens") > 0);
    }
  }

  @Test
  void responsesStreamEndsWithTerminalEventCarryingUsage() throws Exception {
    for (String[] c : new String[][] {
        {"gpt-5-mini", "response.completed"}, {"sim-incomplete", "response.incomplete"},
        {"sim-failed", "response.failed"}}) {
      HttpResponse<byte[]> r = postJson(sim, "/responses",
          "{\"model\":\"" + c[0] + "\",\"input\":\"hello\",\"stream\":true}");
      List<String> events = sseEvents(r.body());
      long seq = -1;
      Map<String, Object> terminal = null;
      for (String e : events) {
        String[] lines = e.split("\n");
        assertEquals(2, lines.length, "responses events are an event line and a data line");
        String type = lines[0].substring("event: ".length());
        Map<String, Object> data = map(Json.parse(dataOf(e)));
        assertEquals(type, data.get("type"));
        assertEquals(seq + 1, num(data, "sequence_number"));
        seq++;
        if (data.get("response") != null && Json.path(data, "response", "usage") != null) {
          assertNull(terminal, "usage only on the terminal event");
          terminal = data;
        }
      }
      assertEquals("response.created", map(Json.parse(dataOf(events.get(0)))).get("type"));
      assertNotNull(terminal);
      assertEquals(c[1], terminal.get("type"));
      assertTrue(events.get(events.size() - 1).startsWith("event: " + c[1]));
      if (c[0].equals("gpt-5-mini")) {
        assertTrue(new String(r.body(), StandardCharsets.UTF_8).contains("response.output_text.delta"));
      }
      GroundTruth g = last(sim);
      assertBodyIsGroundTruth(r, g);
      assertTrue(g.streamed());
      assertEquals("reported", g.usageSource());
      assertEquals(exportFromResponsesUsage(map(Json.path(terminal, "response", "usage"))), g.tokens());
    }
  }

  // ------------------------------------------------------------------ other APIs

  @Test
  void legacyCompletionsAndEmbeddings() throws Exception {
    HttpResponse<byte[]> r = postJson(sim, "/completions",
        "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"Once\"}");
    Map<String, Object> body = obj(r.body());
    assertEquals("text_completion", body.get("object"));
    Map<String, Object> u = map(body.get("usage"));
    GroundTruth g = last(sim);
    assertBodyIsGroundTruth(r, g);
    assertEquals("completions", g.api());
    assertEquals(fields(num(u, "prompt_tokens"), num(u, "completion_tokens"), 0, 0,
        num(u, "prompt_tokens"), num(u, "prompt_tokens"), 0, 0, 0, 0, 0, num(u, "completion_tokens"), 0, 0, 0),
        g.tokens());
    assertEquals(num(u, "prompt_tokens") + num(u, "completion_tokens"), num(u, "total_tokens"));

    r = postJson(sim, "/embeddings",
        "{\"model\":\"text-embedding-3-small\",\"input\":[\"first text\",\"second, longer text\"]}");
    body = obj(r.body());
    List<?> data = (List<?>) body.get("data");
    assertEquals(2, data.size());
    List<?> vec = (List<?>) map(data.get(0)).get("embedding");
    assertEquals(1536, vec.size());
    double norm = 0;
    for (Object x : vec) {
      norm += Math.pow(((Number) x).doubleValue(), 2);
    }
    assertEquals(1.0, norm, 1e-3, "unit-length vectors, like OpenAI's");
    u = map(body.get("usage"));
    assertEquals(num(u, "prompt_tokens"), num(u, "total_tokens"));
    g = last(sim);
    assertBodyIsGroundTruth(r, g);
    assertEquals("embeddings", g.api());
    assertEquals(num(u, "prompt_tokens"), g.token("input_tokens"));
    assertEquals(num(u, "prompt_tokens"), g.token("input_text_tokens"));
    assertEquals(0, g.token("output_tokens"));

    r = postJson(sim, "/embeddings",
        "{\"model\":\"text-embedding-3-large\",\"input\":\"x\",\"encoding_format\":\"base64\",\"dimensions\":256}");
    String b64 = (String) map(((List<?>) obj(r.body()).get("data")).get(0)).get("embedding");
    assertEquals(256 * 4, Base64.getDecoder().decode(b64).length);
  }

  @Test
  void transcriptionBilledInTokensOrSecondsByModel() throws Exception {
    byte[] audio = wav(3.2);
    HttpResponse<byte[]> r = postMultipart(sim, "/audio/transcriptions",
        Map.of("model", "gpt-4o-transcribe", "prompt", "Invoice call"), "file", "a.wav", audio);
    Map<String, Object> u = map(obj(r.body()).get("usage"));
    assertEquals("tokens", u.get("type"));
    assertEquals(num(u, "input_token_details", "text_tokens") + num(u, "input_token_details", "audio_tokens"),
        num(u, "input_tokens"));
    assertEquals(num(u, "input_tokens") + num(u, "output_tokens"), num(u, "total_tokens"));
    GroundTruth g = last(sim);
    assertBodyIsGroundTruth(r, g);
    assertEquals("audio.transcriptions", g.api());
    assertEquals(num(u, "input_token_details", "text_tokens"), g.token("input_text_tokens"));
    assertEquals(num(u, "input_token_details", "audio_tokens"), g.token("input_audio_tokens"));
    assertEquals(num(u, "output_tokens"), g.token("output_text_tokens"));
    assertTrue(g.token("input_audio_tokens") >= 32, "about ten tokens per second");

    r = postMultipart(sim, "/audio/transcriptions", Map.of("model", "whisper-1"), "file", "a.wav", audio);
    u = map(obj(r.body()).get("usage"));
    assertEquals("duration", u.get("type"));
    assertEquals(4.0, ((Number) u.get("seconds")).doubleValue());
    g = last(sim);
    assertBodyIsGroundTruth(r, g);
    assertEquals(4.0, g.audioSeconds());
    assertEquals("reported", g.usageSource());
    assertEquals(0, g.token("input_tokens"));

    r = postMultipart(sim, "/audio/transcriptions",
        Map.of("model", "whisper-1", "response_format", "text"), "file", "a.wav", audio);
    assertTrue(r.headers().firstValue("content-type").orElseThrow().startsWith("text/plain"));
    assertFalse(new String(r.body(), StandardCharsets.UTF_8).contains("\"usage\""));
    g = last(sim);
    assertBodyIsGroundTruth(r, g);
    assertEquals("missing", g.usageSource());

    r = postMultipart(sim, "/audio/transcriptions",
        Map.of("model", "gpt-4o-mini-transcribe", "stream", "true"), "file", "a.wav", audio);
    List<String> events = sseEvents(r.body());
    Map<String, Object> done = map(Json.parse(dataOf(events.get(events.size() - 1))));
    assertEquals("transcript.text.done", done.get("type"));
    g = last(sim);
    assertTrue(g.streamed());
    assertEquals(num(done, "usage", "input_tokens"), g.token("input_tokens"));

    r = postMultipart(sim, "/audio/translations", Map.of("model", "whisper-1"), "file", "a.wav", audio);
    assertFalse(obj(r.body()).containsKey("usage"));
    g = last(sim);
    assertBodyIsGroundTruth(r, g);
    assertEquals("audio.translations", g.api());
    assertEquals("missing", g.usageSource());
  }

  @Test
  void speechIsBinaryAndCountedByCharacters() throws Exception {
    HttpResponse<byte[]> r = postJson(sim, "/audio/speech",
        "{\"model\":\"gpt-4o-mini-tts\",\"voice\":\"alloy\",\"input\":\"Grüße, 世界!\"}");
    assertEquals("audio/mpeg", r.headers().firstValue("content-type").orElseThrow());
    assertTrue(r.headers().firstValue("transfer-encoding").orElse("").contains("chunked"));
    assertEquals((byte) 0xFF, r.body()[0]);
    GroundTruth g = last(sim);
    assertBodyIsGroundTruth(r, g);
    assertEquals("audio.speech", g.api());
    assertEquals("counted", g.usageSource());
    assertEquals(10, g.inputCharacters(), "code points, not UTF-16 units or bytes");

    r = postJson(sim, "/audio/speech",
        "{\"model\":\"gpt-4o-mini-tts\",\"voice\":\"alloy\",\"input\":\"Hello\",\"stream_format\":\"sse\"}");
    List<String> events = sseEvents(r.body());
    Map<String, Object> done = map(Json.parse(dataOf(events.get(events.size() - 1))));
    assertEquals("speech.audio.done", done.get("type"));
    g = last(sim);
    assertEquals("reported", g.usageSource());
    assertEquals(num(done, "usage", "input_tokens"), g.token("input_text_tokens"));
    assertEquals(num(done, "usage", "output_tokens"), g.token("output_audio_tokens"));
  }

  @Test
  void imagesCarryRealPngAndImageTokens() throws Exception {
    HttpResponse<byte[]> r = postJson(sim, "/images/generations",
        "{\"model\":\"gpt-image-1\",\"prompt\":\"A ledger on a desk\",\"quality\":\"low\",\"size\":\"1024x1024\"}");
    Map<String, Object> body = obj(r.body());
    String b64 = (String) map(((List<?>) body.get("data")).get(0)).get("b64_json");
    byte[] png = Base64.getDecoder().decode(b64);
    assertTrue(png.length > 2000, "a few KB");
    assertEquals('P', png[1]);
    Map<String, Object> u = map(body.get("usage"));
    assertEquals(num(u, "input_tokens_details", "text_tokens") + num(u, "input_tokens_details", "image_tokens"),
        num(u, "input_tokens"));
    assertEquals(num(u, "input_tokens") + num(u, "output_tokens"), num(u, "total_tokens"));
    assertEquals(272, num(u, "output_tokens"));
    GroundTruth g = last(sim);
    assertBodyIsGroundTruth(r, g);
    assertEquals("images.generations", g.api());
    assertEquals(272, g.token("output_image_tokens"));
    assertEquals(num(u, "input_tokens_details", "text_tokens"), g.token("input_text_tokens"));

    r = postMultipart(sim, "/images/edits", Map.of("model", "gpt-image-1", "prompt", "Add a cat"),
        "image", "in.png", png);
    u = map(obj(r.body()).get("usage"));
    g = last(sim);
    assertEquals("images.edits", g.api());
    assertTrue(g.token("input_image_tokens") > 0);
    assertEquals(num(u, "input_tokens_details", "image_tokens"), g.token("input_image_tokens"));
  }

  @Test
  void moderationsHaveNoUsage() throws Exception {
    HttpResponse<byte[]> r = postJson(sim, "/moderations",
        "{\"model\":\"omni-moderation-latest\",\"input\":[\"a\",\"b\"]}");
    Map<String, Object> body = obj(r.body());
    assertFalse(body.containsKey("usage"));
    assertEquals(2, ((List<?>) body.get("results")).size());
    GroundTruth g = last(sim);
    assertBodyIsGroundTruth(r, g);
    assertEquals("moderations", g.api());
    assertEquals("reported", g.usageSource());
    assertEquals(body.get("id"), g.responseId());
    assertEquals("omni-moderation-2024-09-26", g.model());
  }

  @Test
  void batchOutputFileYieldsOneRecordPerLine() throws Exception {
    HttpResponse<byte[]> r = get(sim.baseUrl() + "/files/file-abc123/content");
    assertEquals(200, r.statusCode());
    String[] lines = new String(r.body(), StandardCharsets.UTF_8).split("\n");
    List<GroundTruth> all = sim.groundTruth();
    assertEquals(lines.length, all.size());
    for (int i = 0; i < lines.length; i++) {
      Map<String, Object> line = map(Json.parse(lines[i]));
      GroundTruth g = all.get(i);
      assertEquals("batch.output", g.api());
      assertTrue(g.batch());
      assertEquals(Json.path(line, "response", "request_id"), g.requestId());
      assertEquals(Json.path(line, "response", "body", "id"), g.responseId());
      assertEquals(exportFromChatUsage(map(Json.path(line, "response", "body", "usage"))), g.tokens());
      assertEquals(OpenAiSimulator.sha256Hex(r.body()), g.bodySha256());
    }
  }

  // ------------------------------------------------------------------ transport details

  @Test
  void gzipOnlyWhenAskedTwiceAndShaIsOfTheUncompressedBody() throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/chat/completions"))
        .header("Authorization", "Bearer k").header("Accept-Encoding", "gzip").header("X-Sim-Gzip", "1")
        .POST(HttpRequest.BodyPublishers.ofString(chatBody("gpt-4o-mini", ""))).build();
    HttpResponse<byte[]> r = SimTestSupport.HTTP.send(req, HttpResponse.BodyHandlers.ofByteArray());
    assertEquals("gzip", r.headers().firstValue("content-encoding").orElseThrow());
    byte[] plain;
    try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(r.body()))) {
      plain = in.readAllBytes();
    }
    GroundTruth g = last(sim);
    assertEquals(OpenAiSimulator.sha256Hex(plain), g.bodySha256());
    assertEquals(plain.length, g.bodyLength());
    assertEquals(exportFromChatUsage(map(obj(plain).get("usage"))), g.tokens());

    HttpResponse<byte[]> stream = postJson(sim, "/chat/completions",
        chatBody("gpt-4o-mini", ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"),
        "Accept-Encoding", "gzip", "X-Sim-Gzip", "1");
    try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(stream.body()))) {
      assertEquals(last(sim).bodySha256(), OpenAiSimulator.sha256Hex(in.readAllBytes()));
    }

    r = postJson(sim, "/chat/completions", chatBody("gpt-4o-mini", ""), "Accept-Encoding", "gzip");
    assertTrue(r.headers().firstValue("content-encoding").isEmpty(), "X-Sim-Gzip is required too");
  }

  @Test
  void headersLookLikeOpenAisAndProjectIsEchoed() throws Exception {
    HttpResponse<byte[]> r = postJson(sim, "/chat/completions", chatBody("gpt-4o-mini", ""),
        "OpenAI-Project", "proj_demo");
    assertTrue(r.headers().firstValue("x-request-id").orElseThrow().matches("req_[0-9a-f]{32}"));
    assertEquals("proj_demo", r.headers().firstValue("openai-project").orElseThrow());
    assertTrue(r.headers().firstValue("openai-organization").isPresent());
    assertTrue(r.headers().firstValue("openai-processing-ms").orElseThrow().matches("\\d+"));
    assertEquals("2020-10-01", r.headers().firstValue("openai-version").orElseThrow());
    assertEquals("proj_demo", last(sim).project());

    r = postJson(sim, "/chat/completions", chatBody("gpt-4o-mini", ""));
    assertTrue(r.headers().firstValue("openai-project").isEmpty());
    assertNull(last(sim).project());
  }

  @Test
  void azureDeploymentUrls() throws Exception {
    String url = "http://127.0.0.1:" + sim.port()
        + "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21";
    HttpResponse<byte[]> r = postJsonTo(url,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
        "api-key", "azure-key");
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("apim-request-id").isPresent());
    assertTrue(r.headers().firstValue("openai-organization").isEmpty());
    List<String> events = sseEvents(r.body());
    Map<String, Object> first = map(Json.parse(dataOf(events.get(0))));
    assertEquals("", first.get("id"), "Azure's annotation chunk comes first");
    assertEquals(List.of(), first.get("choices"));
    GroundTruth g = last(sim);
    assertBodyIsGroundTruth(r, g);
    assertEquals("gpt-4o-mini", g.requestModel());
    assertEquals("gpt-4o-mini-2024-07-18", g.model());
    assertEquals("reported", g.usageSource());
  }

  @Test
  void localhostReachesTheSimulatorAndIsRecordedAsTheHost() throws Exception {
    HttpResponse<byte[]> r = postJsonTo("http://localhost:" + sim.port() + "/v1/chat/completions",
        chatBody("gpt-4o-mini", ""));
    assertEquals(200, r.statusCode());
    assertEquals("localhost", last(sim).host());
    postJson(sim, "/chat/completions", chatBody("gpt-4o-mini", ""));
    assertEquals("127.0.0.1", last(sim).host());
  }

  @Test
  void usageIsDeterministicForTheSameTraffic() throws Exception {
    String body = chatBody("gpt-5-mini", "");
    postJson(sim, "/chat/completions", body);
    postJson(sim, "/chat/completions", body);
    List<GroundTruth> first = sim.groundTruth();
    sim.reset();
    postJson(sim, "/chat/completions", body);
    postJson(sim, "/chat/completions", body);
    List<GroundTruth> second = sim.groundTruth();
    assertEquals(first.get(0).tokens(), second.get(0).tokens());
    assertEquals(first.get(1).tokens(), second.get(1).tokens());
    assertNotEquals(first.get(0).tokens(), first.get(1).tokens(), "the counter varies usage");
    assertNotEquals(first.get(0).responseId(), second.get(0).responseId(), "ids never repeat");
  }

  @Test
  void groundTruthIsServedAsJsonLines() throws Exception {
    postJson(sim, "/chat/completions", chatBody("gpt-4o-mini", ""), "OpenAI-Project", "proj_x");
    postJson(sim, "/embeddings", "{\"model\":\"text-embedding-3-small\",\"input\":\"x\"}");
    HttpResponse<byte[]> r = get("http://127.0.0.1:" + sim.port() + "/__simulator/ground-truth");
    List<GroundTruth> parsed = GroundTruth.parseJsonLines(new String(r.body(), StandardCharsets.UTF_8));
    assertEquals(sim.groundTruth(), parsed);
    assertEquals(2, parsed.size(), "control requests are not recorded");
  }

  @Test
  void missingKeyIs401() throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/chat/completions"))
        .POST(HttpRequest.BodyPublishers.ofString(chatBody("gpt-4o-mini", ""))).build();
    HttpResponse<byte[]> r = SimTestSupport.HTTP.send(req, HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(401, r.statusCode());
    assertEquals("none", last(sim).usageSource());
  }

  // ------------------------------------------------------------------ faults

  @Test
  void malformedAndBinaryBodiesAreRecordedMissing() throws Exception {
    HttpResponse<byte[]> r = postJson(sim, "/chat/completions", chatBody("sim-malformed", ""));
    assertEquals(200, r.statusCode());
    assertThrows(IllegalArgumentException.class, () -> obj(r.body()));
    assertFalse(new String(r.body(), StandardCharsets.UTF_8).contains("\"usage\""));
    GroundTruth g = last(sim);
    assertBodyIsGroundTruth(r, g);
    assertEquals("missing", g.usageSource());

    HttpResponse<byte[]> b = postJson(sim, "/chat/completions", chatBody("sim-binary", ""));
    assertEquals("application/json", b.headers().firstValue("content-type").orElseThrow());
    assertThrows(RuntimeException.class, () -> obj(b.body()));
    g = last(sim);
    assertBodyIsGroundTruth(b, g);
    assertEquals("missing", g.usageSource());
  }

  @Test
  void truncatedBodyFailsTheClient() {
    IOException e = assertThrows(IOException.class,
        () -> postJson(sim, "/chat/completions", chatBody("sim-truncated", "")));
    assertNotNull(e);
    GroundTruth g = last(sim);
    assertEquals("missing", g.usageSource());
    assertEquals(200, g.httpStatus());
    assertTrue(g.bodyLength() > 100);
  }

  @Test
  void cutStreamDropsTheConnectionBeforeUsage() throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/chat/completions"))
        .header("Authorization", "Bearer k")
        .POST(HttpRequest.BodyPublishers.ofString(chatBody("sim-cut-stream",
            ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"))).build();
    HttpResponse<InputStream> r = SimTestSupport.HTTP.send(req, HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, r.statusCode());
    java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
    IOException e = assertThrows(IOException.class, () -> {
      try (InputStream in = r.body()) {
        byte[] buf = new byte[512];
        for (int n; (n = in.read(buf)) >= 0; ) {
          got.write(buf, 0, n);
        }
      }
    });
    assertNotNull(e);
    String s = got.toString(StandardCharsets.UTF_8);
    assertFalse(s.contains("[DONE]"));
    assertFalse(s.contains("\"usage\":{"));
    GroundTruth g = last(sim);
    assertEquals("missing", g.usageSource());
    assertTrue(g.streamed());
    // The ground truth describes the bytes that left the simulator; a client that hits the dropped
    // connection may discard its last buffered piece, so it can only have seen a prefix of them.
    assertTrue(got.size() <= g.bodyLength(), got.size() + " > " + g.bodyLength());
    assertTrue(g.bodyLength() > 0);
  }

  @Test
  void hugeResponseHasUsageAtTheVeryEnd() throws Exception {
    HttpResponse<byte[]> r = postJson(sim, "/chat/completions", chatBody("sim-huge", ""));
    assertTrue(r.body().length > 50_000_000);
    String tail = new String(r.body(), r.body().length - 600, 600, StandardCharsets.UTF_8);
    int at = tail.lastIndexOf("\"usage\":");
    assertTrue(at > 0);
    Map<String, Object> u = map(Json.parse(tail.substring(at + 8, tail.length() - 1)));
    GroundTruth g = last(sim);
    assertBodyIsGroundTruth(r, g);
    assertEquals("reported", g.usageSource());
    assertEquals(exportFromChatUsage(u), g.tokens());
  }

  @Test
  void unknownFieldsEverywhereButTheRealUsageIsTopLevel() throws Exception {
    HttpResponse<byte[]> r = postJson(sim, "/chat/completions", chatBody("sim-unknown-fields", ""));
    Map<String, Object> body = obj(r.body());
    Map<String, Object> choice = map(((List<?>) body.get("choices")).get(0));
    Map<String, Object> decoy = map(choice.get("usage"));
    Map<String, Object> real = map(body.get("usage"));
    assertNotEquals(num(decoy, "prompt_tokens"), num(real, "prompt_tokens"));
    assertTrue(body.keySet().stream().anyMatch(k -> k.startsWith("x_sim_unknown")));
    assertTrue(real.keySet().stream().anyMatch(k -> k.startsWith("x_sim_unknown")));
    GroundTruth g = last(sim);
    assertBodyIsGroundTruth(r, g);
    assertEquals(exportFromChatUsage(real), g.tokens());
  }

  @Test
  void errorsAreRecordedWithoutUsage() throws Exception {
    HttpResponse<byte[]> r = postJson(sim, "/chat/completions", chatBody("sim-error-429", ""));
    assertEquals(429, r.statusCode());
    assertEquals("rate_limit_exceeded", Json.path(obj(r.body()), "error", "code"));
    GroundTruth g = last(sim);
    assertBodyIsGroundTruth(r, g);
    assertEquals("none", g.usageSource());

    r = postJson(sim, "/responses", "{\"model\":\"sim-error-500\",\"input\":\"x\"}");
    assertEquals(500, r.statusCode());
    assertEquals("server_error", Json.path(obj(r.body()), "error", "type"));
    g = last(sim);
    assertEquals("responses", g.api());
    assertEquals("none", g.usageSource());
  }

  @Test
  void slowStreamSpacesChunks() throws Exception {
    long t0 = System.nanoTime();
    HttpResponse<byte[]> r = postJson(sim, "/chat/completions",
        chatBody("sim-slow-stream", ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    int events = sseEvents(r.body()).size();
    assertTrue(ms >= 50L * (events - 1) - 20, "took " + ms + " ms for " + events + " events");
    assertEquals("reported", last(sim).usageSource());
  }

  @Test
  void groundTruthRoundTripsThroughJson() {
    Map<String, Long> t = new LinkedHashMap<>(ExportTokens.ZERO.toMap());
    GroundTruth g = new GroundTruth("id", "req", "chat.completions", "m", "m", 200, "reported", t,
        1.5, 3, null, false, true, "proj", "ab".repeat(32), 10, java.time.Instant.EPOCH, "127.0.0.1");
    assertEquals(g, GroundTruth.fromJson(g.toJson()));
  }

  @Test
  void dailyExportSumsGroundTruthLikeOpenAisCompletionsExport() throws Exception {
    postJson(sim, "/chat/completions", chatBody("gpt-4o-mini", ""), "OpenAI-Project", "proj_a");
    postJson(sim, "/chat/completions", chatBody("gpt-4o-mini", ""), "OpenAI-Project", "proj_a");
    postJson(sim, "/chat/completions", chatBody("gpt-4o-mini", ",\"stream\":true"), "OpenAI-Project", "proj_a");
    postJson(sim, "/chat/completions", chatBody("sim-error-429", ""), "OpenAI-Project", "proj_a");
    postJson(sim, "/embeddings", "{\"model\":\"text-embedding-3-small\",\"input\":\"x\"}");
    get(sim.baseUrl() + "/files/file-1/content");
    List<GroundTruth> truth = sim.groundTruth();
    List<UsageExport.Row> rows = UsageExport.completionsDaily(truth);
    UsageExport.Row chat = rows.stream().filter(r -> "proj_a".equals(r.projectId())).findFirst().orElseThrow();
    assertEquals(3, chat.numModelRequests(), "errors are not model requests; missing usage still is");
    long input = truth.stream().filter(g -> "proj_a".equals(g.project())).mapToLong(g -> g.token("input_tokens")).sum();
    assertEquals(input, chat.tokens().get("input_tokens"));
    assertTrue(rows.stream().anyMatch(UsageExport.Row::batch));
    assertTrue(rows.stream().noneMatch(r -> r.model().startsWith("text-embedding")));
    assertEquals("", ExportTokens.invariantViolations(chat.tokens()));

    String csv = new String(get("http://127.0.0.1:" + sim.port() + "/__simulator/export/completions.csv").body(),
        StandardCharsets.UTF_8);
    String[] lines = csv.split("\n");
    assertEquals(String.join(",", UsageExport.CSV_COLUMNS), lines[0]);
    assertEquals(rows.size() + 1, lines.length);
  }
}
