package dev.tokenledger.simulator;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the simulator knows it sent for one billable unit: one HTTP response, or one line of a batch
 * output file. Token numbers are the ones the simulator chose before writing the provider-shaped
 * usage JSON, so they are the yardstick for everything downstream.
 *
 * @param responseId the id in the body ({@code chatcmpl-…}, {@code resp_…}, {@code cmpl-…},
 *     {@code modr-…}); null where the API's body has no id (embeddings, audio, images, faults
 *     without a parseable body)
 * @param requestId the {@code x-request-id} response header; for batch output lines the line's own
 *     {@code response.request_id} (the id of the original request that was billed)
 * @param api one of {@code chat.completions, responses, completions, embeddings,
 *     audio.transcriptions, audio.translations, audio.speech, images.generations, images.edits,
 *     moderations, batch.output, realtime, realtime.transcription}
 * @param model the model the body names (a dated snapshot such as {@code gpt-4o-mini-2024-07-18});
 *     the request's model where the body names none (audio, images)
 * @param requestModel the model the request asked for (the deployment name for Azure deployment URLs)
 * @param usageSource {@code reported}, {@code missing} (usage should be there but is not readable),
 *     {@code counted} (audio.speech: billed by input characters) or {@code none} (error responses)
 * @param tokens all 15 export fields of {@link ExportTokens#FIELDS}, zeros included
 * @param audioSeconds seconds reported by duration-billed transcription, else 0
 * @param inputCharacters code points of the speech request's {@code input}, else 0
 * @param serviceTier the {@code service_tier} the body reports; null when the API reports none, or
 *     when the bytes sent stop before it (malformed and truncated bodies)
 * @param project the request's {@code OpenAI-Project} header, null when absent
 * @param bodySha256 hex SHA-256 of the logical body bytes sent (after removing any gzip); for
 *     truncated and cut responses, of the bytes that were actually sent
 * @param bodyLength length of those bytes
 * @param host the request's Host header without port (lets tests tell apart traffic sent to a host
 *     that is not configured as OpenAI)
 * @param status Realtime only: the response's {@code status} ({@code completed}, {@code cancelled},
 *     {@code failed}, {@code incomplete}; {@code incomplete} also for a response whose connection
 *     dropped before its {@code response.done}), {@code completed} for a transcription, {@code error}
 *     for an {@code error} event; null for HTTP
 * @param sessionId Realtime only: the server session id ({@code sess_…}) the unit belongs to
 * @param connectionId Realtime only: the simulator's id of the WebSocket connection that carried it
 *     ({@code ws-N}, N counting connections since the simulator started), to group units per
 *     connection; see {@link RealtimeConnectionTruth}
 */
public record GroundTruth(
    String responseId,
    String requestId,
    String api,
    String model,
    String requestModel,
    int httpStatus,
    String usageSource,
    Map<String, Long> tokens,
    double audioSeconds,
    long inputCharacters,
    String serviceTier,
    boolean batch,
    boolean streamed,
    String project,
    String bodySha256,
    long bodyLength,
    Instant time,
    String host,
    String status,
    String sessionId,
    String connectionId) {

  public GroundTruth {
    tokens = Collections.unmodifiableMap(new LinkedHashMap<>(tokens));
  }

  /** An HTTP unit: no Realtime status, session or connection. */
  public GroundTruth(
      String responseId,
      String requestId,
      String api,
      String model,
      String requestModel,
      int httpStatus,
      String usageSource,
      Map<String, Long> tokens,
      double audioSeconds,
      long inputCharacters,
      String serviceTier,
      boolean batch,
      boolean streamed,
      String project,
      String bodySha256,
      long bodyLength,
      Instant time,
      String host) {
    this(responseId, requestId, api, model, requestModel, httpStatus, usageSource, tokens, audioSeconds,
        inputCharacters, serviceTier, batch, streamed, project, bodySha256, bodyLength, time, host, null,
        null, null);
  }

  /** True for the Realtime APIs ({@code realtime}, {@code realtime.transcription}). */
  public boolean realtime() {
    return api.startsWith("realtime");
  }

  /** One export field, e.g. {@code token("input_cached_text_tokens")}. */
  public long token(String field) {
    Long v = tokens.get(field);
    if (v == null) {
      throw new IllegalArgumentException("unknown token field " + field);
    }
    return v;
  }

  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("responseId", responseId);
    m.put("requestId", requestId);
    m.put("api", api);
    m.put("model", model);
    m.put("requestModel", requestModel);
    m.put("httpStatus", httpStatus);
    m.put("usageSource", usageSource);
    m.put("tokens", new LinkedHashMap<String, Object>(tokens));
    m.put("audioSeconds", audioSeconds);
    m.put("inputCharacters", inputCharacters);
    m.put("serviceTier", serviceTier);
    m.put("batch", batch);
    m.put("streamed", streamed);
    m.put("project", project);
    m.put("bodySha256", bodySha256);
    m.put("bodyLength", bodyLength);
    m.put("time", time.toString());
    m.put("host", host);
    m.put("status", status);
    m.put("sessionId", sessionId);
    m.put("connectionId", connectionId);
    return Json.write(m);
  }

  /** Reads a line written by {@link #toJson()} (e.g. from {@code GET /__simulator/ground-truth}). */
  @SuppressWarnings("unchecked")
  public static GroundTruth fromJson(String line) {
    Map<String, Object> m = (Map<String, Object>) Json.parse(line);
    Map<String, Long> tokens = new LinkedHashMap<>();
    ((Map<String, Object>) m.get("tokens"))
        .forEach((k, v) -> tokens.put(k, ((Number) v).longValue()));
    return new GroundTruth(
        (String) m.get("responseId"),
        (String) m.get("requestId"),
        (String) m.get("api"),
        (String) m.get("model"),
        (String) m.get("requestModel"),
        ((Number) m.get("httpStatus")).intValue(),
        (String) m.get("usageSource"),
        tokens,
        ((Number) m.get("audioSeconds")).doubleValue(),
        ((Number) m.get("inputCharacters")).longValue(),
        (String) m.get("serviceTier"),
        (Boolean) m.get("batch"),
        (Boolean) m.get("streamed"),
        (String) m.get("project"),
        (String) m.get("bodySha256"),
        ((Number) m.get("bodyLength")).longValue(),
        Instant.parse((String) m.get("time")),
        (String) m.get("host"),
        (String) m.get("status"),
        (String) m.get("sessionId"),
        (String) m.get("connectionId"));
  }

  /** Parses the JSON-lines document served at {@code GET /__simulator/ground-truth}. */
  public static List<GroundTruth> parseJsonLines(String text) {
    List<GroundTruth> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (!line.isBlank()) {
        out.add(fromJson(line.strip()));
      }
    }
    return out;
  }
}
