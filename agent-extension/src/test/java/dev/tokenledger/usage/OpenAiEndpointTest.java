package dev.tokenledger.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OpenAiEndpointTest {

  @ParameterizedTest
  @CsvSource({
    "POST, /v1/chat/completions, chat.completions, chat",
    "post, /chat/completions/, chat.completions, chat",
    "POST, /v1/responses, responses, chat",
    "POST, /v1/responses/compact, responses.compact, chat",
    "POST, /v1/completions, completions, text_completion",
    "POST, /v1/embeddings, embeddings, embeddings",
    "POST, /v1/audio/transcriptions, audio.transcriptions, audio.transcription",
    "POST, /v1/audio/translations, audio.translations, audio.translation",
    "POST, /v1/audio/speech, audio.speech, audio.speech",
    "POST, /v1/images/generations, images.generations, image.generation",
    "POST, /v1/images/edits, images.edits, image.edit",
    "POST, /v1/images/variations, images.variations, image.variation",
    "POST, /v1/moderations, moderations, moderation",
    "GET, /v1/files/file-abc123/content, batch.output, batch",
    "POST, /gateway/openai/v1/chat/completions, chat.completions, chat",
    "POST, /openai/v1/responses, responses, chat",
    "POST, /openai/deployments/gpt-4o-prod/chat/completions, chat.completions, chat",
    "POST, /openai/deployments/emb/embeddings, embeddings, embeddings",
    "POST, /V1/Chat/Completions, chat.completions, chat",
  })
  void billableCalls(String method, String path, String api, String operation) {
    OpenAiEndpoint ep = OpenAiEndpoint.classify(method, path, null);
    assertEquals(api, ep.api().apiName());
    assertEquals(operation, ep.operationName());
  }

  @ParameterizedTest
  @CsvSource({
    "GET, /v1/models",
    "GET, /v1/models/gpt-4o",
    "GET, /v1/files",
    "POST, /v1/files",
    "GET, /v1/chat/completions",
    "GET, /v1/chat/completions/chatcmpl-123",
    "POST, /v1/chat/completions/chatcmpl-123",
    "GET, /v1/responses/resp_123",
    "POST, /v1/responses/resp_123/cancel",
    "POST, /v1/responses/input_tokens",
    "DELETE, /v1/responses/resp_123",
    "POST, /v1/batches",
    "GET, /v1/batches/batch_1",
    "POST, /v1/realtime/client_secrets",
    "POST, /v1/realtime/calls",
    "GET, /v1/chat/completions/chatcmpl-1/messages",
    "POST, /",
    "POST, ''",
  })
  void notBillable(String method, String path) {
    assertNull(OpenAiEndpoint.classify(method, path, null));
  }

  @Test
  void azureDeploymentAndApiVersion() {
    OpenAiEndpoint ep = OpenAiEndpoint.classify(
        "POST", "/openai/deployments/my%20gpt-4o/chat/completions", "api-version=2024-10-21&x=1");
    assertEquals(OpenAiApi.CHAT_COMPLETIONS, ep.api());
    assertEquals("my gpt-4o", ep.azureDeployment());
    assertEquals("2024-10-21", ep.azureApiVersion());
    assertTrue(ep.isAzure());
  }

  @Test
  void queryOnThePathAndHostHints() {
    OpenAiEndpoint ep = OpenAiEndpoint.classify("POST", "/openai/deployments/d1/embeddings?api-version=2025-01-01", null);
    assertEquals(OpenAiApi.EMBEDDINGS, ep.api());
    assertEquals("2025-01-01", ep.azureApiVersion());
    assertTrue(OpenAiEndpoint.classify("POST", "/openai/v1/chat/completions", null).isAzure());
    OpenAiEndpoint openai = OpenAiEndpoint.classify("POST", "/v1/chat/completions", "");
    assertFalse(openai.isAzure());
    assertNull(openai.azureDeployment());
    assertNull(openai.azureApiVersion());
    assertTrue(OpenAiEndpoint.classify("POST", "res.cognitiveservices.azure.com", "/v1/chat/completions", null).isAzure());
    assertFalse(OpenAiEndpoint.classify("POST", "api.openai.com", "/v1/chat/completions", null).isAzure());
  }

  @Test
  void aFileDownloadNamesItsFile() {
    assertEquals("file-abc123", OpenAiEndpoint.classify("GET", "/v1/files/file-abc123/content", null).fileId());
    assertEquals("file-x y", OpenAiEndpoint.classify("GET", "/openai/files/file-x%20y/content/?api-version=2024-10-21", null)
        .fileId());
    assertNull(OpenAiEndpoint.classify("POST", "/v1/chat/completions", null).fileId());
  }

  @Test
  void nullsAndOddInputsNeverThrow() {
    assertNull(OpenAiEndpoint.classify(null, null, null));
    assertEquals(OpenAiApi.CHAT_COMPLETIONS, OpenAiEndpoint.classify(null, "/v1/chat/completions", null).api());
    assertNull(OpenAiEndpoint.classify("POST", "%%%", "api-version=%zz"));
    assertEquals("%zz", OpenAiEndpoint.classify("POST", "/v1/embeddings", "api-version=%zz").azureApiVersion());
    assertNull(OpenAiApi.named("nope"));
    assertEquals("batch", OpenAiEndpoint.of(OpenAiApi.BATCH_OUTPUT).operationName());
  }

  @Test
  void expectsUsage() {
    assertTrue(OpenAiApi.CHAT_COMPLETIONS.expectsUsage());
    assertFalse(OpenAiApi.MODERATIONS.expectsUsage());
    assertFalse(OpenAiApi.AUDIO_SPEECH.expectsUsage());
  }
}
