package dev.tokenledger.realtime;

import dev.tokenledger.usage.OpenAiEndpoint;
import java.util.Locale;

/**
 * Whether a WebSocket URI's path and query name an OpenAI Realtime endpoint, and what they say about
 * the session: {@code /v1/realtime} (query {@code model=…}, {@code call_id=…} for a sideband to a
 * WebRTC/SIP call, or {@code intent=transcription}), Azure's preview {@code /openai/realtime}
 * ({@code deployment=…&api-version=…}) and Azure's GA {@code /openai/v1/realtime}. Like the HTTP
 * endpoints, paths are matched on their last segments so a gateway prefix does not matter.
 * {@code /v1/realtime/translations} (billed per second, no usage events) and the HTTP side paths
 * ({@code /calls}, {@code /client_secrets}) are not Realtime WebSocket sessions. The host is checked by
 * the caller (the configured OpenAI hosts).
 */
public final class RealtimeEndpoint {

  private final String model;
  private final String azureDeployment;
  private final String azureApiVersion;
  private final String callId;
  private final boolean transcription;
  private final boolean azure;

  private RealtimeEndpoint(
      String model, String azureDeployment, String azureApiVersion, String callId, boolean transcription,
      boolean azure) {
    this.model = model;
    this.azureDeployment = azureDeployment;
    this.azureApiVersion = azureApiVersion;
    this.callId = callId;
    this.transcription = transcription;
    this.azure = azure;
  }

  /** The endpoint, or null when the path is not a Realtime WebSocket path. Never throws. */
  public static RealtimeEndpoint classify(String path, String rawQuery) {
    try {
      return classifyUnsafe(path, rawQuery);
    } catch (Throwable t) {
      return null;
    }
  }

  private static RealtimeEndpoint classifyUnsafe(String path, String rawQuery) {
    if (path == null) {
      return null;
    }
    String lower = path.toLowerCase(Locale.ROOT);
    int end = lower.length();
    while (end > 0 && lower.charAt(end - 1) == '/') {
      end--;
    }
    lower = lower.substring(0, end);
    boolean azureGa = lower.endsWith("/openai/v1/realtime");
    boolean azurePreview = lower.endsWith("/openai/realtime");
    boolean openai = lower.endsWith("/v1/realtime") || lower.equals("/realtime");
    if (!azureGa && !azurePreview && !openai) {
      return null;
    }
    String deployment = OpenAiEndpoint.queryParameter(rawQuery, "deployment");
    String apiVersion = OpenAiEndpoint.queryParameter(rawQuery, "api-version");
    String model = OpenAiEndpoint.queryParameter(rawQuery, "model");
    String intent = OpenAiEndpoint.queryParameter(rawQuery, "intent");
    return new RealtimeEndpoint(
        model != null ? model : deployment,
        deployment,
        apiVersion,
        OpenAiEndpoint.queryParameter(rawQuery, "call_id"),
        "transcription".equalsIgnoreCase(intent),
        azureGa || azurePreview || apiVersion != null || deployment != null);
  }

  /** The model the URL asks for ({@code model=}, else Azure's {@code deployment=}); null when absent. */
  public String requestModel() {
    return model;
  }

  /** Azure's {@code deployment=} query parameter, else null. */
  public String azureDeployment() {
    return azureDeployment;
  }

  /** Azure's {@code api-version=} query parameter, else null. */
  public String azureApiVersion() {
    return azureApiVersion;
  }

  /** The call a sideband connection joins ({@code call_id=}); null for ordinary sessions. */
  public String callId() {
    return callId;
  }

  /** True for {@code intent=transcription}: only input transcriptions are billed. */
  public boolean transcriptionIntent() {
    return transcription;
  }

  /** True for Azure OpenAI's realtime paths. */
  public boolean isAzure() {
    return azure;
  }

  @Override
  public String toString() {
    return "realtime" + (model != null ? " " + model : "") + (callId != null ? " (sideband)" : "")
        + (transcription ? " (transcription)" : "") + (azure ? " (azure)" : "");
  }
}
