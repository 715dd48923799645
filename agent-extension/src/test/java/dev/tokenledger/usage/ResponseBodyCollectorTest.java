package dev.tokenledger.usage;

import static dev.tokenledger.usage.Fixtures.assertTokens;
import static dev.tokenledger.usage.Fixtures.leaves;
import static dev.tokenledger.usage.Fixtures.signature;
import static dev.tokenledger.usage.Fixtures.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ResponseBodyCollectorTest {

  private static final String JSON = "application/json";
  private static final String SSE = "text/event-stream; charset=utf-8";
  private static final String CHAT_STREAM_REQUEST =
      "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"model\":\"gpt-4o\",\"stream\":true,"
          + "\"stream_options\":{\"include_usage\":true}}";

  /** One fixture, how it is requested and served, and what it must produce. */
  record Case(
      String fixture, String api, String request, String contentType, Consumer<List<ResponseUsage>> check) {

    RequestInfo requestInfo() {
      if (request == null) {
        return RequestInfo.unknown();
      }
      byte[] body = request.getBytes(StandardCharsets.UTF_8);
      return RequestInfo.parse(endpoint(), body, body.length, JSON);
    }

    OpenAiEndpoint endpoint() {
      return OpenAiEndpoint.of(OpenAiApi.named(api));
    }

    ResponseBodyCollector collector(String encoding) {
      return ResponseBodyCollector.create(endpoint(), requestInfo(), 200, contentType, encoding);
    }

    @Override
    public String toString() {
      return fixture;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("chat-plain.json", "chat.completions", "{\"model\":\"gpt-4o-mini\",\"messages\":[]}", JSON, list -> {
          ResponseUsage r = reported(list);
          assertTokens(text(24, 0, 0, 8, 0), r.usage());
          assertEquals("chatcmpl-CJv1Q8zfT2kLm9", r.responseId());
          assertEquals("gpt-4o-mini-2024-07-18", r.responseModel());
          assertEquals("default", r.serviceTier());
          assertEquals("fp_560af6e559", r.systemFingerprint());
          assertEquals(List.of("stop"), r.finishReasons());
          assertEquals("completed", r.status());
          assertEquals(OpenAiApi.CHAT_COMPLETIONS, r.api());
          assertFalse(r.batch());
        }),
        new Case("chat-details.json", "chat.completions", null, JSON, list -> {
          ResponseUsage r = reported(list);
          assertTokens(leaves(76, 0, 150, 1024, 0, 0, 0, 410, 0, 0, 256), r.usage());
          assertEquals("flex", r.serviceTier());
          assertNull(r.systemFingerprint());
          assertEquals(List.of("stop", "length"), r.finishReasons());
        }),
        new Case("chat-audio.json", "chat.completions", null, JSON, list -> {
          ResponseUsage r = reported(list);
          assertTokens(leaves(100, 600, 0, 1200, 0, 0, 100, 140, 560, 0, 0), r.usage());
          assertEquals("gpt-audio-2025-08-28", r.responseModel());
        }),
        new Case("chat-stream-include-usage.sse", "chat.completions", CHAT_STREAM_REQUEST, SSE, list -> {
          ResponseUsage r = reported(list);
          // prompt 812, cached 512 -> uncached text 300; completion 96 text
          assertTokens(text(300, 512, 0, 96, 0), r.usage());
          assertEquals("chatcmpl-StrM9vX", r.responseId());
          assertEquals("gpt-4o-2024-08-06", r.responseModel());
          assertEquals("fp_a1b2", r.systemFingerprint());
          assertEquals(List.of("stop"), r.finishReasons());
          assertEquals("completed", r.status());
          assertTrue(r.usage().rawJson().startsWith("{\"prompt_tokens\":812"));
        }),
        new Case("chat-stream-no-usage.sse", "chat.completions",
            "{\"model\":\"gpt-4o\",\"messages\":[],\"stream\":true}", SSE, list -> {
              ResponseUsage r = missing(list);
              assertEquals("include_usage not requested", r.diagnostic());
              assertEquals("completed", r.status());
              assertEquals("chatcmpl-StrM9vX", r.responseId());
              assertEquals(List.of("stop"), r.finishReasons());
            }),
        new Case("azure-chat-stream.sse", "chat.completions", CHAT_STREAM_REQUEST, "text/event-stream", list -> {
          ResponseUsage r = reported(list);
          assertTokens(text(143, 0, 0, 57, 0), r.usage());
          assertTrue(r.usage().splitInferred());
          assertEquals("chatcmpl-AzR4nQw", r.responseId(), "the empty id of the filter chunk is not kept");
          assertEquals("gpt-4o-2024-11-20", r.responseModel());
          assertEquals(List.of("stop"), r.finishReasons());
        }),
        new Case("azure-chat.json", "chat.completions", null, "application/json; charset=utf-8", list -> {
          ResponseUsage r = reported(list);
          assertTokens(text(131, 0, 0, 9, 0), r.usage());
          assertEquals("chatcmpl-AzN0n5t", r.responseId());
        }),
        new Case("responses.json", "responses", "{\"model\":\"gpt-5\",\"input\":\"hi\"}", JSON, list -> {
          ResponseUsage r = reported(list);
          assertTokens(text(512, 1536, 0, 612, 384), r.usage());
          assertEquals("resp_68f1c2a9e0", r.responseId());
          assertEquals("gpt-5-2025-08-07", r.responseModel());
          assertEquals("completed", r.status());
          assertTrue(r.usage().rawJson().contains("\"input_tokens\": 2048"), "the top-level usage, not a nested one");
        }),
        new Case("responses-stream-completed.sse", "responses", "{\"model\":\"gpt-5-mini\",\"stream\":true}", SSE, list -> {
          ResponseUsage r = reported(list);
          // input 1320 = cached 512 + cache write 256 + uncached 552
          assertTokens(text(552, 512, 256, 286, 128), r.usage());
          assertEquals("resp_0c1d2e3f4a", r.responseId());
          assertEquals("gpt-5-mini-2025-08-07", r.responseModel());
          assertEquals("default", r.serviceTier(), "the terminal event's tier, not response.created's 'auto'");
          assertEquals("completed", r.status());
        }),
        new Case("responses-stream-incomplete.sse", "responses", "{\"stream\":true}", SSE, list -> {
          ResponseUsage r = reported(list);
          assertTokens(text(900, 0, 0, 64, 48), r.usage());
          assertEquals("incomplete", r.status());
        }),
        new Case("responses-stream-failed.sse", "responses", "{\"stream\":true}", SSE, list -> {
          ResponseUsage r = reported(list);
          assertTokens(text(410, 0, 0, 12, 0), r.usage());
          assertEquals("failed", r.status());
        }),
        new Case("completions-legacy.json", "completions", null, JSON, list -> {
          ResponseUsage r = reported(list);
          assertTokens(text(5, 0, 0, 7, 0), r.usage());
          assertEquals(List.of("length"), r.finishReasons());
          assertEquals("cmpl-8fX2kQ", r.responseId());
        }),
        new Case("embeddings.json", "embeddings", null, JSON, list -> {
          ResponseUsage r = reported(list);
          assertTokens(text(37, 0, 0, 0, 0), r.usage());
          assertFalse(r.usage().splitInferred());
          assertEquals("text-embedding-3-small", r.responseModel());
        }),
        new Case("transcription-tokens.json", "audio.transcriptions", null, JSON, list -> {
          ResponseUsage r = reported(list);
          assertTokens(leaves(12, 152, 0, 0, 0, 0, 0, 41, 0, 0, 0), r.usage());
        }),
        new Case("transcription-duration.json", "audio.transcriptions", null, JSON, list -> {
          ResponseUsage r = reported(list);
          assertTokens(Fixtures.zeroTokens(), r.usage());
          assertEquals(43.0, r.usage().audioSeconds(), "usage.seconds wins over the verbose duration");
        }),
        new Case("transcription-stream.sse", "audio.transcriptions", null, SSE, list -> {
          ResponseUsage r = reported(list);
          assertTokens(leaves(12, 152, 0, 0, 0, 0, 0, 41, 0, 0, 0), r.usage());
          assertEquals("completed", r.status());
        }),
        new Case("translation-verbose.json", "audio.translations", null, JSON, list -> {
          ResponseUsage r = reported(list);
          assertTokens(Fixtures.zeroTokens(), r.usage());
          assertEquals(12.34, r.usage().audioSeconds());
        }),
        new Case("translation.json", "audio.translations", null, JSON, list -> {
          ResponseUsage r = missing(list);
          assertEquals("translation response carries no usage or duration", r.diagnostic());
        }),
        new Case("images-generation.json", "images.generations", null, JSON, list -> {
          ResponseUsage r = reported(list);
          assertTokens(leaves(78, 0, 0, 0, 0, 0, 0, 0, 0, 4160, 0), r.usage());
        }),
        new Case("images-edit-stream.sse", "images.edits", null, SSE, list -> {
          ResponseUsage r = reported(list);
          assertTokens(leaves(56, 0, 1064, 0, 0, 0, 0, 0, 0, 1272, 0), r.usage());
          assertTrue(r.usage().splitInferred());
        }),
        new Case("speech-stream.sse", "audio.speech",
            "{\"model\":\"gpt-4o-mini-tts\",\"input\":\"Hello there, caf\\u00e9 \\ud83d\\ude00!\",\"voice\":\"marin\",\"stream_format\":\"sse\"}",
            SSE, list -> {
              ResponseUsage r = reported(list);
              assertTokens(leaves(14, 0, 0, 0, 0, 0, 0, 0, 101, 0, 0), r.usage());
              assertEquals(20, r.usage().inputCharacters()); // "Hello there, café 😀!" is 20 code points
            }),
        new Case("moderations.json", "moderations", null, JSON, list -> {
          ResponseUsage r = reported(list);
          assertTrue(r.usage().isZeroTokens());
          assertEquals("modr-5c0d7e", r.responseId());
          assertEquals("omni-moderation-2024-09-26", r.responseModel());
        }),
        new Case("batch-output.jsonl", "batch.output", null, "application/octet-stream", list -> {
          assertEquals(3, list.size(), () -> signature(list));
          for (ResponseUsage r : list) {
            assertTrue(r.batch());
            assertEquals("reported", r.source());
          }
          assertEquals(OpenAiApi.CHAT_COMPLETIONS, list.get(0).api());
          assertEquals("batch_req_9f1a", list.get(0).batchRequestId());
          assertEquals("chatcmpl-Bb2", list.get(0).responseId());
          assertEquals("gpt-4.1-mini-2025-04-14", list.get(0).responseModel());
          assertEquals(List.of("stop"), list.get(0).finishReasons());
          assertTokens(text(24, 0, 0, 15, 0), list.get(0).usage());
          assertEquals(OpenAiApi.RESPONSES, list.get(1).api());
          assertTokens(text(172, 128, 0, 90, 64), list.get(1).usage());
          assertEquals(OpenAiApi.EMBEDDINGS, list.get(2).api());
          assertTokens(text(11, 0, 0, 0, 0), list.get(2).usage());
        }));
  }

  private static ResponseUsage reported(List<ResponseUsage> list) {
    assertEquals(1, list.size(), () -> signature(list));
    ResponseUsage r = list.get(0);
    assertEquals("reported", r.source(), r::toString);
    assertNull(r.usage().invariantViolation());
    return r;
  }

  private static ResponseUsage missing(List<ResponseUsage> list) {
    assertEquals(1, list.size(), () -> signature(list));
    ResponseUsage r = list.get(0);
    assertEquals("missing", r.source(), r::toString);
    assertTrue(r.usage().isZeroTokens());
    assertTrue(r.diagnostic() != null && !r.diagnostic().isEmpty());
    return r;
  }

  private static List<ResponseUsage> feedWhole(Case c, byte[] body, String encoding) {
    ResponseBodyCollector collector = c.collector(encoding);
    collector.onBytes(body, 0, body.length);
    return collector.finish(true);
  }

  private static List<ResponseUsage> feedInChunks(Case c, byte[] body, String encoding, int[] cuts) {
    ResponseBodyCollector collector = c.collector(encoding);
    int start = 0;
    for (int cut : cuts) {
      collector.onBytes(body, start, cut - start);
      start = cut;
    }
    collector.onBytes(body, start, body.length - start);
    return collector.finish(true);
  }

  private static int[] fixedSize(int length, int size) {
    int[] cuts = new int[Math.max(0, (length - 1) / size)];
    for (int i = 0; i < cuts.length; i++) {
      cuts[i] = (i + 1) * size;
    }
    return cuts;
  }

  private static int[] randomCuts(Random random, int length) {
    int n = random.nextInt(Math.min(length, 200) + 1);
    return random.ints(n, 0, length + 1).sorted().toArray();
  }

  @ParameterizedTest
  @MethodSource("cases")
  void fixtureGivesTheExpectedRecords(Case c) {
    List<ResponseUsage> records = feedWhole(c, Fixtures.bytes(c.fixture()), null);
    c.check().accept(records);
    for (ResponseUsage r : records) {
      assertNull(r.usage().invariantViolation(), r::toString);
    }
  }

  @ParameterizedTest
  @MethodSource("cases")
  void everyChunkingGivesTheSameRecords(Case c) {
    byte[] body = Fixtures.bytes(c.fixture());
    String expected = signature(feedWhole(c, body, null));
    int maxSize = Math.min(body.length, 256);
    for (int size = 1; size <= maxSize; size++) {
      assertEquals(expected, signature(feedInChunks(c, body, null, fixedSize(body.length, size))), "chunk size " + size);
    }
    Random random = new Random(c.fixture().hashCode());
    for (int i = 0; i < 100; i++) {
      int[] cuts = randomCuts(random, body.length);
      assertEquals(expected, signature(feedInChunks(c, body, null, cuts)), "random split " + i);
    }
  }

  @ParameterizedTest
  @MethodSource("cases")
  void compressedBodiesGiveTheSameRecords(Case c) throws IOException {
    byte[] body = Fixtures.bytes(c.fixture());
    String expected = signature(feedWhole(c, body, null));
    byte[] gzip = gzip(body);
    byte[] zlib = deflate(body, false);
    byte[] raw = deflate(body, true);
    // gzip allows several members; a server may flush one per event
    int half = body.length / 2;
    byte[] twoMembers = concat(gzip(java.util.Arrays.copyOfRange(body, 0, half)),
        gzip(java.util.Arrays.copyOfRange(body, half, body.length)));
    Random random = new Random(17);
    for (int i = 0; i < 20; i++) {
      assertEquals(expected, signature(feedInChunks(c, gzip, "gzip", randomCuts(random, gzip.length))), "gzip");
      assertEquals(expected, signature(feedInChunks(c, zlib, "deflate", randomCuts(random, zlib.length))), "zlib");
      assertEquals(expected, signature(feedInChunks(c, raw, "Deflate", randomCuts(random, raw.length))), "raw deflate");
      assertEquals(expected,
          signature(feedInChunks(c, twoMembers, "x-gzip", randomCuts(random, twoMembers.length))), "two members");
    }
    for (int size = 1; size <= 7; size++) {
      assertEquals(expected, signature(feedInChunks(c, gzip, "gzip", fixedSize(gzip.length, size))), "gzip " + size);
    }
  }

  @ParameterizedTest
  @MethodSource("cases")
  void byteBuffersAreReadThroughDuplicates(Case c) {
    byte[] body = Fixtures.bytes(c.fixture());
    String expected = signature(feedWhole(c, body, null));
    // Heap slices (an array to read), direct and read-only ones (copied through the scratch buffer,
    // which grows from the size of what arrives: the JDK client's buffers are read-only).
    for (String kind : new String[] {"heap slice", "direct", "read-only"}) {
      boolean direct = kind.equals("direct");
      ResponseBodyCollector collector = c.collector(null);
      Random random = new Random(3);
      int start = 0;
      while (start < body.length) {
        int n = Math.min(body.length - start, 1 + random.nextInt(20000));
        ByteBuffer buffer;
        if (direct) {
          buffer = ByteBuffer.allocateDirect(n + 10);
          buffer.position(5);
          buffer.put(body, start, n);
          buffer.position(5).limit(5 + n);
        } else {
          byte[] backing = new byte[n + 10];
          System.arraycopy(body, start, backing, 7, n);
          buffer = ByteBuffer.wrap(backing, 7, n).slice();
          if (kind.equals("read-only")) {
            buffer = buffer.asReadOnlyBuffer();
          }
        }
        int position = buffer.position();
        int limit = buffer.limit();
        collector.onBytes(buffer);
        assertEquals(position, buffer.position());
        assertEquals(limit, buffer.limit());
        start += n;
      }
      assertEquals(expected, signature(collector.finish(true)), kind);
    }
  }

  // ---- robustness ----

  private static final Case CHAT = new Case("chat-plain.json", "chat.completions", null, JSON, l -> {});
  private static final Case CHAT_STREAM =
      new Case("chat-stream-include-usage.sse", "chat.completions", CHAT_STREAM_REQUEST, SSE, l -> {});

  private static List<ResponseUsage> run(Case c, String body, boolean reachedEnd) {
    ResponseBodyCollector collector = c.collector(null);
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    collector.onBytes(bytes, 0, bytes.length);
    return collector.finish(reachedEnd);
  }

  @Test
  void malformedJsonIsMissingWithTheOffset() {
    String body = "{\"id\":\"chatcmpl-x\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,,]}],"
        + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1}}";
    ResponseUsage r = missing(run(CHAT, body, true));
    assertEquals("unreadable", r.status());
    assertTrue(r.diagnostic().startsWith("malformed JSON at byte 58 (expected a member name)"), r.diagnostic());
    assertEquals("chatcmpl-x", r.responseId());
  }

  @Test
  void truncatedBodyIsMissing() {
    String full = Fixtures.text("chat-plain.json");
    String cut = full.substring(0, full.indexOf("\"usage\"") + 12);
    ResponseUsage ended = missing(run(CHAT, cut, true));
    assertEquals("truncated", ended.status());
    assertEquals("body ended before usage", ended.diagnostic());
    ResponseUsage closed = missing(run(CHAT, cut, false));
    assertEquals("body not fully read (closed early or transport failed)", closed.diagnostic());
  }

  @Test
  void usageThatArrivedWholeSurvivesALaterCut() {
    String full = Fixtures.text("chat-plain.json");
    String cut = full.substring(0, full.indexOf("\"service_tier\""));
    ResponseUsage r = reported(run(CHAT, cut, false));
    assertEquals("truncated", r.status());
    assertTokens(text(24, 0, 0, 8, 0), r.usage());
  }

  @Test
  void binaryGarbageIsMissing() {
    byte[] garbage = new byte[5000];
    new Random(1).nextBytes(garbage);
    garbage[0] = (byte) 0x89;
    ResponseBodyCollector collector = CHAT.collector(null);
    collector.onBytes(garbage, 0, garbage.length);
    ResponseUsage r = missing(collector.finish(true));
    assertEquals("unreadable", r.status());
    assertTrue(r.diagnostic().startsWith("malformed JSON at byte 0"), r.diagnostic());
  }

  @Test
  void garbageClaimingToBeGzipIsMissing() {
    byte[] garbage = "{\"usage\":{\"prompt_tokens\":1}}".getBytes(StandardCharsets.UTF_8);
    ResponseBodyCollector collector = CHAT.collector("gzip");
    collector.onBytes(garbage, 0, garbage.length);
    ResponseUsage r = missing(collector.finish(true));
    assertEquals("unreadable", r.status());
    assertEquals("not gzip data", r.diagnostic());
  }

  @Test
  void unsupportedEncodingIsMissing() {
    ResponseBodyCollector collector = CHAT.collector("br");
    collector.onBytes(new byte[] {1, 2, 3}, 0, 3);
    ResponseUsage r = missing(collector.finish(true));
    assertEquals("unsupported content-encoding br", r.diagnostic());
    assertEquals("unreadable", r.status());
  }

  @Test
  void emptyBody() {
    assertEquals("empty body", missing(run(CHAT, "", true)).diagnostic());
    assertEquals("body closed before any data", missing(run(CHAT, "  ", false)).diagnostic());
  }

  @Test
  void unknownFieldsAndNestedUsageKeysAreIgnored() {
    String body = "{\"id\":\"chatcmpl-n\",\"future_field\":{\"usage\":{\"prompt_tokens\":999},\"a\":[[[{}]]]},"
        + "\"choices\":[{\"index\":0,\"usage\":{\"prompt_tokens\":998},\"message\":{\"role\":\"assistant\","
        + "\"content\":\"\\\"usage\\\": {\\\"prompt_tokens\\\": 997} \\\\\\\"\",\"usage\":{\"prompt_tokens\":996}},"
        + "\"finish_reason\":\"tool_calls\"}],\"x\":[1,2.5e3,-0.1,true,false,null,\"usage\"],"
        + "\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3,\"total_tokens\":10},\"later\":{\"usage\":null}}";
    ResponseUsage r = reported(run(CHAT, body, true));
    assertTokens(text(7, 0, 0, 3, 0), r.usage());
    assertEquals(List.of("tool_calls"), r.finishReasons());
  }

  @Test
  void nestedUsageAloneIsNotUsage() {
    String body = "{\"id\":\"chatcmpl-n\",\"choices\":[{\"index\":0,\"message\":{\"content\":\"usage\","
        + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":5}}}],\"metadata\":{\"usage\":{\"prompt_tokens\":1}}}";
    ResponseUsage r = missing(run(CHAT, body, true));
    assertEquals("provider omitted usage", r.diagnostic());
    assertEquals("completed", r.status());
  }

  @Test
  void nullOrEmptyUsageIsMissing() {
    assertEquals("usage is null", missing(run(CHAT, "{\"id\":\"a\",\"usage\":null}", true)).diagnostic());
    assertEquals("usage object without token counts", missing(run(CHAT, "{\"usage\":{}}", true)).diagnostic());
  }

  @Test
  void backgroundResponseHasNoUsageYet() {
    Case c = new Case("", "responses", "{\"background\":true}", JSON, l -> {});
    ResponseUsage r = missing(run(c,
        "{\"id\":\"resp_bg\",\"object\":\"response\",\"status\":\"queued\",\"background\":true,\"usage\":null}", true));
    assertEquals("queued", r.status());
    assertEquals("background response: usage comes only with its retrieval", r.diagnostic());
    assertTrue(c.requestInfo().background());
  }

  @Test
  void streamClosedBeforeUsageIsMissing() {
    String full = Fixtures.text("chat-stream-include-usage.sse");
    String cut = full.substring(0, full.indexOf("\"choices\":[],"));
    ResponseUsage closed = missing(run(CHAT_STREAM, cut, false));
    assertEquals("truncated", closed.status());
    assertEquals("stream closed before usage", closed.diagnostic());
    ResponseUsage ended = missing(run(CHAT_STREAM, cut, true));
    assertEquals("truncated", ended.status());
    assertEquals("stream ended mid-event before usage", ended.diagnostic());
    String atEventBoundary = full.substring(0, full.lastIndexOf("data: {"));
    ResponseUsage boundary = missing(run(CHAT_STREAM, atEventBoundary, true));
    assertEquals("stream ended before usage", boundary.diagnostic());
    assertEquals("truncated", boundary.status());
  }

  @Test
  void streamWithUsageButClosedBeforeDoneIsReported() {
    String full = Fixtures.text("chat-stream-include-usage.sse");
    String cut = full.substring(0, full.indexOf("data: [DONE]"));
    ResponseUsage r = reported(run(CHAT_STREAM, cut, false));
    assertEquals("completed", r.status());
  }

  @Test
  void lastEventWithoutBlankLineIsStillRead() {
    String body = "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}";
    assertTokens(text(3, 0, 0, 4, 0), reported(run(CHAT_STREAM, body, true)).usage());
  }

  @Test
  void multiLineDataCommentsAndCarriageReturns() {
    String body = ": keep-alive\r\n\r\nevent: chunk\rid: 7\rretry: 100\rdata: {\"id\":\"c1\",\r"
        + "data:  \"choices\":[],\n" + "data: \"usage\":{\"prompt_tokens\":3,\r\n"
        + "data: \"completion_tokens\":4}}\n\ndata:[DONE]\n\n";
    ResponseUsage r = reported(run(CHAT_STREAM, body, true));
    assertTokens(text(3, 0, 0, 4, 0), r.usage());
    assertEquals("c1", r.responseId());
  }

  @Test
  void responsesStreamErrorEvent() {
    Case c = new Case("", "responses", "{\"stream\":true}", SSE, l -> {});
    String body = "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_e\","
        + "\"status\":\"in_progress\",\"model\":\"gpt-5\",\"usage\":null}}\n\n"
        + "event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\",\"message\":\"oops\",\"param\":null}\n\n";
    ResponseUsage r = missing(run(c, body, true));
    assertEquals("error", r.status());
    assertEquals("stream error event server_error", r.diagnostic());
    assertEquals("resp_e", r.responseId());
  }

  @Test
  void failedResponseWithoutUsage() {
    Case c = new Case("", "responses", "{\"stream\":true}", SSE, l -> {});
    String body = "event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"id\":\"resp_f\","
        + "\"status\":\"failed\",\"error\":{\"code\":\"server_error\"},\"usage\":null}}\n\n";
    ResponseUsage r = missing(run(c, body, true));
    assertEquals("failed", r.status());
    assertEquals("failed response carried no usage", r.diagnostic());
  }

  @Test
  void finishIsIdempotentAndLateBytesAreIgnored() {
    ResponseBodyCollector collector = CHAT.collector(null);
    byte[] body = Fixtures.bytes("chat-plain.json");
    collector.onBytes(body, 0, body.length);
    assertEquals(1, collector.finish(true).size());
    assertEquals(0, collector.finish(true).size());
    collector.onBytes(body, 0, body.length);
    assertEquals(0, collector.finish(false).size());
  }

  @Test
  void badArgumentsNeverThrow() {
    ResponseBodyCollector collector = CHAT.collector(null);
    collector.onBytes(null, 0, 10);
    collector.onBytes(new byte[3], 2, 10);
    collector.onBytes(new byte[3], -1, 1);
    collector.onBytes((ByteBuffer) null);
    assertEquals("missing", collector.finish(true).get(0).source());
    assertTrue(ResponseBodyCollector.create(null, null, 200, null, null).finish(true).isEmpty());
    ResponseBodyCollector noRequest =
        ResponseBodyCollector.create(OpenAiEndpoint.of(OpenAiApi.CHAT_COMPLETIONS), null, 200, null, null);
    byte[] body = Fixtures.bytes("chat-plain.json");
    noRequest.onBytes(body, 0, body.length);
    assertEquals("reported", noRequest.finish(true).get(0).source());
  }

  @Test
  void httpErrorsCarryNoTokens() {
    ResponseBodyCollector collector =
        ResponseBodyCollector.create(OpenAiEndpoint.of(OpenAiApi.CHAT_COMPLETIONS), RequestInfo.unknown(), 429, JSON, null);
    byte[] body = Fixtures.bytes("error-429.json");
    collector.onBytes(body, 0, body.length);
    List<ResponseUsage> list = collector.finish(true);
    assertEquals(1, list.size());
    ResponseUsage r = list.get(0);
    assertEquals("none", r.source());
    assertEquals("error", r.status());
    assertEquals("HTTP 429 rate_limit_exceeded", r.diagnostic());
    assertTrue(r.usage().isZeroTokens());

    ResponseBodyCollector html =
        ResponseBodyCollector.create(OpenAiEndpoint.of(OpenAiApi.EMBEDDINGS), RequestInfo.unknown(), 502, "text/html", null);
    html.onBytes("<html>bad gateway</html>".getBytes(StandardCharsets.UTF_8), 0, 24);
    assertEquals("HTTP 502", html.finish(true).get(0).diagnostic());

    ResponseBodyCollector batch =
        ResponseBodyCollector.create(OpenAiEndpoint.of(OpenAiApi.BATCH_OUTPUT), RequestInfo.unknown(), 404, JSON, null);
    assertTrue(batch.finish(true).isEmpty(), "a failed file download is not a model request");
  }

  @Test
  void speechWithBinaryBodyIsCountedFromTheRequest() {
    Case c = new Case("", "audio.speech", "{\"model\":\"tts-1\",\"input\":\"Today is a wonderful day.\",\"voice\":\"alloy\"}",
        "audio/mpeg", l -> {});
    ResponseBodyCollector collector = c.collector(null);
    byte[] audio = new byte[100_000];
    new Random(5).nextBytes(audio);
    collector.onBytes(audio, 0, audio.length);
    List<ResponseUsage> list = collector.finish(true);
    assertEquals(1, list.size());
    ResponseUsage r = list.get(0);
    assertEquals("counted", r.source());
    assertEquals("completed", r.status());
    assertEquals(25, r.usage().inputCharacters());
    assertTrue(r.usage().isZeroTokens());
    assertEquals(0, collector.retainedBytes());
  }

  @Test
  void transcriptionInTextFormatHasNoUsage() {
    Case c = new Case("", "audio.transcriptions", null, "text/plain; charset=utf-8", l -> {});
    ResponseUsage r = missing(run(c, "Quarterly numbers are up four percent.\n", true));
    assertEquals("response_format (plain text) carries no usage", r.diagnostic());
  }

  @Test
  void batchRecordsCanBeStreamedToASink() {
    List<ResponseUsage> sunk = new ArrayList<>();
    ResponseBodyCollector collector = ResponseBodyCollector.create(
        OpenAiEndpoint.of(OpenAiApi.BATCH_OUTPUT), RequestInfo.unknown(), 200, "application/octet-stream", null)
        .streamRecordsTo(sunk::add);
    byte[] body = Fixtures.bytes("batch-output.jsonl");
    int firstLine = indexOf(body, (byte) '\n') + 1;
    collector.onBytes(body, 0, firstLine);
    assertEquals(1, sunk.size(), "the first line is recorded as soon as it ends");
    collector.onBytes(body, firstLine, body.length - firstLine);
    assertTrue(collector.finish(true).isEmpty());
    assertEquals(3, sunk.size());
  }

  @Test
  void batchLinesWithUrlAndWithoutTrailingNewline() {
    Case c = new Case("", "batch.output", null, "application/jsonl", l -> {});
    String body = "{\"id\":\"batch_req_1\",\"url\":\"/v1/completions\",\"response\":{\"status_code\":200,"
        + "\"body\":{\"id\":\"cmpl-1\",\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":3}}}}\n"
        + "not json at all\n\n"
        + "{\"id\":\"batch_req_2\",\"response\":{\"status_code\":200,\"body\":{\"id\":\"img\","
        + "\"usage\":{\"input_tokens\":5,\"output_tokens\":7,\"input_tokens_details\":{\"text_tokens\":5,\"image_tokens\":0}}}}}";
    List<ResponseUsage> list = run(c, body, true);
    assertEquals(2, list.size(), () -> signature(list));
    assertEquals(OpenAiApi.COMPLETIONS, list.get(0).api());
    assertTokens(text(2, 0, 0, 3, 0), list.get(0).usage());
    assertEquals(OpenAiApi.BATCH_OUTPUT, list.get(1).api());
    assertTokens(leaves(5, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0), list.get(1).usage());
  }

  @Test
  void moderationsAreFreeButCounted() {
    Case c = new Case("", "moderations", null, JSON, l -> {});
    ResponseUsage r = reported(run(c, "{\"id\":\"modr-1\",\"model\":\"omni-moderation-latest\",\"results\":[]}", true));
    assertTrue(r.usage().isZeroTokens());
  }

  @Test
  void imagesWithoutUsageAreMissing() {
    Case c = new Case("", "images.generations", null, JSON, l -> {});
    ResponseUsage r = missing(run(c, "{\"created\":1,\"data\":[{\"url\":\"https://example.invalid/a.png\"}]}", true));
    assertEquals("provider omitted usage", r.diagnostic());
  }

  // ---- size ----

  /** Writes a JSON body of at least {@code size} bytes in chunks, never holding it whole. */
  private static long streamHugeEmbeddings(ResponseBodyCollector collector, long size, int[] maxRetained) {
    byte[] blob = new byte[6000];
    new Random(9).nextBytes(blob);
    String item = "{\"object\":\"embedding\",\"index\":%d,\"embedding\":\""
        + java.util.Base64.getEncoder().encodeToString(blob) + "\"}";
    long written = 0;
    ByteArrayOutputStream chunk = new ByteArrayOutputStream();
    chunk.writeBytes("{\"object\":\"list\",\"data\":[".getBytes(StandardCharsets.UTF_8));
    int index = 0;
    while (written < size) {
      if (index > 0) {
        chunk.write(',');
      }
      chunk.writeBytes(String.format(item, index++).getBytes(StandardCharsets.UTF_8));
      if (chunk.size() > 64 * 1024) {
        written += chunk.size();
        collector.onBytes(chunk.toByteArray(), 0, chunk.size());
        maxRetained[0] = Math.max(maxRetained[0], collector.retainedBytes());
        chunk.reset();
      }
    }
    chunk.writeBytes("],\"model\":\"text-embedding-3-large\",\"usage\":{\"prompt_tokens\":123456,\"total_tokens\":123456}}"
        .getBytes(StandardCharsets.UTF_8));
    written += chunk.size();
    collector.onBytes(chunk.toByteArray(), 0, chunk.size());
    return written;
  }

  @Test
  void fiftyMegabyteBodyIsScannedInBoundedMemory() {
    ResponseBodyCollector collector =
        ResponseBodyCollector.create(OpenAiEndpoint.of(OpenAiApi.EMBEDDINGS), RequestInfo.unknown(), 200, JSON, null);
    int[] maxRetained = {0};
    long written = streamHugeEmbeddings(collector, 50L << 20, maxRetained);
    assertTrue(written >= 50L << 20);
    assertEquals(written, collector.decodedBytes());
    assertTrue(maxRetained[0] <= 4 * 1024, "retained " + maxRetained[0] + " bytes");
    ResponseUsage r = reported(collector.finish(true));
    assertTokens(text(123456, 0, 0, 0, 0), r.usage());
    assertEquals("text-embedding-3-large", r.responseModel());
    assertTrue(collector.retainedBytes() <= 4 * 1024);
  }

  @Test
  void hugeSseEventIsScannedInBoundedMemory() throws IOException {
    ResponseBodyCollector collector = ResponseBodyCollector.create(
        OpenAiEndpoint.of(OpenAiApi.RESPONSES), RequestInfo.unknown(), 200, SSE, "gzip");
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(compressed)) {
      gz.write("event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_big\",\"output\":[{\"type\":\"message\",\"content\":[{\"type\":\"output_text\",\"text\":\""
          .getBytes(StandardCharsets.UTF_8));
      byte[] words = "lorem \\\"usage\\\": ipsum dolor \\\\ sit amet, ".getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < (20 << 20) / words.length; i++) {
        gz.write(words);
      }
      gz.write("\"}]}],\"status\":\"completed\",\"usage\":{\"input_tokens\":10,\"output_tokens\":5000000}}}\n\n"
          .getBytes(StandardCharsets.UTF_8));
    }
    byte[] gzip = compressed.toByteArray();
    int max = 0;
    for (int start = 0; start < gzip.length; start += 4096) {
      collector.onBytes(gzip, start, Math.min(4096, gzip.length - start));
      max = Math.max(max, collector.retainedBytes());
    }
    assertTrue(collector.decodedBytes() > 20L << 20);
    assertTrue(max <= 16 * 1024, "retained " + max);
    ResponseUsage r = reported(collector.finish(true));
    assertTokens(text(10, 0, 0, 5000000, 0), r.usage());
    assertEquals("resp_big", r.responseId());
  }

  @Test
  void oversizedUsageObjectIsMissingNotCut() {
    StringBuilder body = new StringBuilder("{\"id\":\"x\",\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"pad\":\"");
    body.append("a".repeat(70_000)).append("\"}}");
    ResponseUsage r = missing(run(CHAT, body.toString(), true));
    assertEquals("usage object larger than 64 KiB", r.diagnostic());
  }

  private static byte[] gzip(byte[] body) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(body);
    }
    return out.toByteArray();
  }

  private static byte[] deflate(byte[] body, boolean raw) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DeflaterOutputStream d = new DeflaterOutputStream(out, new Deflater(6, raw))) {
      d.write(body);
    }
    return out.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  private static int indexOf(byte[] b, byte value) {
    for (int i = 0; i < b.length; i++) {
      if (b[i] == value) {
        return i;
      }
    }
    return -1;
  }
}
