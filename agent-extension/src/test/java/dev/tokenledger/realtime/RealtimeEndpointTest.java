package dev.tokenledger.realtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.usage.OpenAiEndpoint;
import org.junit.jupiter.api.Test;

/** Which WebSocket paths are Realtime sessions, and that their HTTP upgrade is never an HTTP call. */
class RealtimeEndpointTest {

  @Test
  void openAiForms() {
    RealtimeEndpoint model = RealtimeEndpoint.classify("/v1/realtime", "model=gpt-realtime");
    assertEquals("gpt-realtime", model.requestModel());
    assertFalse(model.isAzure());
    assertNull(model.callId());

    RealtimeEndpoint sideband = RealtimeEndpoint.classify("/v1/realtime", "call_id=rtc_123");
    assertEquals("rtc_123", sideband.callId());
    assertNull(sideband.requestModel());

    RealtimeEndpoint transcription = RealtimeEndpoint.classify("/v1/realtime/", "intent=transcription");
    assertTrue(transcription.transcriptionIntent());

    assertNotNull(RealtimeEndpoint.classify("/gateway/openai/v1/realtime", "model=x"), "behind a gateway prefix");
    assertNotNull(RealtimeEndpoint.classify("/V1/Realtime", null));
  }

  @Test
  void azureForms() {
    RealtimeEndpoint preview =
        RealtimeEndpoint.classify("/openai/realtime", "api-version=2025-04-01-preview&deployment=my%20rt");
    assertEquals("my rt", preview.requestModel());
    assertEquals("my rt", preview.azureDeployment());
    assertEquals("2025-04-01-preview", preview.azureApiVersion());
    assertTrue(preview.isAzure());

    RealtimeEndpoint ga = RealtimeEndpoint.classify("/openai/v1/realtime", "model=rt-deployment");
    assertEquals("rt-deployment", ga.requestModel());
    assertTrue(ga.isAzure());
  }

  @Test
  void otherPathsAreNotRealtimeSessions() {
    assertNull(RealtimeEndpoint.classify("/v1/realtime/translations", "model=gpt-realtime-translate"));
    assertNull(RealtimeEndpoint.classify("/v1/realtime/calls", null));
    assertNull(RealtimeEndpoint.classify("/v1/realtime/client_secrets", null));
    assertNull(RealtimeEndpoint.classify("/v1/responses", null));
    assertNull(RealtimeEndpoint.classify("/v1/realtimex", null));
    assertNull(RealtimeEndpoint.classify(null, null));
  }

  /** The WebSocket upgrade (GET …/realtime → 101) passes the HTTP transports without a record. */
  @Test
  void theUpgradeRequestIsNotAnHttpCall() {
    assertNull(OpenAiEndpoint.classify("GET", "api.openai.com", "/v1/realtime", "model=gpt-realtime"));
    assertNull(OpenAiEndpoint.classify("GET", "x.openai.azure.com", "/openai/realtime", "deployment=d&api-version=v"));
    assertNull(OpenAiEndpoint.classify("GET", "x.openai.azure.com", "/openai/v1/realtime", "model=d"));
    assertNull(OpenAiEndpoint.classify("GET", null, "/v1/realtime", "call_id=rtc_1"));
  }
}
