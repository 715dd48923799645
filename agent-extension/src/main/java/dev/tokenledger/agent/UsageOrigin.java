package dev.tokenledger.agent;

import dev.tokenledger.usage.ApiKeyFingerprint;
import dev.tokenledger.usage.OpenAiEndpoint;
import java.util.Locale;

/**
 * Who made a call and where it went: the provider, the server, the Azure deployment and API
 * version, the key's fingerprint, project, organization, request id and attribution. Made by each
 * transport path from the request (and completed from the response head), shared by every record
 * of that call or connection. Immutable, but for one cache slot the emitter keeps on it.
 */
final class UsageOrigin {

  static final String PROVIDER_OPENAI = "openai";
  static final String PROVIDER_AZURE = "azure.ai.openai";

  final String providerName;
  final String serverAddress;
  final int serverPort;
  final String azureDeployment;
  final String azureApiVersion;
  /** Never the key: a short one-way fingerprint of it. */
  final String apiKeyFingerprint;
  final String project;
  final String organization;
  final String requestId;
  final Attribution attribution;

  /**
   * The metric series of the last record from this origin (see {@link UsageEmitter}): a
   * connection's records nearly all share it, so it is found without building attributes.
   */
  volatile TokenSeries lastSeries;

  private UsageOrigin(
      String providerName,
      String serverAddress,
      int serverPort,
      String azureDeployment,
      String azureApiVersion,
      String apiKeyFingerprint,
      String project,
      String organization,
      String requestId,
      Attribution attribution) {
    this.providerName = providerName;
    this.serverAddress = serverAddress;
    this.serverPort = serverPort;
    this.azureDeployment = azureDeployment;
    this.azureApiVersion = azureApiVersion;
    this.apiKeyFingerprint = apiKeyFingerprint;
    this.project = project;
    this.organization = organization;
    this.requestId = requestId;
    this.attribution = attribution;
  }

  /**
   * The origin of a request: {@code azureEndpoint} when the path or query already says Azure;
   * {@code rawQuery} may carry Azure's {@code api-key=} (WebSocket handshakes); {@code requestHeaders}
   * may be null when the client does not show them.
   */
  static UsageOrigin ofRequest(
      String host,
      int port,
      boolean azureEndpoint,
      String azureDeployment,
      String azureApiVersion,
      Headers requestHeaders,
      String rawQuery,
      Attribution attribution) {
    return new UsageOrigin(
        azureEndpoint || isAzureHost(host) ? PROVIDER_AZURE : PROVIDER_OPENAI,
        host,
        port,
        azureDeployment,
        azureApiVersion,
        fingerprint(requestHeaders, rawQuery),
        header(requestHeaders, "OpenAI-Project"),
        header(requestHeaders, "OpenAI-Organization"),
        null,
        attribution);
  }

  /** The origin of an HTTP request to {@code endpoint}. */
  static UsageOrigin ofRequest(
      String host, int port, OpenAiEndpoint endpoint, Headers requestHeaders, Attribution attribution) {
    return ofRequest(
        host, port, endpoint.isAzure(), endpoint.azureDeployment(), endpoint.azureApiVersion(),
        requestHeaders, null, attribution);
  }

  /**
   * This origin completed from the response head: its request id, and project and organization
   * where the request did not name them. {@code responseHeaders} may be null.
   */
  UsageOrigin withResponse(Headers responseHeaders) {
    if (responseHeaders == null) {
      return this;
    }
    return new UsageOrigin(
        providerName,
        serverAddress,
        serverPort,
        azureDeployment,
        azureApiVersion,
        apiKeyFingerprint,
        project != null ? project : header(responseHeaders, "openai-project"),
        organization != null ? organization : header(responseHeaders, "openai-organization"),
        header(responseHeaders, "x-request-id"),
        attribution);
  }

  /**
   * This origin with the key, project and organization named by the request as it was sent, which
   * can differ from the request the call started with: a client's own interceptors may add them
   * afterwards. What the sent headers do not name stays as it was. {@code sentHeaders} may be null.
   */
  UsageOrigin withSentRequest(Headers sentHeaders) {
    if (sentHeaders == null) {
      return this;
    }
    String sentKey = fingerprint(sentHeaders, null);
    String sentProject = header(sentHeaders, "OpenAI-Project");
    String sentOrganization = header(sentHeaders, "OpenAI-Organization");
    if (sentKey == null && sentProject == null && sentOrganization == null) {
      return this;
    }
    return new UsageOrigin(
        providerName,
        serverAddress,
        serverPort,
        azureDeployment,
        azureApiVersion,
        sentKey != null ? sentKey : apiKeyFingerprint,
        sentProject != null ? sentProject : project,
        sentOrganization != null ? sentOrganization : organization,
        requestId,
        attribution);
  }

  static String header(Headers headers, String name) {
    if (headers == null) {
      return null;
    }
    String value = headers.get(name);
    return value == null || value.isEmpty() ? null : value;
  }

  /** The key is never kept: only its fingerprint, from the header, else Azure's {@code api-key=} query. */
  private static String fingerprint(Headers headers, String rawQuery) {
    String credential = header(headers, "Authorization");
    if (credential == null) {
      credential = header(headers, "api-key");
    }
    if (credential == null) {
      credential = OpenAiEndpoint.queryParameter(rawQuery, "api-key");
    }
    return ApiKeyFingerprint.of(credential);
  }

  private static boolean isAzureHost(String host) {
    String lower = host.toLowerCase(Locale.ROOT);
    return lower.endsWith(".openai.azure.com") || lower.endsWith(".cognitiveservices.azure.com");
  }
}
