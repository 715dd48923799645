package dev.tokenledger.fuzz;

import dev.tokenledger.simulator.OpenAiSimulator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real payloads the fuzz corpora start from: the response fixtures of the unit tests, and what
 * the OpenAI simulator answers to a set of requests (plain, streamed, fault scenarios, Realtime
 * conversations). Long content (base64 audio and images, embedding vectors) is shortened: the
 * fuzzer mutates structure, and short seeds run faster.
 */
public final class RealPayloads {

  /** One HTTP response body and how it was served. */
  public record Body(String name, String api, int httpStatus, String contentType, String request, byte[] bytes) {}

  /** The text messages of one Realtime connection, in order. */
  public record Conversation(String name, List<String> messages) {}

  private static final int LONG_STRING = 64;
  private static final Pattern LONG_JSON_STRING = Pattern.compile("\"([^\"\\\\]{" + LONG_STRING + ",})\"");
  private static final Pattern LONG_NUMBER_ARRAY = Pattern.compile("\\[(-?[0-9.e-]+,){8,}-?[0-9.e-]+\\]");

  private static List<Body> bodies;
  private static List<Conversation> conversations;

  private RealPayloads() {}

  public static synchronized List<Body> bodies() {
    if (bodies == null) {
      load();
    }
    return bodies;
  }

  public static synchronized List<Conversation> conversations() {
    if (conversations == null) {
      load();
    }
    return conversations;
  }

  private static void load() {
    List<Body> b = new ArrayList<>();
    List<Conversation> c = new ArrayList<>();
    fixtures(b, c);
    try (OpenAiSimulator sim = OpenAiSimulator.start(0)) {
      simulatorBodies(sim, b);
      simulatorConversations(sim, c);
    } catch (Exception e) {
      throw new IllegalStateException("could not collect the simulator's payloads", e);
    }
    bodies = List.copyOf(b);
    conversations = List.copyOf(c);
  }

  // ---- the unit tests' fixtures ----

  private static final String JSON = "application/json";
  private static final String SSE = "text/event-stream; charset=utf-8";
  private static final String STREAM_WITH_USAGE =
      "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}";

  private static void fixtures(List<Body> b, List<Conversation> c) {
    fixture(b, "chat-plain.json", "chat.completions", 200, JSON, null);
    fixture(b, "chat-details.json", "chat.completions", 200, JSON, null);
    fixture(b, "chat-audio.json", "chat.completions", 200, JSON, null);
    fixture(b, "azure-chat.json", "chat.completions", 200, JSON, null);
    fixture(b, "azure-chat-stream.sse", "chat.completions", 200, SSE, STREAM_WITH_USAGE);
    fixture(b, "chat-stream-include-usage.sse", "chat.completions", 200, SSE, STREAM_WITH_USAGE);
    fixture(b, "chat-stream-no-usage.sse", "chat.completions", 200, SSE, "{\"model\":\"m\",\"stream\":true}");
    fixture(b, "completions-legacy.json", "completions", 200, JSON, null);
    fixture(b, "embeddings.json", "embeddings", 200, JSON, null);
    fixture(b, "error-429.json", "chat.completions", 429, JSON, null);
    fixture(b, "images-generation.json", "images.generations", 200, JSON, null);
    fixture(b, "images-edit-stream.sse", "images.edits", 200, SSE, null);
    fixture(b, "moderations.json", "moderations", 200, JSON, null);
    fixture(b, "responses.json", "responses", 200, JSON, null);
    fixture(b, "responses-stream-completed.sse", "responses", 200, SSE, null);
    fixture(b, "responses-stream-failed.sse", "responses", 200, SSE, null);
    fixture(b, "responses-stream-incomplete.sse", "responses", 200, SSE, null);
    fixture(b, "speech-stream.sse", "audio.speech", 200, SSE, null);
    fixture(b, "transcription-duration.json", "audio.transcriptions", 200, JSON, null);
    fixture(b, "transcription-tokens.json", "audio.transcriptions", 200, JSON, null);
    fixture(b, "transcription-stream.sse", "audio.transcriptions", 200, SSE, null);
    fixture(b, "translation.json", "audio.translations", 200, JSON, null);
    fixture(b, "translation-verbose.json", "audio.translations", 200, JSON, null);
    fixture(b, "batch-output.jsonl", "batch.output", 200, "application/octet-stream", null);

    List<String> all = new ArrayList<>();
    for (String name : new String[] {
      "realtime-session-created.json", "realtime-session-updated-beta.json", "realtime-response-created.json",
      "realtime-rate-limits.json", "realtime-response-done-completed.json", "realtime-response-done-cancelled.json",
      "realtime-transcription-tokens.json", "realtime-transcription-duration.json", "realtime-error.json"}) {
      String message = new String(shorten(fixture(name)), StandardCharsets.UTF_8);
      c.add(new Conversation(name, List.of(message)));
      all.add(message);
    }
    c.add(new Conversation("realtime fixtures", all));
  }

  private static void fixture(List<Body> b, String name, String api, int status, String contentType, String request) {
    b.add(new Body(name, api, status, contentType, request, shorten(fixture(name))));
  }

  private static byte[] fixture(String name) {
    try (InputStream in = RealPayloads.class.getResourceAsStream("/fixtures/" + name)) {
      if (in == null) {
        throw new IllegalStateException("no fixture " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- the simulator's answers ----

  private static void simulatorBodies(OpenAiSimulator sim, List<Body> b) throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    String chat = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]%s}";
    String streamUsage = ",\"stream\":true,\"stream_options\":{\"include_usage\":true}";
    for (String model : new String[] {"gpt-4o-mini", "sim-unknown-fields", "sim-malformed", "sim-truncated"}) {
      post(client, sim, b, "chat.completions", "/chat/completions", String.format(chat, model, ""));
      post(client, sim, b, "chat.completions", "/chat/completions", String.format(chat, model, streamUsage));
    }
    post(client, sim, b, "chat.completions", "/chat/completions", String.format(chat, "gpt-4o-mini", ",\"stream\":true"));
    post(client, sim, b, "chat.completions", "/chat/completions", String.format(chat, "sim-cut-stream", streamUsage));
    post(client, sim, b, "chat.completions", "/chat/completions", String.format(chat, "sim-error-429", ""));
    String responses = "{\"model\":\"%s\",\"input\":\"hi\"%s}";
    for (String model : new String[] {"gpt-4.1-mini", "sim-unknown-fields", "sim-incomplete", "sim-failed"}) {
      post(client, sim, b, "responses", "/responses", String.format(responses, model, ""));
      post(client, sim, b, "responses", "/responses", String.format(responses, model, ",\"stream\":true"));
    }
    post(client, sim, b, "completions", "/completions", "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"hi\"}");
    post(client, sim, b, "completions", "/completions",
        "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"hi\"" + streamUsage + "}");
    post(client, sim, b, "embeddings", "/embeddings",
        "{\"model\":\"text-embedding-3-small\",\"input\":\"hi\",\"dimensions\":8}");
    post(client, sim, b, "images.generations", "/images/generations", "{\"model\":\"gpt-image-1\",\"prompt\":\"a fox\"}");
    post(client, sim, b, "audio.speech", "/audio/speech",
        "{\"model\":\"gpt-4o-mini-tts\",\"input\":\"hi\",\"voice\":\"alloy\",\"stream_format\":\"sse\"}");
    post(client, sim, b, "moderations", "/moderations", "{\"model\":\"omni-moderation-latest\",\"input\":\"hi\"}");
    HttpResponse<InputStream> batch = client.send(
        HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/files/file-fuzz/content"))
            .header("Authorization", "Bearer sk-fuzz").GET().build(),
        HttpResponse.BodyHandlers.ofInputStream());
    add(b, "simulator batch output", "batch.output", null, batch);
  }

  private static void post(HttpClient client, OpenAiSimulator sim, List<Body> b, String api, String route,
      String request) throws Exception {
    HttpResponse<InputStream> response = client.send(
        HttpRequest.newBuilder(URI.create(sim.baseUrl() + route))
            .header("Authorization", "Bearer sk-fuzz")
            .header("Content-Type", JSON)
            .timeout(Duration.ofSeconds(20))
            .POST(HttpRequest.BodyPublishers.ofString(request))
            .build(),
        HttpResponse.BodyHandlers.ofInputStream());
    add(b, "simulator " + route + " " + request, api, request, response);
  }

  /** The body as far as it came: the fault scenarios drop the connection mid-body. */
  private static void add(List<Body> b, String name, String api, String request, HttpResponse<InputStream> response) {
    String contentType = response.headers().firstValue("Content-Type").orElse("");
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try (InputStream in = response.body()) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        body.write(buffer, 0, n);
      }
    } catch (IOException cut) {
      // keep what arrived
    }
    b.add(new Body(name, api, response.statusCode(), contentType, request, shorten(body.toByteArray())));
  }

  /** Long strings and number arrays cut short; the structure around them is kept as sent. */
  static byte[] shorten(byte[] body) {
    String text = new String(body, StandardCharsets.UTF_8);
    Matcher m = LONG_JSON_STRING.matcher(text);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(sb, Matcher.quoteReplacement("\"" + m.group(1).substring(0, 24) + "\""));
    }
    m.appendTail(sb);
    text = LONG_NUMBER_ARRAY.matcher(sb.toString()).replaceAll("[0.25,-0.5,1e-3]");
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static void simulatorConversations(OpenAiSimulator sim, List<Conversation> c) throws Exception {
    List<String> messages = realtime(sim, "/v1/realtime?model=gpt-realtime", false,
        "plain", "unknown", "cached-audio", "no-usage", "malformed-usage", "failed", "incomplete");
    c.add(new Conversation("simulator realtime", messages));
    c.add(new Conversation("simulator realtime beta", realtime(sim, "/v1/realtime?model=gpt-4o-realtime-preview",
        true, "plain", "unknown")));
  }

  /** Opens a connection, asks for one response per scenario, and returns every text message. */
  private static List<String> realtime(OpenAiSimulator sim, String path, boolean beta, String... scenarios)
      throws Exception {
    LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
    WebSocket.Listener listener = new WebSocket.Listener() {
      private final StringBuilder message = new StringBuilder();

      @Override
      public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        message.append(data);
        if (last) {
          received.add(message.toString());
          message.setLength(0);
        }
        ws.request(1);
        return null;
      }

      @Override
      public CompletionStage<?> onBinary(WebSocket ws, java.nio.ByteBuffer data, boolean last) {
        ws.request(1);
        return null;
      }
    };
    WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder()
        .header("Authorization", "Bearer sk-fuzz");
    if (beta) {
      builder.header("OpenAI-Beta", "realtime=v1");
    }
    WebSocket ws = builder.buildAsync(URI.create(sim.realtimeUri() + path), listener).get(10, TimeUnit.SECONDS);
    List<String> messages = new ArrayList<>();
    try {
      awaitType(received, messages, "session.created");
      for (String scenario : scenarios) {
        String create = scenario.equals("plain")
            ? "{\"type\":\"response.create\"}"
            : "{\"type\":\"response.create\",\"response\":{\"metadata\":{\"sim\":\"" + scenario + "\"}}}";
        ws.sendText(create, true).get(10, TimeUnit.SECONDS);
        awaitType(received, messages, "response.done");
      }
    } finally {
      CompletableFuture<WebSocket> closed = ws.sendClose(WebSocket.NORMAL_CLOSURE, "done");
      closed.get(10, TimeUnit.SECONDS);
    }
    // The deltas (audio, transcript) are nearly all the traffic and all alike: a few of each kind stay.
    List<String> kept = new ArrayList<>();
    java.util.Map<String, Integer> deltas = new java.util.HashMap<>();
    for (String m : messages) {
      Matcher type = Pattern.compile("\"type\":\"([^\"]*\\.delta)\"").matcher(m);
      if (type.find() && deltas.merge(type.group(1), 1, Integer::sum) > 2) {
        continue;
      }
      kept.add(new String(shorten(m.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8));
    }
    return kept;
  }

  private static void awaitType(LinkedBlockingQueue<String> received, List<String> into, String type)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      String m = received.poll(100, TimeUnit.MILLISECONDS);
      if (m != null) {
        into.add(m);
        if (m.contains("\"type\":\"" + type + "\"")) {
          return;
        }
      }
    }
    throw new IllegalStateException("no " + type + " from the simulator");
  }
}
