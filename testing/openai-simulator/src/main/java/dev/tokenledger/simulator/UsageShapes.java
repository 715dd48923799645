package dev.tokenledger.simulator;

import java.util.Map;

/**
 * Writes provider-shaped usage objects from export-vocabulary counts: the inverse of the mapping in
 * docs/token-vocabulary.md#provider-shapes. Each method refuses counts its API cannot express, so a ground-truth row is
 * always recoverable from the JSON that was sent.
 */
final class UsageShapes {

  private UsageShapes() {}

  /** Which optional {@code *_details} fields a chat usage object carries (they vary by snapshot). */
  record ChatDetails(boolean textTokens, boolean imageTokens, boolean cacheWriteTokens) {}

  /**
   * Chat Completions {@code CompletionUsage}. Chat reports cached input without a modality split, so
   * only cached <em>text</em> is allowed. {@code text_tokens}, when present, is every text input token
   * (uncached + cached + cache write) so that {@code prompt_tokens = text + audio + image} holds.
   */
  static Map<String, Object> chat(ExportTokens t, ChatDetails d) {
    require(t.inputCachedAudio() == 0 && t.inputCachedImage() == 0,
        "chat usage cannot say which modality cached tokens are; only cached text is allowed");
    require(t.outputImage() == 0, "chat has no image output");
    require(t.inputCacheWrite() == 0 || d.cacheWriteTokens(),
        "cache writes need the cache_write_tokens field");
    require(t.inputImage() == 0 || d.imageTokens(), "image input needs the image_tokens field");
    Map<String, Object> prompt =
        Json.obj("cached_tokens", t.inputCached(), "audio_tokens", t.inputAudio());
    if (d.textTokens()) {
      prompt.put("text_tokens", t.inputText() + t.inputCachedText() + t.inputCacheWrite());
    }
    if (d.imageTokens()) {
      prompt.put("image_tokens", t.inputImage());
    }
    if (d.cacheWriteTokens()) {
      prompt.put("cache_write_tokens", t.inputCacheWrite());
    }
    return Json.obj(
        "prompt_tokens", t.inputTokens(),
        "completion_tokens", t.outputTokens(),
        "total_tokens", t.inputTokens() + t.outputTokens(),
        "prompt_tokens_details", prompt,
        "completion_tokens_details",
            Json.obj(
                "reasoning_tokens", t.outputReasoning(),
                "audio_tokens", t.outputAudio(),
                "accepted_prediction_tokens", 0,
                "rejected_prediction_tokens", 0));
  }

  /** Legacy Completions and batch lines of older snapshots: totals only, text only. */
  static Map<String, Object> legacyCompletion(ExportTokens t) {
    requireTextOnly(t);
    require(t.inputCached() == 0 && t.inputCacheWrite() == 0, "legacy completions report no cache");
    return Json.obj(
        "prompt_tokens", t.inputTokens(),
        "completion_tokens", t.outputTokens(),
        "total_tokens", t.inputTokens() + t.outputTokens());
  }

  /** Responses API {@code ResponseUsage}: no modality split at all, so text only. */
  static Map<String, Object> responses(ExportTokens t) {
    requireTextOnly(t);
    return Json.obj(
        "input_tokens", t.inputTokens(),
        "input_tokens_details",
            Json.obj("cached_tokens", t.inputCached(), "cache_write_tokens", t.inputCacheWrite()),
        "output_tokens", t.outputTokens(),
        "output_tokens_details", Json.obj("reasoning_tokens", t.outputReasoning()),
        "total_tokens", t.inputTokens() + t.outputTokens());
  }

  static Map<String, Object> embeddings(ExportTokens t) {
    require(t.inputTokens() == t.inputText() && t.outputTokens() == 0,
        "embeddings use uncached text input only");
    return Json.obj("prompt_tokens", t.inputText(), "total_tokens", t.inputText());
  }

  /** Token-billed transcription ({@code TranscriptTextUsageTokens}). */
  static Map<String, Object> transcriptionTokens(ExportTokens t) {
    require(t.inputCached() == 0 && t.inputCacheWrite() == 0 && t.inputImage() == 0,
        "transcription input is uncached text + audio");
    require(t.outputTokens() == t.outputText() && t.outputReasoning() == 0,
        "transcription output is text");
    return Json.obj(
        "type", "tokens",
        "input_tokens", t.inputTokens(),
        "input_token_details", Json.obj("text_tokens", t.inputText(), "audio_tokens", t.inputAudio()),
        "output_tokens", t.outputTokens(),
        "total_tokens", t.inputTokens() + t.outputTokens());
  }

  static Map<String, Object> transcriptionDuration(double seconds) {
    return Json.obj("type", "duration", "seconds", seconds);
  }

  /** Speech SSE {@code speech.audio.done}: text in, audio out. */
  static Map<String, Object> speech(ExportTokens t) {
    require(t.inputTokens() == t.inputText() && t.outputTokens() == t.outputAudio(),
        "speech is text in, audio out");
    return Json.obj(
        "input_tokens", t.inputTokens(),
        "output_tokens", t.outputTokens(),
        "total_tokens", t.inputTokens() + t.outputTokens());
  }

  /** GPT image models ({@code ImageGenUsage}); no cached field exists, so none may be sent. */
  static Map<String, Object> images(ExportTokens t) {
    require(t.inputCached() == 0 && t.inputCacheWrite() == 0 && t.inputAudio() == 0,
        "image usage has text and image input only");
    require(t.outputAudio() == 0 && t.outputReasoning() == 0, "image output is image (+text)");
    return Json.obj(
        "total_tokens", t.inputTokens() + t.outputTokens(),
        "input_tokens", t.inputTokens(),
        "output_tokens", t.outputTokens(),
        "input_tokens_details", Json.obj("text_tokens", t.inputText(), "image_tokens", t.inputImage()),
        "output_tokens_details",
            Json.obj("image_tokens", t.outputImage(), "text_tokens", t.outputText()));
  }

  /**
   * Realtime {@code response.usage}: per-modality input counts <em>include</em> their cached part,
   * and the cached part is split by modality. No cache-write and no reasoning field exists.
   */
  static Map<String, Object> realtime(ExportTokens t) {
    require(t.inputCacheWrite() == 0 && t.outputReasoning() == 0 && t.outputImage() == 0,
        "realtime usage has no cache-write, reasoning or image-output field");
    return Json.obj(
        "total_tokens", t.inputTokens() + t.outputTokens(),
        "input_tokens", t.inputTokens(),
        "output_tokens", t.outputTokens(),
        "input_token_details", Json.obj(
            "text_tokens", t.inputText() + t.inputCachedText(),
            "audio_tokens", t.inputAudio() + t.inputCachedAudio(),
            "image_tokens", t.inputImage() + t.inputCachedImage(),
            "cached_tokens", t.inputCached(),
            "cached_tokens_details", Json.obj(
                "text_tokens", t.inputCachedText(),
                "audio_tokens", t.inputCachedAudio(),
                "image_tokens", t.inputCachedImage())),
        "output_token_details", Json.obj(
            "text_tokens", t.outputText(),
            "audio_tokens", t.outputAudio()));
  }

  private static void requireTextOnly(ExportTokens t) {
    require(t.inputAudio() == 0 && t.inputImage() == 0 && t.inputCachedAudio() == 0
            && t.inputCachedImage() == 0 && t.outputAudio() == 0 && t.outputImage() == 0,
        "this usage shape has no modality split; text only");
  }

  private static void require(boolean ok, String why) {
    if (!ok) {
      throw new IllegalArgumentException(why);
    }
  }
}
