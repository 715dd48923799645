package dev.tokenledger.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scenario catalogue and, for the raw-transport clients, the exact HTTP call of each scenario.
 * Fault scenarios select the simulator's faults by model name, so every client triggers them the
 * same way it would call OpenAI.
 */
final class Scenarios {

  private Scenarios() {}

  /** Request bodies are written from insertion-ordered maps, compact, UTF-8. */
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Every scenario, in the order they run. */
  static final List<String> ALL = List.of(
      "chat", "chat-stream-usage", "chat-stream-no-usage", "chat-audio", "chat-image",
      "responses", "responses-stream", "completions", "embeddings",
      "transcription", "transcription-whisper", "transcription-text", "translation", "speech",
      "images", "moderations", "batch-output", "azure-chat",
      "malformed", "truncated", "cut-stream", "binary", "huge", "unknown-fields",
      "error-429", "error-500", "slow-stream", "gzip", "non-openai-host");

  /** The default run: everything but the 50 MB response, which is slow to repeat per client. */
  static final List<String> DEFAULT = ALL.stream().filter(s -> !s.equals("huge")).toList();

  /** How an app reads the response body of a call. */
  enum Kind {
    /** A JSON document, read whole. */
    JSON,
    /** Server-sent events, read line by line while they arrive. */
    SSE,
    /** Binary or large content, read through a buffer. */
    STREAM
  }

  record Form(Map<String, String> fields, String fileField, String fileName, String fileType, byte[] file) {}

  /** One HTTP call: everything a raw client needs to send it. */
  record Call(String method, URI uri, Map<String, String> headers, byte[] json, Form form, Kind kind) {}

  static final String FILE_ID = "file-demo-batch-output";
  static final String SYSTEM = "You are a terse assistant.";
  static final String PROMPT = "Give one sentence about token accounting.";
  static final String SPEECH_TEXT = "Your invoice for November is ready.";

  /** The chat model each chat-shaped scenario asks for. */
  static String chatModel(String scenario) {
    return switch (scenario) {
      case "malformed" -> "sim-malformed";
      case "truncated" -> "sim-truncated";
      case "cut-stream" -> "sim-cut-stream";
      case "binary" -> "sim-binary";
      case "huge" -> "sim-huge";
      case "unknown-fields" -> "sim-unknown-fields";
      case "error-429" -> "sim-error-429";
      case "error-500" -> "sim-error-500";
      case "slow-stream" -> "sim-slow-stream";
      case "chat-audio" -> "gpt-4o-audio-preview";
      default -> "gpt-4o-mini";
    };
  }

  /** Chat scenarios that stream, and whether they ask for the usage chunk. */
  static boolean chatStreams(String scenario) {
    return switch (scenario) {
      case "chat-stream-usage", "chat-stream-no-usage", "cut-stream", "slow-stream" -> true;
      default -> false;
    };
  }

  static boolean chatIncludesUsage(String scenario) {
    return !scenario.equals("chat-stream-no-usage");
  }

  /** {@code http://127.0.0.1:PORT/v1} → {@code http://localhost:PORT/v1}: same server, other name. */
  static String otherHostName(String baseUrl) {
    URI u = URI.create(baseUrl);
    if (!"127.0.0.1".equals(u.getHost())) {
      return null;
    }
    return baseUrl.replaceFirst("//127\\.0\\.0\\.1", "//localhost");
  }

  /** The raw HTTP call of a scenario. */
  static Call call(String scenario, DemoApp.Config cfg) {
    String base = trimSlash(cfg.baseUrl());
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Authorization", "Bearer " + cfg.apiKey());
    if (cfg.project() != null) {
      h.put("OpenAI-Project", cfg.project());
    }
    switch (scenario) {
      case "responses", "responses-stream" -> {
        Map<String, Object> b = obj("model", "gpt-5-mini", "instructions", SYSTEM, "input", PROMPT);
        boolean stream = scenario.endsWith("stream");
        if (stream) {
          b.put("stream", true);
        }
        return json(base + "/responses", h, b, stream ? Kind.SSE : Kind.JSON);
      }
      case "completions" -> {
        return json(base + "/completions", h,
            obj("model", "gpt-3.5-turbo-instruct", "prompt", PROMPT, "max_tokens", 64), Kind.JSON);
      }
      case "embeddings" -> {
        return json(base + "/embeddings", h, obj("model", "text-embedding-3-small",
            "input", List.of("token accounting", "usage ledger")), Kind.JSON);
      }
      case "transcription", "transcription-whisper", "transcription-text", "translation" -> {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("model", scenario.equals("transcription") ? "gpt-4o-transcribe" : "whisper-1");
        f.put("response_format", scenario.equals("transcription-text") ? "text" : "json");
        String path = scenario.equals("translation") ? "/audio/translations" : "/audio/transcriptions";
        return new Call("POST", URI.create(base + path), h, null,
            new Form(f, "file", "demo.wav", "audio/wav", Bodies.silenceWav()), Kind.JSON);
      }
      case "speech" -> {
        return json(base + "/audio/speech", h, obj("model", "gpt-4o-mini-tts", "voice", "alloy",
            "input", SPEECH_TEXT, "response_format", "mp3"), Kind.STREAM);
      }
      case "images" -> {
        return json(base + "/images/generations", h, obj("model", "gpt-image-1",
            "prompt", "A ledger book on a desk", "size", "1024x1024", "quality", "low"), Kind.JSON);
      }
      case "moderations" -> {
        return json(base + "/moderations", h,
            obj("model", "omni-moderation-latest", "input", PROMPT), Kind.JSON);
      }
      case "batch-output" -> {
        return new Call("GET", URI.create(base + "/files/" + FILE_ID + "/content"), h, null, null,
            Kind.STREAM);
      }
      case "azure-chat" -> {
        // Azure classic: deployment in the path, api-version query, key in the api-key header.
        String root = base.endsWith("/v1") ? base.substring(0, base.length() - 3) : base;
        h.remove("Authorization");
        h.put("api-key", cfg.apiKey());
        Map<String, Object> b = chatBody(scenario);
        b.remove("model");
        return json(root + "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21",
            h, b, Kind.JSON);
      }
      case "non-openai-host" -> {
        String other = otherHostName(base);
        if (other == null) {
          throw new IllegalStateException("non-openai-host needs a base URL on 127.0.0.1");
        }
        return json(other + "/chat/completions", h, chatBody(scenario), Kind.JSON);
      }
      case "gzip" -> {
        h.put("X-Sim-Gzip", "1");
        return json(base + "/chat/completions", h, chatBody(scenario), Kind.JSON);
      }
      default -> {
        if (!ALL.contains(scenario)) {
          throw new IllegalArgumentException("unknown scenario " + scenario);
        }
        return json(base + "/chat/completions", h, chatBody(scenario),
            chatStreams(scenario) ? Kind.SSE : Kind.JSON);
      }
    }
  }

  /** The Chat Completions request body of a chat-shaped scenario. */
  static Map<String, Object> chatBody(String scenario) {
    Map<String, Object> b = obj("model", chatModel(scenario));
    List<Object> messages = new ArrayList<>();
    messages.add(obj("role", "system", "content", SYSTEM));
    if (scenario.equals("chat-audio")) {
      b.put("modalities", List.of("text", "audio"));
      b.put("audio", obj("voice", "alloy", "format", "wav"));
      messages.add(obj("role", "user", "content", List.of(
          obj("type", "text", "text", PROMPT),
          obj("type", "input_audio", "input_audio",
              obj("data", Base64.getEncoder().encodeToString(Bodies.silenceWav()), "format", "wav")))));
    } else if (scenario.equals("chat-image")) {
      messages.add(obj("role", "user", "content", List.of(
          obj("type", "text", "text", PROMPT),
          obj("type", "image_url", "image_url", obj("url", pngDataUrl())))));
    } else {
      messages.add(obj("role", "user", "content", PROMPT));
    }
    b.put("messages", messages);
    if (chatStreams(scenario)) {
      b.put("stream", true);
      if (chatIncludesUsage(scenario)) {
        b.put("stream_options", obj("include_usage", true));
      }
    }
    return b;
  }

  static String pngDataUrl() {
    return "data:image/png;base64," + Base64.getEncoder().encodeToString(Bodies.tinyPng());
  }

  private static Call json(String url, Map<String, String> h, Map<String, Object> body, Kind kind) {
    Map<String, String> headers = new LinkedHashMap<>(h);
    headers.put("Content-Type", "application/json");
    return new Call("POST", URI.create(url), headers, body(body), null, kind);
  }

  /** A request body: compact JSON, UTF-8, maps in their order. */
  static byte[] body(Map<String, Object> body) {
    try {
      return JSON.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not writable as JSON: " + body, e);
    }
  }

  private static String trimSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  static Map<String, Object> obj(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }
}
