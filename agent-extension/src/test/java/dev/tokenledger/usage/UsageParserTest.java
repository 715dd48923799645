package dev.tokenledger.usage;

import static dev.tokenledger.usage.Fixtures.assertTokens;
import static dev.tokenledger.usage.Fixtures.leaves;
import static dev.tokenledger.usage.Fixtures.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The mapping of docs/token-vocabulary.md#provider-shapes, shape by shape, with the expected fields worked out by hand. */
class UsageParserTest {

  private static JsonObject usageOf(String fixture) {
    return Json.parseObject(Fixtures.text(fixture)).getObject("usage");
  }

  @Test
  void chatPlainIsTextWithImagesUnreported() {
    TokenUsage u = UsageShape.COMPLETION.parse(usageOf("chat-plain.json"));
    // prompt 24, no cached; completion 8 with audio 0 reported -> text 8 exactly
    assertTokens(text(24, 0, 0, 8, 0), u);
    // audio 0 is reported but image is not: images could hide in the 24 prompt tokens
    assertTrue(u.splitInferred());
    assertNull(u.anomaly());
    assertEquals(usageOf("chat-plain.json").toJson(), u.rawJson());
    assertTrue(u.rawJson().startsWith("{") && u.rawJson().contains("\"prompt_tokens\": 24"), u.rawJson());
  }

  @Test
  void chatWithTextImageCachedAndReasoning() {
    TokenUsage u = UsageShape.COMPLETION.parse(usageOf("chat-details.json"));
    // prompt 1250 = text 1100 + image 150 (+ audio 0); cached 1024 assumed text (text first):
    // uncached text = 1100 - 1024 = 76, uncached image = 150.
    // completion 410, audio 0 -> text 410, of which reasoning 256.
    assertTokens(leaves(76, 0, 150, 1024, 0, 0, 0, 410, 0, 0, 256), u);
    assertTrue(u.splitInferred(), "cached tokens could be image tokens");
  }

  @Test
  void chatWithAudioInAndOutAndCacheWrites() {
    TokenUsage u = UsageShape.COMPLETION.parse(usageOf("chat-audio.json"));
    // prompt 2000 = text 1400 + audio 600; cached 1200 -> text; cache write 100 -> text
    // uncached text = 1400 - 1200 - 100 = 100; uncached audio 600.
    // completion 700 = text 140 + audio 560.
    assertTokens(leaves(100, 600, 0, 1200, 0, 0, 100, 140, 560, 0, 0), u);
    assertTrue(u.splitInferred());
  }

  @Test
  void chatTextOutputReportedWithoutReasoningIsCorrected() {
    JsonObject usage = Json.parseObject(
        "{\"prompt_tokens\":10,\"completion_tokens\":300,\"total_tokens\":310,"
            + "\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0,\"text_tokens\":10,\"image_tokens\":0},"
            + "\"completion_tokens_details\":{\"reasoning_tokens\":200,\"audio_tokens\":0,\"text_tokens\":100}}");
    TokenUsage u = UsageShape.COMPLETION.parse(usage);
    // text 100 + reasoning 200 = completion 300: the export's output text includes reasoning
    assertTokens(text(10, 0, 0, 300, 200), u);
    assertFalse(u.splitInferred(), "every modality was reported and adds up");
  }

  @Test
  void azureChatWithNullDetailsIsAllTextInferred() {
    JsonObject usage = Json.parseObject(
        "{\"completion_tokens\":57,\"completion_tokens_details\":null,\"prompt_tokens\":143,"
            + "\"prompt_tokens_details\":null,\"total_tokens\":200}");
    TokenUsage u = UsageShape.COMPLETION.parse(usage);
    assertTokens(text(143, 0, 0, 57, 0), u);
    assertTrue(u.splitInferred());
  }

  @Test
  void legacyCompletionsTotalsOnly() {
    TokenUsage u = UsageShape.COMPLETION.parse(usageOf("completions-legacy.json"));
    assertTokens(text(5, 0, 0, 7, 0), u);
    assertTrue(u.splitInferred());
  }

  @Test
  void responsesUsage() {
    TokenUsage u = UsageShape.RESPONSES.parse(usageOf("responses.json"));
    // input 2048, cached 1536 -> uncached 512; output 612 incl. reasoning 384; no modality split
    assertTokens(text(512, 1536, 0, 612, 384), u);
    assertTrue(u.splitInferred());
  }

  @Test
  void responsesUsageWithCacheWrites() {
    JsonObject usage = Json.parseObject(
        "{\"input_tokens\":1320,\"input_tokens_details\":{\"cached_tokens\":512,\"cache_write_tokens\":256},"
            + "\"output_tokens\":286,\"output_tokens_details\":{\"reasoning_tokens\":128},\"total_tokens\":1606}");
    // uncached = 1320 - 512 - 256 = 552
    assertTokens(text(552, 512, 256, 286, 128), UsageShape.RESPONSES.parse(usage));
  }

  @Test
  void realtimeCompletedWithCachedAudio() {
    JsonObject usage = Json.parseObject(Fixtures.text("realtime-response-done-completed.json"))
        .getObject("response").getObject("usage");
    TokenUsage u = UsageShape.REALTIME.parse(usage);
    // text 1150 incl. cached 1000 -> 150; audio 830 incl. cached 600 -> 230; output 95 text + 320 audio
    assertTokens(leaves(150, 230, 0, 1000, 600, 0, 0, 95, 320, 0, 0), u);
    assertFalse(u.splitInferred());
    assertNull(u.anomaly());
  }

  @Test
  void realtimeCancelledStillBillsWhatWasGenerated() {
    JsonObject response = Json.parseObject(Fixtures.text("realtime-response-done-cancelled.json")).getObject("response");
    assertEquals("cancelled", response.getString("status"));
    TokenUsage u = UsageShape.REALTIME.parse(response.getObject("usage"));
    // text 420 - 384 = 36; audio 2700 - 2176 = 524; output 18 + 56
    assertTokens(leaves(36, 524, 0, 384, 2176, 0, 0, 18, 56, 0, 0), u);
    assertFalse(u.splitInferred());
  }

  @Test
  void realtimeBetaWithoutCachedSplitFallsBackToTextFirst() {
    JsonObject usage = Json.parseObject(
        "{\"total_tokens\":500,\"input_tokens\":400,\"output_tokens\":100,"
            + "\"input_token_details\":{\"cached_tokens\":300,\"text_tokens\":100,\"audio_tokens\":300},"
            + "\"output_token_details\":{\"text_tokens\":20,\"audio_tokens\":80}}");
    TokenUsage u = UsageShape.REALTIME.parse(usage);
    // cached 300: text takes 100 (all of it), audio the other 200
    assertTokens(leaves(0, 100, 0, 100, 200, 0, 0, 20, 80, 0, 0), u);
    assertTrue(u.splitInferred());
  }

  @Test
  void transcriptionTokensAndDuration() {
    TokenUsage tokens = UsageShape.TRANSCRIPTION.parse(usageOf("transcription-tokens.json"));
    assertTokens(leaves(12, 152, 0, 0, 0, 0, 0, 41, 0, 0, 0), tokens);
    assertFalse(tokens.splitInferred());
    assertEquals(0.0, tokens.audioSeconds());

    TokenUsage duration = UsageShape.TRANSCRIPTION.parse(usageOf("transcription-duration.json"));
    assertTokens(Fixtures.zeroTokens(), duration);
    assertEquals(43.0, duration.audioSeconds());
    assertEquals("{\"seconds\":43}", duration.rawJson(), "counts only: the type tag is a string");
  }

  @Test
  void transcriptionWithoutDetailsIsAudioInferred() {
    TokenUsage u = UsageShape.TRANSCRIPTION.parse(
        Json.parseObject("{\"type\":\"tokens\",\"input_tokens\":90,\"output_tokens\":10,\"total_tokens\":100}"));
    assertTokens(leaves(0, 90, 0, 0, 0, 0, 0, 10, 0, 0, 0), u);
    assertTrue(u.splitInferred());
  }

  @Test
  void embeddingsAreText() {
    TokenUsage u = UsageShape.EMBEDDINGS.parse(usageOf("embeddings.json"));
    assertTokens(text(37, 0, 0, 0, 0), u);
    assertFalse(u.splitInferred(), "embeddings input is text by definition");
  }

  @Test
  void imagesWithAndWithoutOutputDetails() {
    TokenUsage u = UsageShape.IMAGES.parse(usageOf("images-generation.json"));
    assertTokens(leaves(78, 0, 0, 0, 0, 0, 0, 0, 0, 4160, 0), u);
    assertFalse(u.splitInferred());

    TokenUsage edit = UsageShape.IMAGES.parse(Json.parseObject(
        "{\"total_tokens\":2392,\"input_tokens\":1120,\"output_tokens\":1272,"
            + "\"input_tokens_details\":{\"text_tokens\":56,\"image_tokens\":1064}}"));
    assertTokens(leaves(56, 0, 1064, 0, 0, 0, 0, 0, 0, 1272, 0), edit);
    assertTrue(edit.splitInferred(), "output modality assumed");
  }

  @Test
  void speechIsTextInAudioOut() {
    TokenUsage u = UsageShape.SPEECH.parse(
        Json.parseObject("{\"input_tokens\":14,\"output_tokens\":101,\"total_tokens\":115}"));
    assertTokens(leaves(14, 0, 0, 0, 0, 0, 0, 0, 101, 0, 0), u);
    assertFalse(u.splitInferred());
  }

  @Test
  void forApiFollowsTheShapeWhenTheServerUsesAnother() {
    JsonObject responsesShaped = Json.parseObject(
        "{\"input_tokens\":10,\"input_tokens_details\":{\"cached_tokens\":4},\"output_tokens\":3}");
    assertTokens(text(6, 4, 0, 3, 0), UsageShape.parse(OpenAiApi.CHAT_COMPLETIONS.usageShape(), responsesShaped));
    JsonObject chatShaped = Json.parseObject("{\"prompt_tokens\":10,\"completion_tokens\":3}");
    assertTokens(text(10, 0, 0, 3, 0), UsageShape.parse(OpenAiApi.RESPONSES.usageShape(), chatShaped));
    assertTokens(text(37, 0, 0, 0, 0),
        UsageShape.parse(OpenAiApi.EMBEDDINGS.usageShape(), Json.parseObject("{\"prompt_tokens\":37,\"total_tokens\":37}")));
  }

  @Test
  void inconsistentNumbersAreClampedAndFlagged() {
    JsonObject usage = Json.parseObject(
        "{\"prompt_tokens\":100,\"completion_tokens\":-5,\"total_tokens\":7,"
            + "\"prompt_tokens_details\":{\"cached_tokens\":150,\"cache_write_tokens\":20,\"audio_tokens\":-3},"
            + "\"completion_tokens_details\":{\"reasoning_tokens\":40}}");
    TokenUsage u = UsageShape.COMPLETION.parse(usage);
    // cached clamped to input (100), no room left for cache writes, output negative -> 0
    assertTokens(text(0, 100, 0, 0, 0), u);
    assertTrue(u.splitInferred());
    assertNotNull(u.anomaly());
    assertTrue(u.anomaly().contains("cached_tokens exceeds input_tokens"), u.anomaly());
  }

  /** Counts no bill can have must not overflow the sums the rules take: no record may go negative. */
  @Test
  void countsNearTheLongRangeDoNotOverflow() {
    String max = String.valueOf(Long.MAX_VALUE);
    for (UsageShape shape : UsageShape.values()) {
      for (String huge : new String[] {max, "4000000000000000000", "8.9e18"}) {
        JsonObject usage = Json.parseObject(
            "{\"prompt_tokens\":" + huge + ",\"input_tokens\":" + huge + ",\"completion_tokens\":" + huge
                + ",\"output_tokens\":" + huge + ",\"prompt_tokens_details\":{\"text_tokens\":" + huge
                + ",\"audio_tokens\":" + huge + ",\"image_tokens\":" + huge + "},\"input_token_details\":"
                + "{\"text_tokens\":" + huge + ",\"audio_tokens\":" + huge + ",\"image_tokens\":" + huge + "},"
                + "\"output_token_details\":{\"text_tokens\":" + huge + ",\"audio_tokens\":" + huge + "},"
                + "\"completion_tokens_details\":{\"text_tokens\":" + huge + ",\"audio_tokens\":" + huge
                + ",\"reasoning_tokens\":" + huge + "}}");
        TokenUsage u = shape.parse(usage);
        assertNull(u.invariantViolation(), () -> shape + " " + huge + ": " + u);
      }
    }
  }

  @Test
  void modalitiesExceedingTheTotalAreReduced() {
    JsonObject usage = Json.parseObject(
        "{\"input_tokens\":100,\"output_tokens\":10,"
            + "\"input_token_details\":{\"text_tokens\":80,\"audio_tokens\":70,\"cached_tokens\":90,"
            + "\"cached_tokens_details\":{\"text_tokens\":50,\"audio_tokens\":60}},"
            + "\"output_token_details\":{\"text_tokens\":10,\"audio_tokens\":5}}");
    TokenUsage u = UsageShape.REALTIME.parse(usage);
    assertNull(u.invariantViolation(), u.toString());
    assertEquals(100, u.get(UsageField.INPUT_TOKENS));
    assertEquals(10, u.get(UsageField.OUTPUT_TOKENS));
    assertTrue(u.splitInferred());
    assertNotNull(u.anomaly());
  }

  @Test
  void totalMismatchIsNotedButFieldsKept() {
    TokenUsage u = UsageShape.COMPLETION.parse(
        Json.parseObject("{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":99}"));
    assertEquals(10, u.get(UsageField.INPUT_TOKENS));
    assertEquals(5, u.get(UsageField.OUTPUT_TOKENS));
    assertEquals("total_tokens 99 != input + output 15", u.anomaly());
  }

  @Test
  void nullAndEmptyInputs() {
    assertEquals(TokenUsage.zero(), UsageShape.COMPLETION.parse(null));
    assertEquals(TokenUsage.zero(), UsageShape.REALTIME.parse(null));
    TokenUsage empty = UsageShape.RESPONSES.parse(Json.parseObject("{}"));
    assertTrue(empty.isZeroTokens());
    assertFalse(UsageShape.hasCounts(Json.parseObject("{\"foo\":1}")));
    assertTrue(UsageShape.hasCounts(Json.parseObject("{\"seconds\":1.5}")));
  }

  // ---- property-style: random usage objects always satisfy the invariants ----

  @Test
  void randomConsistentRealtimeUsageMapsExactly() {
    Random random = new Random(20261124L);
    for (int i = 0; i < 5000; i++) {
      long text = random.nextInt(5000);
      long audio = random.nextInt(5000);
      long image = random.nextInt(2000);
      long cText = text == 0 ? 0 : random.nextInt((int) text + 1);
      long cAudio = audio == 0 ? 0 : random.nextInt((int) audio + 1);
      long cImage = image == 0 ? 0 : random.nextInt((int) image + 1);
      long oText = random.nextInt(3000);
      long oAudio = random.nextInt(3000);
      String json = "{\"total_tokens\":" + (text + audio + image + oText + oAudio)
          + ",\"input_tokens\":" + (text + audio + image) + ",\"output_tokens\":" + (oText + oAudio)
          + ",\"input_token_details\":{\"text_tokens\":" + text + ",\"audio_tokens\":" + audio
          + ",\"image_tokens\":" + image + ",\"cached_tokens\":" + (cText + cAudio + cImage)
          + ",\"cached_tokens_details\":{\"text_tokens\":" + cText + ",\"audio_tokens\":" + cAudio
          + ",\"image_tokens\":" + cImage + "}},\"output_token_details\":{\"text_tokens\":" + oText
          + ",\"audio_tokens\":" + oAudio + "}}";
      TokenUsage u = UsageShape.REALTIME.parse(Json.parseObject(json));
      assertTokens(leaves(text - cText, audio - cAudio, image - cImage, cText, cAudio, cImage, 0, oText, oAudio, 0, 0), u);
      assertFalse(u.splitInferred(), json);
      assertNull(u.anomaly(), json);
    }
  }

  @Test
  void randomConsistentChatAndResponsesUsageMapsExactly() {
    Random random = new Random(42L);
    for (int i = 0; i < 5000; i++) {
      long uncachedText = random.nextInt(4000);
      long cached = random.nextInt(4000);
      long write = random.nextInt(500);
      long audio = random.nextInt(3) == 0 ? random.nextInt(1000) : 0;
      long out = random.nextInt(3000);
      long outAudio = audio > 0 ? random.nextInt((int) out + 1) : 0;
      long reasoning = random.nextInt((int) (out - outAudio) + 1);
      long prompt = uncachedText + cached + write + audio;
      String chat = "{\"prompt_tokens\":" + prompt + ",\"completion_tokens\":" + out
          + ",\"total_tokens\":" + (prompt + out)
          + ",\"prompt_tokens_details\":{\"cached_tokens\":" + cached + ",\"audio_tokens\":" + audio
          + ",\"text_tokens\":" + (uncachedText + cached + write) + ",\"image_tokens\":0,\"cache_write_tokens\":" + write
          + "},\"completion_tokens_details\":{\"reasoning_tokens\":" + reasoning + ",\"audio_tokens\":" + outAudio + "}}";
      assertTokens(leaves(uncachedText, audio, 0, cached, 0, 0, write, out - outAudio, outAudio, 0, reasoning),
          UsageShape.COMPLETION.parse(Json.parseObject(chat)));
      String responses = "{\"input_tokens\":" + (uncachedText + cached + write)
          + ",\"input_tokens_details\":{\"cached_tokens\":" + cached + ",\"cache_write_tokens\":" + write
          + "},\"output_tokens\":" + out + ",\"output_tokens_details\":{\"reasoning_tokens\":" + reasoning
          + "},\"total_tokens\":" + (uncachedText + cached + write + out) + "}";
      assertTokens(text(uncachedText, cached, write, out, reasoning),
          UsageShape.RESPONSES.parse(Json.parseObject(responses)));
    }
  }

  @Test
  void randomArbitraryNumbersNeverBreakTheInvariants() {
    Random random = new Random(7L);
    String[] chatKeys = {"cached_tokens", "audio_tokens", "text_tokens", "image_tokens", "cache_write_tokens"};
    for (int i = 0; i < 20000; i++) {
      StringBuilder chat = new StringBuilder("{");
      chat.append("\"prompt_tokens\":").append(arbitrary(random));
      chat.append(",\"completion_tokens\":").append(arbitrary(random));
      chat.append(",\"prompt_tokens_details\":").append(details(random, chatKeys));
      chat.append(",\"completion_tokens_details\":")
          .append(details(random, new String[] {"reasoning_tokens", "audio_tokens", "text_tokens"}));
      chat.append('}');
      check(UsageShape.COMPLETION.parse(Json.parseObject(chat.toString())), chat);

      StringBuilder rt = new StringBuilder("{");
      rt.append("\"input_tokens\":").append(arbitrary(random));
      rt.append(",\"output_tokens\":").append(arbitrary(random));
      rt.append(",\"input_token_details\":{\"text_tokens\":").append(arbitrary(random))
          .append(",\"audio_tokens\":").append(arbitrary(random))
          .append(",\"cached_tokens\":").append(arbitrary(random))
          .append(",\"cached_tokens_details\":")
          .append(details(random, new String[] {"text_tokens", "audio_tokens", "image_tokens"}))
          .append("},\"output_token_details\":")
          .append(details(random, new String[] {"text_tokens", "audio_tokens"}))
          .append('}');
      check(UsageShape.REALTIME.parse(Json.parseObject(rt.toString())), rt);

      StringBuilder resp = new StringBuilder("{");
      resp.append("\"input_tokens\":").append(arbitrary(random));
      resp.append(",\"output_tokens\":").append(arbitrary(random));
      resp.append(",\"input_tokens_details\":")
          .append(details(random, new String[] {"cached_tokens", "cache_write_tokens"}));
      resp.append(",\"output_tokens_details\":").append(details(random, new String[] {"reasoning_tokens"}));
      resp.append('}');
      check(UsageShape.RESPONSES.parse(Json.parseObject(resp.toString())), resp);
      check(UsageShape.IMAGES.parse(Json.parseObject(resp.toString())), resp);
      check(UsageShape.TRANSCRIPTION.parse(Json.parseObject(resp.toString())), resp);
    }
  }

  private static void check(TokenUsage u, CharSequence json) {
    assertNull(u.invariantViolation(), () -> json + " -> " + u);
  }

  private static String arbitrary(Random random) {
    switch (random.nextInt(8)) {
      case 0:
        return "null";
      case 1:
        return Integer.toString(-random.nextInt(100));
      case 2:
        return random.nextInt(1000) + ".5";
      case 3:
        return "\"12\"";
      default:
        return Integer.toString(random.nextInt(2000));
    }
  }

  private static String details(Random random, String[] keys) {
    if (random.nextInt(6) == 0) {
      return "null";
    }
    StringBuilder sb = new StringBuilder("{");
    boolean first = true;
    for (String k : keys) {
      if (random.nextInt(4) == 0) {
        continue;
      }
      if (!first) {
        sb.append(',');
      }
      first = false;
      sb.append('"').append(k).append("\":").append(arbitrary(random));
    }
    return sb.append('}').toString();
  }
}
