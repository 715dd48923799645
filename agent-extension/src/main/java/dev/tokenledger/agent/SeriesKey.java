package dev.tokenledger.agent;

import static dev.tokenledger.agent.TokenLedgerAttributes.API;
import static dev.tokenledger.agent.TokenLedgerAttributes.API_KEY_FINGERPRINT;
import static dev.tokenledger.agent.TokenLedgerAttributes.BATCH;
import static dev.tokenledger.agent.TokenLedgerAttributes.GEN_AI_OPERATION_NAME;
import static dev.tokenledger.agent.TokenLedgerAttributes.GEN_AI_PROVIDER_NAME;
import static dev.tokenledger.agent.TokenLedgerAttributes.GEN_AI_REQUEST_MODEL;
import static dev.tokenledger.agent.TokenLedgerAttributes.GEN_AI_RESPONSE_MODEL;
import static dev.tokenledger.agent.TokenLedgerAttributes.OPENAI_PROJECT;
import static dev.tokenledger.agent.TokenLedgerAttributes.OPENAI_RESPONSE_SERVICE_TIER;
import static dev.tokenledger.agent.TokenLedgerAttributes.SERVER_ADDRESS;
import static dev.tokenledger.agent.TokenLedgerAttributes.STATUS;
import static dev.tokenledger.agent.TokenLedgerAttributes.USAGE_SOURCE;
import static dev.tokenledger.agent.TokenLedgerAttributes.USE_CASE;

import dev.tokenledger.usage.OpenAiApi;
import dev.tokenledger.usage.ResponseUsage;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;

/**
 * The values a metric attribute set is made of, as a map key: the attribute set itself is built
 * (a builder, a sort of a dozen pairs) only the first time a key is seen, and every later call with
 * the same values finds it with one small object and a hash lookup. Two kinds: a call's common
 * attributes (the operation duration), and a record's (the common ones plus response model, service
 * tier, status, usage source and batch: the request and token metrics). Values are kept as they will
 * be written: an absent or empty value is null, so equal keys always build equal sets.
 */
final class SeriesKey {

  private final String provider;
  private final String operation;
  private final String api;
  private final String server;
  private final String requestModel;
  private final String project;
  private final String fingerprint;
  private final String useCase;
  /** False for a call's common attributes: the record's members below are then all absent. */
  private final boolean record;
  private final String responseModel;
  private final String serviceTier;
  private final String status;
  private final String source;
  private final boolean batch;
  private final int hash;

  private SeriesKey(
      UsageOrigin origin,
      OpenAiApi api,
      String requestModel,
      boolean record,
      String responseModel,
      String serviceTier,
      String status,
      String source,
      boolean batch) {
    this.provider = present(origin.providerName);
    this.operation = present(api.operationName());
    this.api = present(api.apiName());
    this.server = present(origin.serverAddress);
    this.requestModel = present(requestModel);
    this.project = present(origin.project);
    this.fingerprint = present(origin.apiKeyFingerprint);
    this.useCase = present(origin.attribution.useCase);
    this.record = record;
    this.responseModel = present(responseModel);
    this.serviceTier = present(serviceTier);
    this.status = present(status);
    this.source = present(source);
    this.batch = batch;
    int h = hash(provider);
    h = 31 * h + hash(operation);
    h = 31 * h + hash(this.api);
    h = 31 * h + hash(server);
    h = 31 * h + hash(this.requestModel);
    h = 31 * h + hash(project);
    h = 31 * h + hash(fingerprint);
    h = 31 * h + hash(useCase);
    h = 31 * h + (record ? 1 : 0);
    h = 31 * h + hash(this.responseModel);
    h = 31 * h + hash(this.serviceTier);
    h = 31 * h + hash(this.status);
    h = 31 * h + hash(this.source);
    h = 31 * h + (batch ? 1 : 0);
    this.hash = h;
  }

  /** The attributes every signal of a call carries (the operation duration's). */
  static SeriesKey ofCall(UsageOrigin origin, OpenAiApi api, String requestModel) {
    return new SeriesKey(origin, api, requestModel, false, null, null, null, null, false);
  }

  /** A record's metric attributes (its requests and token series). */
  static SeriesKey ofRecord(UsageRecord record) {
    ResponseUsage usage = record.usage;
    return new SeriesKey(
        record.origin, record.api, record.requestModel, true, usage.responseModel(), usage.serviceTier(),
        record.status, usage.source(), usage.batch());
  }

  /** The attribute set this key stands for. */
  Attributes build() {
    AttributesBuilder attributes = Attributes.builder();
    put(attributes, GEN_AI_PROVIDER_NAME, provider);
    put(attributes, GEN_AI_OPERATION_NAME, operation);
    put(attributes, API, api);
    put(attributes, SERVER_ADDRESS, server);
    put(attributes, GEN_AI_REQUEST_MODEL, requestModel);
    put(attributes, OPENAI_PROJECT, project);
    put(attributes, API_KEY_FINGERPRINT, fingerprint);
    put(attributes, USE_CASE, useCase);
    if (record) {
      put(attributes, GEN_AI_RESPONSE_MODEL, responseModel);
      put(attributes, OPENAI_RESPONSE_SERVICE_TIER, serviceTier);
      put(attributes, STATUS, status);
      put(attributes, USAGE_SOURCE, source);
      if (batch) {
        attributes.put(BATCH, true);
      }
    }
    return attributes.build();
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof SeriesKey)) {
      return false;
    }
    SeriesKey k = (SeriesKey) o;
    return hash == k.hash
        && record == k.record
        && batch == k.batch
        && same(requestModel, k.requestModel)
        && same(responseModel, k.responseModel)
        && same(api, k.api)
        && same(status, k.status)
        && same(source, k.source)
        && same(fingerprint, k.fingerprint)
        && same(project, k.project)
        && same(useCase, k.useCase)
        && same(server, k.server)
        && same(serviceTier, k.serviceTier)
        && same(operation, k.operation)
        && same(provider, k.provider);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  private static void put(AttributesBuilder attributes, io.opentelemetry.api.common.AttributeKey<String> key, String value) {
    if (value != null) {
      attributes.put(key, value);
    }
  }

  private static String present(String value) {
    return value == null || value.isEmpty() ? null : value;
  }

  private static int hash(String value) {
    return value == null ? 0 : value.hashCode();
  }

  private static boolean same(String a, String b) {
    return a == null ? b == null : a.equals(b);
  }
}
