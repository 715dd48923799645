package dev.tokenledger.simulator;

import java.util.Map;

/**
 * What the simulator knows about model names: the dated snapshot a response reports for an alias
 * (pricing keys on the snapshot, so clients must read it from the response, not the request), and
 * which traits drive the usage shape (reasoning, audio chat, token- vs duration-billed
 * transcription).
 */
final class Models {

  private Models() {}

  private static final Map<String, String> SNAPSHOTS =
      Map.ofEntries(
          Map.entry("gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
          Map.entry("gpt-4o", "gpt-4o-2024-08-06"),
          Map.entry("gpt-4.1", "gpt-4.1-2025-04-14"),
          Map.entry("gpt-4.1-mini", "gpt-4.1-mini-2025-04-14"),
          Map.entry("gpt-4.1-nano", "gpt-4.1-nano-2025-04-14"),
          Map.entry("gpt-5", "gpt-5-2025-08-07"),
          Map.entry("gpt-5-mini", "gpt-5-mini-2025-08-07"),
          Map.entry("gpt-5-nano", "gpt-5-nano-2025-08-07"),
          Map.entry("o3", "o3-2025-04-16"),
          Map.entry("o4-mini", "o4-mini-2025-04-16"),
          Map.entry("o3-mini", "o3-mini-2025-01-31"),
          Map.entry("gpt-4o-audio-preview", "gpt-4o-audio-preview-2024-12-17"),
          Map.entry("gpt-4o-mini-audio-preview", "gpt-4o-mini-audio-preview-2024-12-17"),
          Map.entry("gpt-audio", "gpt-audio-2025-08-28"),
          Map.entry("gpt-audio-mini", "gpt-audio-mini-2025-10-06"),
          Map.entry("gpt-realtime", "gpt-realtime-2025-08-28"),
          Map.entry("gpt-realtime-mini", "gpt-realtime-mini-2025-10-06"),
          Map.entry("gpt-4o-realtime-preview", "gpt-4o-realtime-preview-2024-12-17"),
          Map.entry("gpt-4o-mini-realtime-preview", "gpt-4o-mini-realtime-preview-2024-12-17"),
          Map.entry("gpt-3.5-turbo-instruct", "gpt-3.5-turbo-instruct"),
          Map.entry("gpt-3.5-turbo", "gpt-3.5-turbo-0125"),
          Map.entry("omni-moderation-latest", "omni-moderation-2024-09-26"),
          Map.entry("text-moderation-latest", "text-moderation-007"));

  /** The model name a response body reports for a requested name. Unknown names are echoed. */
  static String snapshot(String requested) {
    if (requested == null || requested.isEmpty()) {
      return "gpt-4o-mini-2024-07-18";
    }
    return SNAPSHOTS.getOrDefault(requested, requested);
  }

  /** o-series and GPT-5 family spend reasoning tokens (a subset of output text). */
  static boolean reasoning(String model) {
    String m = model == null ? "" : model;
    return m.startsWith("o1") || m.startsWith("o3") || m.startsWith("o4") || m.startsWith("gpt-5");
  }

  /** Chat models that take and produce audio inside Chat Completions. */
  static boolean audioChat(String model) {
    return model != null && model.contains("audio");
  }

  /** Transcription models billed in tokens; the rest (whisper-1, gpt-transcribe) by duration. */
  static boolean tokenBilledTranscription(String model) {
    return model != null && model.startsWith("gpt-4o") && model.contains("transcribe");
  }

  /** Maps a requested service tier to the one a response reports (fast appears as priority). */
  static String servedTier(Object requested) {
    if (!(requested instanceof String s)) {
      return "default";
    }
    return switch (s) {
      case "flex" -> "flex";
      case "priority", "fast" -> "priority";
      case "scale" -> "scale";
      default -> "default";
    };
  }
}
