package dev.tokenledger.agent;

import static io.opentelemetry.api.common.AttributeKey.booleanKey;
import static io.opentelemetry.api.common.AttributeKey.doubleKey;
import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;

import dev.tokenledger.usage.UsageField;
import io.opentelemetry.api.common.AttributeKey;
import java.util.EnumMap;
import java.util.Map;

/**
 * Every attribute name the extension writes (docs/signals.md). Names the GenAI semantic conventions
 * define are used with their meaning; what they do not define lives under {@code tokenledger.*}.
 * Defined here rather than taken from the incubating semconv artifact, whose constants predate the
 * cache-write and per-modality names.
 */
public final class TokenLedgerAttributes {

  // GenAI semantic conventions.
  public static final AttributeKey<String> GEN_AI_PROVIDER_NAME = stringKey("gen_ai.provider.name");
  public static final AttributeKey<String> GEN_AI_OPERATION_NAME = stringKey("gen_ai.operation.name");
  public static final AttributeKey<String> GEN_AI_REQUEST_MODEL = stringKey("gen_ai.request.model");
  public static final AttributeKey<String> GEN_AI_RESPONSE_MODEL = stringKey("gen_ai.response.model");
  public static final AttributeKey<String> GEN_AI_RESPONSE_ID = stringKey("gen_ai.response.id");
  public static final AttributeKey<java.util.List<String>> GEN_AI_RESPONSE_FINISH_REASONS =
      AttributeKey.stringArrayKey("gen_ai.response.finish_reasons");
  public static final AttributeKey<Boolean> GEN_AI_REQUEST_STREAM = booleanKey("gen_ai.request.stream");
  public static final AttributeKey<Double> GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK =
      doubleKey("gen_ai.response.time_to_first_chunk");
  public static final AttributeKey<String> GEN_AI_TOKEN_TYPE = stringKey("gen_ai.token.type");
  public static final AttributeKey<Long> GEN_AI_USAGE_INPUT_TOKENS = longKey("gen_ai.usage.input_tokens");
  public static final AttributeKey<Long> GEN_AI_USAGE_OUTPUT_TOKENS = longKey("gen_ai.usage.output_tokens");
  public static final AttributeKey<Long> GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS =
      longKey("gen_ai.usage.cache_read.input_tokens");
  public static final AttributeKey<Long> GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS =
      longKey("gen_ai.usage.cache_write.input_tokens");
  public static final AttributeKey<Long> GEN_AI_USAGE_REASONING_OUTPUT_TOKENS =
      longKey("gen_ai.usage.reasoning.output_tokens");
  // Per-modality breakdowns: the conventions' modality input counts INCLUDE their cached part.
  public static final AttributeKey<Long> GEN_AI_USAGE_TEXT_INPUT_TOKENS = longKey("gen_ai.usage.text.input_tokens");
  public static final AttributeKey<Long> GEN_AI_USAGE_AUDIO_INPUT_TOKENS = longKey("gen_ai.usage.audio.input_tokens");
  public static final AttributeKey<Long> GEN_AI_USAGE_IMAGE_INPUT_TOKENS = longKey("gen_ai.usage.image.input_tokens");
  public static final AttributeKey<Long> GEN_AI_USAGE_TEXT_CACHE_READ_INPUT_TOKENS =
      longKey("gen_ai.usage.text.cache_read.input_tokens");
  public static final AttributeKey<Long> GEN_AI_USAGE_AUDIO_CACHE_READ_INPUT_TOKENS =
      longKey("gen_ai.usage.audio.cache_read.input_tokens");
  public static final AttributeKey<Long> GEN_AI_USAGE_IMAGE_CACHE_READ_INPUT_TOKENS =
      longKey("gen_ai.usage.image.cache_read.input_tokens");
  public static final AttributeKey<Long> GEN_AI_USAGE_TEXT_OUTPUT_TOKENS = longKey("gen_ai.usage.text.output_tokens");
  public static final AttributeKey<Long> GEN_AI_USAGE_AUDIO_OUTPUT_TOKENS = longKey("gen_ai.usage.audio.output_tokens");
  public static final AttributeKey<Long> GEN_AI_USAGE_IMAGE_OUTPUT_TOKENS = longKey("gen_ai.usage.image.output_tokens");

  // OpenAI refinement of the conventions.
  public static final AttributeKey<String> OPENAI_RESPONSE_SERVICE_TIER = stringKey("openai.response.service_tier");
  public static final AttributeKey<String> OPENAI_REQUEST_SERVICE_TIER = stringKey("openai.request.service_tier");
  public static final AttributeKey<String> OPENAI_RESPONSE_SYSTEM_FINGERPRINT =
      stringKey("openai.response.system_fingerprint");
  public static final AttributeKey<String> OPENAI_API_TYPE = stringKey("openai.api.type");
  public static final AttributeKey<String> OPENAI_REQUEST_ID = stringKey("openai.request.id");
  public static final AttributeKey<String> OPENAI_PROJECT = stringKey("openai.project");
  public static final AttributeKey<String> OPENAI_ORGANIZATION = stringKey("openai.organization");

  // Core conventions.
  public static final AttributeKey<String> SERVER_ADDRESS = stringKey("server.address");
  public static final AttributeKey<Long> SERVER_PORT = longKey("server.port");
  public static final AttributeKey<Long> HTTP_RESPONSE_STATUS_CODE = longKey("http.response.status_code");
  public static final AttributeKey<String> ERROR_TYPE = stringKey("error.type");
  public static final AttributeKey<String> ENDUSER_ID = stringKey("enduser.id");

  // TokenLedger's own: what the conventions do not define.
  public static final AttributeKey<String> API = stringKey("tokenledger.api");
  public static final AttributeKey<String> STATUS = stringKey("tokenledger.status");
  public static final AttributeKey<Boolean> BATCH = booleanKey("tokenledger.batch");
  public static final AttributeKey<String> USAGE_SOURCE = stringKey("tokenledger.usage.source");
  public static final AttributeKey<String> USAGE_SPLIT = stringKey("tokenledger.usage.split");
  public static final AttributeKey<String> USAGE_RAW = stringKey("tokenledger.usage.raw");
  public static final AttributeKey<String> USAGE_DIAGNOSTIC = stringKey("tokenledger.usage.diagnostic");
  public static final AttributeKey<Double> USAGE_AUDIO_SECONDS = doubleKey("tokenledger.usage.audio_seconds");
  public static final AttributeKey<Long> USAGE_INPUT_CHARACTERS = longKey("tokenledger.usage.input_characters");
  public static final AttributeKey<String> API_KEY_FINGERPRINT = stringKey("tokenledger.api_key.fingerprint");
  public static final AttributeKey<String> RECORD_ID = stringKey("tokenledger.record.id");
  public static final AttributeKey<String> SESSION_ID = stringKey("tokenledger.session.id");
  public static final AttributeKey<String> CONNECTION_ID = stringKey("tokenledger.connection.id");
  public static final AttributeKey<String> USE_CASE = stringKey("tokenledger.use_case");
  public static final AttributeKey<String> ENTRYPOINT = stringKey("tokenledger.entrypoint");
  public static final AttributeKey<String> AZURE_DEPLOYMENT = stringKey("tokenledger.azure.deployment");
  public static final AttributeKey<String> AZURE_API_VERSION = stringKey("tokenledger.azure.api_version");
  public static final AttributeKey<String> TOKEN_MODALITY = stringKey("tokenledger.token.modality");
  public static final AttributeKey<String> TOKEN_CACHE = stringKey("tokenledger.token.cache");

  /** {@code tokenledger.usage.<field>} for every export-vocabulary token field (docs/token-vocabulary.md). */
  public static final Map<UsageField, AttributeKey<Long>> USAGE_FIELDS = usageFieldKeys();

  private static Map<UsageField, AttributeKey<Long>> usageFieldKeys() {
    Map<UsageField, AttributeKey<Long>> keys = new EnumMap<UsageField, AttributeKey<Long>>(UsageField.class);
    for (UsageField field : UsageField.values()) {
      keys.put(field, longKey("tokenledger.usage." + field.exportName()));
    }
    return keys;
  }

  private TokenLedgerAttributes() {}
}
