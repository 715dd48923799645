package dev.tokenledger.simulator;

import dev.tokenledger.simulator.Reply.Outcome;
import dev.tokenledger.simulator.UsageShapes.ChatDetails;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import javax.imageio.ImageIO;

/**
 * Builds the response for each API route. Every handler first chooses export-vocabulary token
 * counts ({@link ExportTokens}), then writes the provider-shaped payload from them
 * ({@link UsageShapes}) and states the billing meaning as {@link Outcome}s.
 */
@SuppressWarnings("unchecked")
final class Endpoints {

  /** Size of the {@code sim-huge} content string: a response of about 50 MB. */
  static final int HUGE_CHARS = 50 * 1024 * 1024;

  static final int HUGE_CHOICES = 3;

  static final String GARBAGE = ",,\"choices\":[{\"message\":<!-- upstream timeout -->\u0000";

  private static final String[] WORDS = {
    "ledger", "token", "usage", "invoice", "model", "stream", "cache", "audio", "image", "batch",
    "billing", "export", "metric", "trace", "span", "record", "parity", "quota", "budget", "tier",
    "answer", "summary", "report", "quarter", "numbers", "request", "response", "window", "context",
    "prompt", "reply", "draft", "review", "signal", "latency", "cost", "project", "user", "key",
  };

  private record Route(String api, Function<SimRequest, Reply> handler) {}

  /** The API name of a route, or null for routes the simulator does not serve. */
  static String apiOf(String method, String route) {
    Route r = new Endpoints().route(method, route);
    return r == null ? null : r.api();
  }

  private Route route(String method, String route) {
    if (method.equals("POST")) {
      switch (route) {
        case "/chat/completions":
          return new Route("chat.completions", this::chat);
        case "/responses":
          return new Route("responses", this::responses);
        case "/completions":
          return new Route("completions", this::completions);
        case "/embeddings":
          return new Route("embeddings", this::embeddings);
        case "/audio/transcriptions":
          return new Route("audio.transcriptions", this::transcriptions);
        case "/audio/translations":
          return new Route("audio.translations", this::translations);
        case "/audio/speech":
          return new Route("audio.speech", this::speech);
        case "/images/generations":
          return new Route("images.generations", q -> images(q, "images.generations"));
        case "/images/edits":
          return new Route("images.edits", q -> images(q, "images.edits"));
        case "/moderations":
          return new Route("moderations", this::moderations);
        default:
          return null;
      }
    }
    if (method.equals("GET") && route.matches("/files/[^/]+/content")) {
      return new Route("batch.output", this::batchOutput);
    }
    return null;
  }

  /** Plans the reply for a request, fault scenarios included; null for unknown routes. */
  Reply dispatch(SimRequest q) {
    Route route = route(q.method, q.route);
    if (route == null) {
      return null;
    }
    String model = q.model() == null ? "" : q.model();
    switch (model) {
      case "sim-error-429":
        return error(q, route.api(), 429, "requests", "rate_limit_exceeded",
            "Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1. "
                + "Please try again in 20s.");
      case "sim-error-500":
        return error(q, route.api(), 500, "server_error", null,
            "The server had an error while processing your request. Sorry about that!");
      case "sim-cut-stream":
        q.forceStream = true;
        break;
      default:
        break;
    }
    if (needsJson(route.api()) && q.json == null) {
      return error(q, route.api(), 400, "invalid_request_error", null,
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
              + "using your HTTP library correctly.)");
    }
    if (needsForm(route.api()) && q.form == null) {
      return error(q, route.api(), 400, "invalid_request_error", null,
          "Invalid Content-Type header, expected multipart/form-data.");
    }
    Reply r = route.handler().apply(q);
    switch (model) {
      case "sim-malformed" -> malform(r);
      case "sim-truncated" -> truncate(r);
      case "sim-binary" -> binary(r, q);
      case "sim-cut-stream" -> cut(r);
      case "sim-slow-stream" -> r.delayMillis = r.chunked ? 50 : 0;
      default -> {}
    }
    return r;
  }

  private static boolean needsJson(String api) {
    return switch (api) {
      case "chat.completions", "responses", "completions", "embeddings", "audio.speech",
          "images.generations", "moderations" -> true;
      default -> false;
    };
  }

  private static boolean needsForm(String api) {
    return api.startsWith("audio.trans") || api.equals("images.edits");
  }

  // ---------------------------------------------------------------- Chat Completions

  static ExportTokens chatTokens(SplittableRandom r, String model, boolean imageInput) {
    boolean audio = Models.audioChat(model);
    long inText = 12 + r.nextInt(1500);
    long inAudio = audio ? 40 + r.nextInt(400) : 0;
    // GPT-4o-style image pricing: a base of 85 plus 170 per 512px tile.
    long inImage = imageInput ? 85 + 170L * (1 + r.nextInt(6)) : 0;
    // Prompt caching works in 128-token steps above 1024 tokens.
    long cachedText = r.nextInt(100) < 40 ? 1024 + 128L * r.nextInt(24) : 0;
    long cacheWrite = r.nextInt(100) < 25 ? 128 + r.nextInt(2048) : 0;
    long outText = audio ? 10 + r.nextInt(80) : 5 + r.nextInt(900);
    long outAudio = audio ? 30 + r.nextInt(500) : 0;
    long reasoning = Models.reasoning(model) ? outText * (10 + r.nextInt(70)) / 100 : 0;
    return new ExportTokens(inText, inAudio, inImage, cachedText, 0, 0, cacheWrite, outText,
        outAudio, 0, reasoning);
  }

  private Reply chat(SimRequest q) {
    Map<String, Object> b = q.json;
    String reqModel = q.model();
    String model = Models.snapshot(reqModel);
    boolean stream = q.forceStream || Boolean.TRUE.equals(b.get("stream"));
    boolean includeUsage =
        q.forceStream || Boolean.TRUE.equals(Json.path(b, "stream_options", "include_usage"));
    boolean huge = "sim-huge".equals(reqModel) && !stream;
    boolean unknown = "sim-unknown-fields".equals(reqModel);
    String tier = Models.servedTier(b.get("service_tier"));
    SplittableRandom r = q.usageRng;
    ExportTokens t;
    String content;
    if (huge) {
      // Three choices of ~16.7 MB: each string stays under the 20 M-character limit of Jackson's
      // default StreamReadConstraints, so SDK apps (openai-java) still read the whole body.
      content = hugeText(q.textRng, HUGE_CHARS / HUGE_CHOICES);
      t = new ExportTokens(20 + r.nextInt(200), 0, 0, 0, 0, 0, 0,
          (long) HUGE_CHOICES * content.length() / 4, 0, 0, 0);
    } else {
      t = chatTokens(r, reqModel, q.bodyText().contains("\"image_url\""));
      content = words(q.textRng, (int) Math.min(40, Math.max(1, t.outputText() - t.outputReasoning())));
    }
    ChatDetails details =
        new ChatDetails(r.nextBoolean(), t.inputImage() > 0 || r.nextBoolean(),
            t.inputCacheWrite() > 0 || r.nextBoolean());
    String id = "chatcmpl-" + alnum(q.idRng, 29);
    long created = Instant.now().getEpochSecond();
    String fingerprint = "fp_" + hex(q.idRng, 10);
    Reply reply = new Reply();
    if (!stream) {
      Map<String, Object> message =
          Json.obj("role", "assistant", "content", content, "refusal", null, "annotations", List.of());
      if (Models.audioChat(reqModel)) {
        message.put("content", null);
        message.put("audio", Json.obj(
            "id", "audio_" + hex(q.idRng, 32),
            "data", Base64.getEncoder().encodeToString(fakeAudio(q.textRng, 3000)),
            "expires_at", created + 3600,
            "transcript", content));
      }
      Map<String, Object> choice =
          Json.obj("index", 0, "message", message, "logprobs", null, "finish_reason", "stop");
      if (q.azure) {
        choice.put("content_filter_results", azureFilterResults());
      }
      List<Object> choices = Json.arr(choice);
      for (int i = 1; huge && i < HUGE_CHOICES; i++) {
        choices.add(Json.obj("index", i, "message", Json.obj("role", "assistant", "content", content,
            "refusal", null, "annotations", List.of()), "logprobs", null, "finish_reason", "stop"));
      }
      Map<String, Object> body = Json.obj(
          "id", id, "object", "chat.completion", "created", created, "model", model,
          "choices", choices);
      if (q.azure) {
        body.put("prompt_filter_results",
            Json.arr(Json.obj("prompt_index", 0, "content_filter_results", azureFilterResults())));
      }
      Map<String, Object> usage = UsageShapes.chat(t, details);
      if (huge) {
        // The parser must reach usage after ~50 MB of content: put it at the very end.
        body.put("service_tier", tier);
        body.put("system_fingerprint", fingerprint);
        body.put("usage", usage);
      } else {
        body.put("usage", usage);
        body.put("service_tier", tier);
        body.put("system_fingerprint", fingerprint);
      }
      if (unknown) {
        decorateUnknown(body, 0);
        ((Map<String, Object>) firstOf(body.get("choices")))
            .put("usage", Json.obj("prompt_tokens", 777777, "completion_tokens", 888888,
                "total_tokens", 1666665));
      }
      reply.add(Json.write(body));
    } else {
      reply.chunked = true;
      reply.contentType = "text/event-stream; charset=utf-8";
      Function<List<Object>, Map<String, Object>> chunk = choices -> {
        Map<String, Object> c = Json.obj(
            "id", id, "object", "chat.completion.chunk", "created", created, "model", model,
            "service_tier", tier, "system_fingerprint", fingerprint, "choices", choices);
        if (includeUsage) {
          c.put("usage", null);
        }
        c.put("obfuscation", alnum(q.textRng, 1 + q.textRng.nextInt(12)));
        if (unknown) {
          decorateUnknown(c, 0);
        }
        return c;
      };
      if (q.azure) {
        // Azure opens with an annotation-only chunk: empty choices, empty id (docs/token-vocabulary.md#chat-completions-and-legacy-completions).
        reply.add(sse(Json.obj("choices", List.of(), "created", 0, "id", "", "model", "",
            "object", "", "prompt_filter_results",
            Json.arr(Json.obj("prompt_index", 0, "content_filter_results", azureFilterResults())))));
      }
      reply.add(sse(chunk.apply(Json.arr(Json.obj("index", 0,
          "delta", Json.obj("role", "assistant", "content", "", "refusal", null),
          "logprobs", null, "finish_reason", null)))));
      for (String piece : pieces(content)) {
        reply.add(sse(chunk.apply(Json.arr(Json.obj("index", 0,
            "delta", Json.obj("content", piece), "logprobs", null, "finish_reason", null)))));
      }
      reply.add(sse(chunk.apply(Json.arr(Json.obj("index", 0, "delta", Json.obj(),
          "logprobs", null, "finish_reason", "stop")))));
      if (includeUsage) {
        Map<String, Object> last = chunk.apply(List.of());
        last.put("usage", UsageShapes.chat(t, details));
        reply.add(sse(last));
      }
      reply.add("data: [DONE]\n\n");
    }
    boolean reported = !stream || includeUsage;
    reply.outcomes.add(new Outcome(id, "chat.completions", model, reqModel,
        reported ? "reported" : "missing", reported ? t : ExportTokens.ZERO, 0, 0, tier, false,
        stream, null));
    return reply;
  }

  // ---------------------------------------------------------------- Responses

  static ExportTokens responsesTokens(SplittableRandom r, String model) {
    long inText = 30 + r.nextInt(3000);
    long cachedText = r.nextInt(100) < 45 ? 1024 + 128L * r.nextInt(32) : 0;
    long cacheWrite = r.nextInt(100) < 30 ? 128 + r.nextInt(4096) : 0;
    long outText = 10 + r.nextInt(1500);
    long reasoning = Models.reasoning(model) ? outText * (20 + r.nextInt(70)) / 100 : 0;
    return new ExportTokens(inText, 0, 0, cachedText, 0, 0, cacheWrite, outText, 0, 0, reasoning);
  }

  private Reply responses(SimRequest q) {
    Map<String, Object> b = q.json;
    String reqModel = q.model();
    String model = Models.snapshot(reqModel);
    boolean stream = q.forceStream || Boolean.TRUE.equals(b.get("stream"));
    boolean unknown = "sim-unknown-fields".equals(reqModel);
    String tier = Models.servedTier(b.get("service_tier"));
    String status = switch (reqModel == null ? "" : reqModel) {
      case "sim-incomplete" -> "incomplete";
      case "sim-failed" -> "failed";
      default -> "completed";
    };
    ExportTokens t = responsesTokens(q.usageRng, reqModel);
    String text = words(q.textRng, (int) Math.min(40, Math.max(1, t.outputText() - t.outputReasoning())));
    String id = "resp_" + hex(q.idRng, 48);
    String msgId = "msg_" + hex(q.idRng, 48);
    String rsId = "rs_" + hex(q.idRng, 48);
    long createdAt = Instant.now().getEpochSecond();
    boolean reasoning = t.outputReasoning() > 0;

    Function<String, Map<String, Object>> messageItem = itemStatus -> Json.obj(
        "id", msgId, "type", "message", "status", itemStatus,
        "content", itemStatus.equals("in_progress") ? List.of()
            : Json.arr(Json.obj("type", "output_text", "annotations", List.of(),
                "logprobs", List.of(), "text", text)),
        "role", "assistant");
    Map<String, Object> reasoningItem = Json.obj("id", rsId, "type", "reasoning", "summary", List.of());

    // The full response object at a given state; usage only on terminal states.
    Function<String, Map<String, Object>> responseAt = st -> {
      boolean terminal = !st.equals("in_progress");
      List<Object> output = new ArrayList<>();
      if (terminal) {
        if (reasoning) {
          output.add(reasoningItem);
        }
        if (!st.equals("failed")) {
          output.add(messageItem.apply(st.equals("completed") ? "completed" : "incomplete"));
        }
      }
      Map<String, Object> o = Json.obj(
          "id", id, "object", "response", "created_at", createdAt, "status", st,
          "background", false);
      if (st.equals("completed")) {
        o.put("completed_at", createdAt + 1 + t.outputTokens() / 200);
      }
      o.put("error", st.equals("failed")
          ? Json.obj("code", "server_error", "message", "The model failed to generate a response.")
          : null);
      o.put("incomplete_details",
          st.equals("incomplete") ? Json.obj("reason", "max_output_tokens") : null);
      o.put("instructions", null);
      o.put("max_output_tokens", st.equals("incomplete") ? t.outputTokens() : null);
      o.put("max_tool_calls", null);
      o.put("model", model);
      o.put("output", output);
      o.put("parallel_tool_calls", true);
      o.put("previous_response_id", null);
      o.put("prompt_cache_key", null);
      o.put("reasoning", Json.obj("effort", reasoning ? "medium" : null, "summary", null));
      o.put("safety_identifier", null);
      o.put("service_tier", tier);
      o.put("store", true);
      o.put("temperature", 1.0);
      o.put("text", Json.obj("format", Json.obj("type", "text"), "verbosity", "medium"));
      o.put("tool_choice", "auto");
      o.put("tools", List.of());
      o.put("top_logprobs", 0);
      o.put("top_p", 1.0);
      o.put("truncation", "disabled");
      Map<String, Object> usage = terminal ? UsageShapes.responses(t) : null;
      o.put("usage", usage);
      o.put("user", null);
      o.put("metadata", Json.obj());
      if (unknown) {
        decorateUnknown(o, 0);
        if (!output.isEmpty()) {
          ((Map<String, Object>) output.get(0)).put("usage",
              Json.obj("input_tokens", 777777, "output_tokens", 888888, "total_tokens", 1666665));
        }
      }
      return o;
    };

    Reply reply = new Reply();
    if (!stream) {
      reply.add(Json.write(responseAt.apply(status)));
    } else {
      reply.chunked = true;
      reply.contentType = "text/event-stream; charset=utf-8";
      int[] seq = {0};
      Function<Map<String, Object>, byte[]> ev = m -> {
        Map<String, Object> e = Json.obj("type", m.get("type"), "sequence_number", seq[0]++);
        m.forEach((k, v) -> {
          if (!k.equals("type")) {
            e.put(k, v);
          }
        });
        if (unknown) {
          e.put("x_sim_unknown_event", Json.obj("usage", Json.obj("input_tokens", 4242)));
        }
        return sseEvent((String) e.get("type"), e);
      };
      reply.add(ev.apply(Json.obj("type", "response.created", "response", responseAt.apply("in_progress"))));
      reply.add(ev.apply(Json.obj("type", "response.in_progress", "response", responseAt.apply("in_progress"))));
      int idx = 0;
      if (reasoning) {
        reply.add(ev.apply(Json.obj("type", "response.output_item.added", "output_index", idx, "item", reasoningItem)));
        reply.add(ev.apply(Json.obj("type", "response.output_item.done", "output_index", idx, "item", reasoningItem)));
        idx++;
      }
      if (!status.equals("failed")) {
        reply.add(ev.apply(Json.obj("type", "response.output_item.added", "output_index", idx,
            "item", messageItem.apply("in_progress"))));
        reply.add(ev.apply(Json.obj("type", "response.content_part.added", "item_id", msgId,
            "output_index", idx, "content_index", 0,
            "part", Json.obj("type", "output_text", "annotations", List.of(), "logprobs", List.of(), "text", ""))));
        for (String piece : pieces(text)) {
          reply.add(ev.apply(Json.obj("type", "response.output_text.delta", "item_id", msgId,
              "output_index", idx, "content_index", 0, "delta", piece, "logprobs", List.of(),
              "obfuscation", alnum(q.textRng, 1 + q.textRng.nextInt(12)))));
        }
        reply.add(ev.apply(Json.obj("type", "response.output_text.done", "item_id", msgId,
            "output_index", idx, "content_index", 0, "text", text, "logprobs", List.of())));
        reply.add(ev.apply(Json.obj("type", "response.content_part.done", "item_id", msgId,
            "output_index", idx, "content_index", 0,
            "part", Json.obj("type", "output_text", "annotations", List.of(), "logprobs", List.of(), "text", text))));
        reply.add(ev.apply(Json.obj("type", "response.output_item.done", "output_index", idx,
            "item", messageItem.apply(status.equals("completed") ? "completed" : "incomplete"))));
      }
      reply.add(ev.apply(Json.obj("type", "response." + status, "response", responseAt.apply(status))));
    }
    reply.outcomes.add(new Outcome(id, "responses", model, reqModel, "reported", t, 0, 0, tier,
        false, stream, null));
    return reply;
  }

  // ---------------------------------------------------------------- legacy Completions

  private Reply completions(SimRequest q) {
    Map<String, Object> b = q.json;
    String reqModel = q.model();
    String model = Models.snapshot(reqModel);
    boolean stream = q.forceStream || Boolean.TRUE.equals(b.get("stream"));
    boolean includeUsage =
        q.forceStream || Boolean.TRUE.equals(Json.path(b, "stream_options", "include_usage"));
    SplittableRandom r = q.usageRng;
    ExportTokens t = new ExportTokens(5 + r.nextInt(400), 0, 0, 0, 0, 0, 0, 5 + r.nextInt(300), 0, 0, 0);
    String text = words(q.textRng, (int) Math.min(40, t.outputText()));
    String id = "cmpl-" + alnum(q.idRng, 29);
    long created = Instant.now().getEpochSecond();
    Reply reply = new Reply();
    if (!stream) {
      reply.add(Json.write(Json.obj(
          "id", id, "object", "text_completion", "created", created, "model", model,
          "choices", Json.arr(Json.obj("text", text, "index", 0, "logprobs", null, "finish_reason", "stop")),
          "usage", UsageShapes.legacyCompletion(t))));
    } else {
      reply.chunked = true;
      reply.contentType = "text/event-stream; charset=utf-8";
      List<String> pieces = pieces(text);
      for (int i = 0; i < pieces.size(); i++) {
        Map<String, Object> c = Json.obj("id", id, "object", "text_completion", "created", created,
            "choices", Json.arr(Json.obj("text", pieces.get(i), "index", 0, "logprobs", null,
                "finish_reason", i == pieces.size() - 1 ? "stop" : null)),
            "model", model);
        if (includeUsage) {
          c.put("usage", null);
        }
        reply.add(sse(c));
      }
      if (includeUsage) {
        reply.add(sse(Json.obj("id", id, "object", "text_completion", "created", created,
            "choices", List.of(), "model", model, "usage", UsageShapes.legacyCompletion(t))));
      }
      reply.add("data: [DONE]\n\n");
    }
    boolean reported = !stream || includeUsage;
    reply.outcomes.add(new Outcome(id, "completions", model, reqModel,
        reported ? "reported" : "missing", reported ? t : ExportTokens.ZERO, 0, 0, null, false,
        stream, null));
    return reply;
  }

  // ---------------------------------------------------------------- Embeddings

  private Reply embeddings(SimRequest q) {
    Map<String, Object> b = q.json;
    String reqModel = q.model();
    String model = Models.snapshot(reqModel);
    List<Object> inputs = new ArrayList<>();
    Object in = b.get("input");
    if (in instanceof List<?> l && !l.isEmpty() && !(l.get(0) instanceof Number)) {
      inputs.addAll(l);
    } else if (in != null) {
      inputs.add(in);
    }
    long tokens = 0;
    for (Object i : inputs) {
      // A string costs about one token per four characters; a token array costs its length.
      tokens += i instanceof List<?> l ? l.size() : Math.max(1, (String.valueOf(i).length() + 3) / 4);
    }
    int dims = b.get("dimensions") instanceof Number n ? n.intValue()
        : (reqModel != null && reqModel.contains("3-large") ? 3072 : 1536);
    boolean base64 = "base64".equals(b.get("encoding_format"));
    List<Object> data = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      float[] v = unitVector(q.textRng, dims);
      Object encoded = v;
      if (base64) {
        ByteBuffer bb = ByteBuffer.allocate(4 * dims).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
          bb.putFloat(f);
        }
        encoded = Base64.getEncoder().encodeToString(bb.array());
      }
      data.add(Json.obj("object", "embedding", "index", i, "embedding", encoded));
    }
    ExportTokens t = new ExportTokens(tokens, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    Reply reply = new Reply();
    reply.add(Json.write(Json.obj("object", "list", "data", data, "model", model,
        "usage", UsageShapes.embeddings(t))));
    reply.outcomes.add(new Outcome(null, "embeddings", model, reqModel, "reported", t, 0, 0, null,
        false, false, null));
    return reply;
  }

  // ---------------------------------------------------------------- Audio

  private Reply transcriptions(SimRequest q) {
    Multipart f = q.form;
    String reqModel = q.model();
    String format = f.field("response_format") == null ? "json" : f.field("response_format");
    Multipart.Part file = f.part("file");
    double seconds = audioSeconds(file == null ? new byte[0] : file.data());
    boolean tokenBilled = Models.tokenBilledTranscription(reqModel);
    if (tokenBilled && !format.equals("json") && !format.equals("text")) {
      return error(q, "audio.transcriptions", 400, "invalid_request_error", "unsupported_value",
          "response_format '" + format + "' is not compatible with model '" + reqModel
              + "'. Use 'json' or 'text' instead.");
    }
    boolean stream = tokenBilled && format.equals("json")
        && (q.forceStream || "true".equalsIgnoreCase(f.field("stream")));
    SplittableRandom r = q.usageRng;
    String prompt = f.field("prompt");
    long promptTokens = prompt == null ? 0 : Math.max(1, (prompt.length() + 3) / 4);
    // gpt-4o-transcribe bills roughly ten audio tokens per second of input.
    long audioTokens = Math.max(1, Math.round(seconds * 10)) + r.nextInt(4);
    long outText = 1 + r.nextInt(40);
    ExportTokens t = tokenBilled
        ? new ExportTokens(promptTokens, audioTokens, 0, 0, 0, 0, 0, outText, 0, 0, 0)
        : ExportTokens.ZERO;
    // Duration-billed models report whole seconds, rounded up.
    double billedSeconds = tokenBilled ? 0 : Math.max(1, Math.ceil(seconds));
    Map<String, Object> usage = tokenBilled ? UsageShapes.transcriptionTokens(t)
        : UsageShapes.transcriptionDuration(billedSeconds);
    String text = words(q.textRng, 3 + (int) Math.min(40, outText));
    Reply reply = new Reply();
    String source = "reported";
    switch (format) {
      case "json" -> {
        if (stream) {
          reply.chunked = true;
          reply.contentType = "text/event-stream; charset=utf-8";
          for (String piece : pieces(text)) {
            reply.add(sse(Json.obj("type", "transcript.text.delta", "delta", piece, "logprobs", null)));
          }
          reply.add(sse(Json.obj("type", "transcript.text.done", "text", text, "logprobs", null,
              "usage", usage)));
        } else {
          reply.add(Json.write(Json.obj("text", text, "usage", usage)));
        }
      }
      case "verbose_json" -> reply.add(Json.write(Json.obj(
          "task", "transcribe", "language", "english", "duration", round2(seconds), "text", text,
          "segments", Json.arr(segment(text, seconds)), "usage", usage)));
      default -> {
        source = "missing";
        reply.contentType = "text/plain; charset=utf-8";
        reply.add(subtitle(format, text, seconds));
      }
    }
    boolean reported = source.equals("reported");
    reply.outcomes.add(new Outcome(null, "audio.transcriptions", reqModel, reqModel, source,
        reported ? t : ExportTokens.ZERO, reported ? billedSeconds : 0, 0, null, false, stream,
        null));
    return reply;
  }

  private Reply translations(SimRequest q) {
    Multipart f = q.form;
    String reqModel = q.model();
    String format = f.field("response_format") == null ? "json" : f.field("response_format");
    Multipart.Part file = f.part("file");
    double seconds = audioSeconds(file == null ? new byte[0] : file.data());
    String text = words(q.textRng, 5 + q.textRng.nextInt(30));
    Reply reply = new Reply();
    switch (format) {
      case "json" -> reply.add(Json.write(Json.obj("text", text)));
      // verbose_json names a duration but no usage object; billing stays a per-minute estimate.
      case "verbose_json" -> reply.add(Json.write(Json.obj(
          "task", "translate", "language", "english", "duration", round2(seconds), "text", text,
          "segments", Json.arr(segment(text, seconds)))));
      default -> {
        reply.contentType = "text/plain; charset=utf-8";
        reply.add(subtitle(format, text, seconds));
      }
    }
    reply.outcomes.add(new Outcome(null, "audio.translations", reqModel, reqModel, "missing",
        ExportTokens.ZERO, 0, 0, null, false, false, null));
    return reply;
  }

  private Reply speech(SimRequest q) {
    Map<String, Object> b = q.json;
    String reqModel = q.model();
    String input = b.get("input") instanceof String s ? s : "";
    long chars = input.codePointCount(0, input.length());
    String format = b.get("response_format") instanceof String s ? s : "mp3";
    boolean sse = "sse".equals(b.get("stream_format"))
        && reqModel != null && !reqModel.startsWith("tts-1");
    Reply reply = new Reply();
    reply.chunked = true;
    if (sse) {
      SplittableRandom r = q.usageRng;
      ExportTokens t = new ExportTokens(Math.max(1, (input.length() + 3) / 4), 0, 0, 0, 0, 0, 0, 0,
          50 + r.nextInt(400), 0, 0);
      reply.contentType = "text/event-stream; charset=utf-8";
      for (int i = 0; i < 3; i++) {
        reply.add(sse(Json.obj("type", "speech.audio.delta",
            "audio", Base64.getEncoder().encodeToString(fakeAudio(q.textRng, 2400)))));
      }
      reply.add(sse(Json.obj("type", "speech.audio.done", "usage", UsageShapes.speech(t))));
      reply.outcomes.add(new Outcome(null, "audio.speech", reqModel, reqModel, "reported", t, 0,
          chars, null, false, true, null));
      return reply;
    }
    reply.contentType = switch (format) {
      case "opus" -> "audio/ogg";
      case "aac" -> "audio/aac";
      case "flac" -> "audio/flac";
      case "wav" -> "audio/wav";
      case "pcm" -> "audio/pcm";
      default -> "audio/mpeg";
    };
    byte[] audio = format.equals("mp3")
        ? fakeMp3(q.textRng, (int) Math.min(400, 8 + chars / 4))
        : fakeAudio(q.textRng, (int) Math.min(160_000, 4000 + chars * 200));
    for (int off = 0; off < audio.length; off += 4096) {
      reply.add(java.util.Arrays.copyOfRange(audio, off, Math.min(audio.length, off + 4096)));
    }
    reply.outcomes.add(new Outcome(null, "audio.speech", reqModel, reqModel, "counted",
        ExportTokens.ZERO, 0, chars, null, false, false, null));
    return reply;
  }

  // ---------------------------------------------------------------- Images

  private Reply images(SimRequest q, String api) {
    boolean edit = api.equals("images.edits");
    String reqModel = q.model() == null ? "dall-e-2" : q.model();
    String prompt;
    int n;
    String size;
    String quality;
    int inputImages = 0;
    if (edit) {
      prompt = q.form.field("prompt");
      n = q.form.field("n") == null ? 1 : Integer.parseInt(q.form.field("n").trim());
      size = q.form.field("size");
      quality = q.form.field("quality");
      for (Multipart.Part p : q.form.parts()) {
        if (p.name().equals("image") || p.name().equals("image[]")) {
          inputImages++;
        }
      }
    } else {
      Map<String, Object> b = q.json;
      prompt = b.get("prompt") instanceof String s ? s : "";
      n = b.get("n") instanceof Number num ? num.intValue() : 1;
      size = b.get("size") instanceof String s ? s : null;
      quality = b.get("quality") instanceof String s ? s : null;
    }
    prompt = prompt == null ? "" : prompt;
    size = size == null || size.equals("auto") ? "1024x1024" : size;
    quality = quality == null || quality.equals("auto") ? "medium" : quality;
    n = Math.max(1, Math.min(n, 4));
    SplittableRandom r = q.usageRng;
    long inText = Math.max(1, (prompt.length() + 3) / 4) + 5 + r.nextInt(20);
    long inImage = inputImages == 0 ? 0 : inputImages * (194L + r.nextInt(130));
    boolean square = size.equals("1024x1024");
    long perImage = switch (quality) {
      case "low" -> square ? 272 : 408;
      case "high" -> square ? 4160 : 6240;
      default -> square ? 1056 : 1584;
    };
    ExportTokens t = new ExportTokens(inText, 0, inImage, 0, 0, 0, 0, 0, 0, perImage * n, 0);
    List<Object> data = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      data.add(Json.obj("b64_json", Base64.getEncoder().encodeToString(png(q.textRng))));
    }
    Reply reply = new Reply();
    reply.add(Json.write(Json.obj(
        "created", Instant.now().getEpochSecond(), "background", "opaque", "data", data,
        "output_format", "png", "quality", quality, "size", size, "usage", UsageShapes.images(t))));
    reply.outcomes.add(new Outcome(null, api, reqModel, reqModel, "reported", t, 0, 0, null, false,
        false, null));
    return reply;
  }

  // ---------------------------------------------------------------- Moderations

  private static final String[] MODERATION_CATEGORIES = {
    "harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
    "illicit/violent", "self-harm", "self-harm/intent", "self-harm/instructions", "sexual",
    "sexual/minors", "violence", "violence/graphic",
  };

  private Reply moderations(SimRequest q) {
    String reqModel = q.model() == null ? "omni-moderation-latest" : q.model();
    String model = Models.snapshot(reqModel);
    Object in = q.json.get("input");
    int count = in instanceof List<?> l ? Math.max(1, l.size()) : 1;
    List<Object> results = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Map<String, Object> cats = Json.obj();
      Map<String, Object> scores = Json.obj();
      Map<String, Object> types = Json.obj();
      for (String c : MODERATION_CATEGORIES) {
        cats.put(c, false);
        scores.put(c, q.textRng.nextDouble() * 1e-4);
        types.put(c, Json.arr("text"));
      }
      results.add(Json.obj("flagged", false, "categories", cats, "category_scores", scores,
          "category_applied_input_types", types));
    }
    String id = "modr-" + hex(q.idRng, 32);
    Reply reply = new Reply();
    reply.add(Json.write(Json.obj("id", id, "model", model, "results", results)));
    reply.outcomes.add(new Outcome(id, "moderations", model, reqModel, "reported",
        ExportTokens.ZERO, 0, 0, null, false, false, null));
    return reply;
  }

  // ---------------------------------------------------------------- Batch output file

  private Reply batchOutput(SimRequest q) {
    SplittableRandom r = q.usageRng;
    int lines = 3 + r.nextInt(3);
    String reqModel = "gpt-4.1-mini";
    String model = Models.snapshot(reqModel);
    Reply reply = new Reply();
    reply.contentType = "application/octet-stream";
    StringBuilder file = new StringBuilder();
    for (int i = 0; i < lines; i++) {
      long inText = 10 + r.nextInt(800);
      long cached = r.nextInt(100) < 30 ? 1024 + 128L * r.nextInt(8) : 0;
      long outText = 5 + r.nextInt(400);
      ExportTokens t = new ExportTokens(inText, 0, 0, cached, 0, 0, 0, outText, 0, 0, 0);
      String id = "chatcmpl-" + alnum(q.idRng, 29);
      String requestId = "req_" + hex(q.idRng, 32);
      Map<String, Object> body = Json.obj(
          "id", id, "object", "chat.completion", "created", Instant.now().getEpochSecond(),
          "model", model,
          "choices", Json.arr(Json.obj("index", 0,
              "message", Json.obj("role", "assistant", "content",
                  words(q.textRng, (int) Math.min(30, outText)), "refusal", null, "annotations", List.of()),
              "logprobs", null, "finish_reason", "stop")),
          "usage", UsageShapes.chat(t, new ChatDetails(false, false, false)),
          "service_tier", "default",
          "system_fingerprint", "fp_" + hex(q.idRng, 10));
      file.append(Json.write(Json.obj(
          "id", "batch_req_" + hex(q.idRng, 32),
          "custom_id", "request-" + (i + 1),
          "response", Json.obj("status_code", 200, "request_id", requestId, "body", body),
          "error", null)));
      file.append('\n');
      reply.outcomes.add(new Outcome(id, "batch.output", model, reqModel, "reported", t, 0, 0,
          "default", true, false, requestId));
    }
    reply.add(file.toString());
    return reply;
  }

  // ---------------------------------------------------------------- errors and faults

  static Reply error(SimRequest q, String api, int status, String type, String code, String msg) {
    Reply reply = new Reply();
    reply.status = status;
    reply.add(Json.write(Json.obj("error",
        Json.obj("message", msg, "type", type, "param", null, "code", code))));
    String model = q.model();
    reply.outcomes.add(new Outcome(null, api, model, model, "none", ExportTokens.ZERO, 0, 0, null,
        api.equals("batch.output"), false, null));
    return reply;
  }

  /** Cuts the body before its usage and appends garbage: invalid JSON, no usage to find. */
  private static void malform(Reply r) {
    String s = new String(r.body(), StandardCharsets.UTF_8);
    int at = s.indexOf("\"usage\"");
    if (at < 0) {
      at = s.length() / 2;
    }
    r.segments.clear();
    String sent = s.substring(0, at) + GARBAGE;
    r.add(sent);
    r.chunked = false;
    // The ground truth is what the body says: a tier written after the cut is never seen.
    r.outcomes.replaceAll(o -> o.withUsage("missing", ExportTokens.ZERO, 0).withTierIfSent(sent));
  }

  /** Declares the full length but stops before the usage. */
  private static void truncate(Reply r) {
    byte[] body = r.body();
    String s = new String(body, StandardCharsets.ISO_8859_1);
    int at = s.indexOf("\"usage\"");
    r.truncateAt = at > 0 ? at : body.length / 2;
    r.segments.clear();
    r.add(body);
    r.chunked = false;
    r.fault = Reply.Fault.TRUNCATE;
    String sent = s.substring(0, r.truncateAt);
    r.outcomes.replaceAll(o -> o.withUsage("missing", ExportTokens.ZERO, 0).withTierIfSent(sent));
  }

  private static void binary(Reply r, SimRequest q) {
    byte[] junk = new byte[2048];
    for (int i = 0; i < junk.length; i++) {
      junk[i] = (byte) q.textRng.nextInt(256);
    }
    junk[0] = (byte) 0x89; // never accidentally start like JSON
    r.segments.clear();
    r.add(junk);
    r.chunked = false;
    r.contentType = "application/json";
    r.outcomes.replaceAll(o -> o.withoutBody("missing"));
  }

  /** Drops the connection mid-stream, before the usage-bearing event. */
  private static void cut(Reply r) {
    if (!r.chunked || r.segments.size() < 2) {
      byte[] body = r.body();
      r.segments.clear();
      r.add(java.util.Arrays.copyOf(body, body.length / 2));
      r.add(java.util.Arrays.copyOfRange(body, body.length / 2, body.length));
      r.chunked = true;
    }
    int firstUsage = r.segments.size();
    for (int i = 0; i < r.segments.size(); i++) {
      if (new String(r.segments.get(i), StandardCharsets.UTF_8).contains("\"usage\":{")) {
        firstUsage = i;
        break;
      }
    }
    r.cutAfterSegments = Math.max(1, Math.min(firstUsage, r.segments.size() / 2));
    r.fault = Reply.Fault.CUT;
    r.outcomes.replaceAll(o -> o.withUsage("missing", ExportTokens.ZERO, 0));
  }

  /**
   * Adds unknown fields to every object of a payload, so a parser that only knows today's schema is
   * exercised on tomorrow's.
   */
  @SuppressWarnings("unchecked")
  static void decorateUnknown(Object node, int depth) {
    if (node instanceof Map<?, ?> m) {
      for (Object v : new ArrayList<>(m.values())) {
        decorateUnknown(v, depth + 1);
      }
      ((Map<String, Object>) m).put("x_sim_unknown_" + depth,
          Json.obj("flag", true, "list", Json.arr(1, Json.obj("a", null)), "note", "ignore me"));
    } else if (node instanceof List<?> l) {
      for (Object v : l) {
        decorateUnknown(v, depth + 1);
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  @SuppressWarnings("unchecked")
  private static Map<String, Object> firstOf(Object list) {
    return (Map<String, Object>) ((List<Object>) list).get(0);
  }

  private static Map<String, Object> azureFilterResults() {
    Map<String, Object> m = Json.obj();
    for (String c : new String[] {"hate", "self_harm", "sexual", "violence"}) {
      m.put(c, Json.obj("filtered", false, "severity", "safe"));
    }
    return m;
  }

  static byte[] sse(Object json) {
    return ("data: " + Json.write(json) + "\n\n").getBytes(StandardCharsets.UTF_8);
  }

  static byte[] sseEvent(String type, Object json) {
    return ("event: " + type + "\ndata: " + Json.write(json) + "\n\n").getBytes(StandardCharsets.UTF_8);
  }

  static String alnum(SplittableRandom r, int n) {
    String abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      sb.append(abc.charAt(r.nextInt(abc.length())));
    }
    return sb.toString();
  }

  static String hex(SplittableRandom r, int n) {
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      sb.append(Character.forDigit(r.nextInt(16), 16));
    }
    return sb.toString();
  }

  static String words(SplittableRandom r, int n) {
    // Every completion opens with the marker, so a test can prove no completion text is exported.
    StringBuilder sb = new StringBuilder(OpenAiSimulator.COMPLETION_MARKER).append(' ');
    for (int i = 0; i < n; i++) {
      String w = WORDS[r.nextInt(WORDS.length)];
      if (i == 0) {
        w = Character.toUpperCase(w.charAt(0)) + w.substring(1);
      }
      sb.append(i == 0 ? "" : " ").append(w);
    }
    return sb.append('.').toString();
  }

  /** Splits text into stream deltas of one or two words, keeping every character. */
  static List<String> pieces(String text) {
    List<String> out = new ArrayList<>();
    String[] w = text.split("(?<= )");
    for (int i = 0; i < w.length; i += 2) {
      out.add(i + 1 < w.length ? w[i] + w[i + 1] : w[i]);
    }
    return out;
  }

  private static String hugeText(SplittableRandom r, int chars) {
    StringBuilder sb = new StringBuilder(chars + 16);
    while (sb.length() < chars) {
      sb.append(WORDS[r.nextInt(WORDS.length)]).append(' ');
    }
    sb.setLength(chars);
    return sb.toString();
  }

  private static float[] unitVector(SplittableRandom r, int dims) {
    float[] v = new float[dims];
    double norm = 0;
    for (int i = 0; i < dims; i++) {
      double g = r.nextGaussian();
      v[i] = (float) g;
      norm += g * g;
    }
    double inv = 1.0 / Math.sqrt(norm);
    for (int i = 0; i < dims; i++) {
      v[i] = (float) (v[i] * inv);
    }
    return v;
  }

  /** Length of a WAV's data in seconds; other containers are estimated at 128 kbit/s. */
  static double audioSeconds(byte[] d) {
    if (d.length >= 12 && ascii(d, 0, 4).equals("RIFF") && ascii(d, 8, 4).equals("WAVE")) {
      int p = 12;
      long byteRate = 0;
      while (p + 8 <= d.length) {
        String id = ascii(d, p, 4);
        long size = le32(d, p + 4);
        if (id.equals("fmt ") && p + 16 <= d.length) {
          byteRate = le32(d, p + 16);
        } else if (id.equals("data")) {
          long len = Math.min(size, d.length - p - 8L);
          return byteRate > 0 ? len / (double) byteRate : 0;
        }
        p += 8 + (int) size + (int) (size & 1);
      }
    }
    return d.length / 16000.0;
  }

  private static String ascii(byte[] d, int off, int len) {
    return new String(d, off, len, StandardCharsets.ISO_8859_1);
  }

  private static long le32(byte[] d, int off) {
    if (off + 4 > d.length) {
      return 0;
    }
    return (d[off] & 0xffL) | (d[off + 1] & 0xffL) << 8 | (d[off + 2] & 0xffL) << 16
        | (d[off + 3] & 0xffL) << 24;
  }

  private static double round2(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static Map<String, Object> segment(String text, double seconds) {
    return Json.obj("id", 0, "seek", 0, "start", 0.0, "end", round2(seconds), "text", " " + text,
        "tokens", Json.arr(50364, 2421, 50414), "temperature", 0.0, "avg_logprob", -0.31,
        "compression_ratio", 1.21, "no_speech_prob", 0.012);
  }

  private static String subtitle(String format, String text, double seconds) {
    int s = (int) Math.max(1, Math.ceil(seconds));
    return switch (format) {
      case "srt" -> String.format(Locale.ROOT, "1\n00:00:00,000 --> 00:00:%02d,000\n%s\n\n", s, text);
      case "vtt" -> String.format(Locale.ROOT, "WEBVTT\n\n00:00:00.000 --> 00:00:%02d.000\n%s\n\n", s, text);
      default -> text + "\n";
    };
  }

  /** Noise-like bytes standing in for encoded audio. */
  static byte[] fakeAudio(SplittableRandom r, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) r.nextInt(256);
    }
    return b;
  }

  /** MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz): 417 bytes each, with valid frame headers. */
  static byte[] fakeMp3(SplittableRandom r, int frames) {
    byte[] b = new byte[frames * 417];
    for (int f = 0; f < frames; f++) {
      int o = f * 417;
      b[o] = (byte) 0xFF;
      b[o + 1] = (byte) 0xFB;
      b[o + 2] = (byte) 0x90;
      b[o + 3] = (byte) 0x64;
      for (int i = 4; i < 417; i++) {
        b[o + i] = (byte) (r.nextInt(8) == 0 ? r.nextInt(256) : 0x55);
      }
    }
    return b;
  }

  /** A small noisy PNG: a real image file, a few KB, as the Images API returns in b64_json. */
  static byte[] png(SplittableRandom r) {
    int w = 40;
    BufferedImage img = new BufferedImage(w, w, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < w; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, r.nextInt(0x1000000));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (ImageIO.write(img, "png", out)) {
        return out.toByteArray();
      }
    } catch (IOException | RuntimeException e) {
      // fall through: a headless JVM without image support still gets PNG-looking bytes
    }
    byte[] b = fakeAudio(r, 4096);
    byte[] sig = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    System.arraycopy(sig, 0, b, 0, sig.length);
    return b;
  }
}
