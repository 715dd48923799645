package dev.tokenledger.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RequestInfoTest {

  private static final OpenAiEndpoint CHAT = OpenAiEndpoint.of(OpenAiApi.CHAT_COMPLETIONS);
  private static final OpenAiEndpoint SPEECH = OpenAiEndpoint.of(OpenAiApi.AUDIO_SPEECH);
  private static final OpenAiEndpoint TRANSCRIPTIONS = OpenAiEndpoint.of(OpenAiApi.AUDIO_TRANSCRIPTIONS);

  private static RequestInfo parse(OpenAiEndpoint ep, String body, String contentType) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return RequestInfo.parse(ep, bytes, bytes.length, contentType);
  }

  @Test
  void chatRequest() {
    RequestInfo r = parse(CHAT,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"the model is \\\"o1\\\"\"}],\"model\":\"gpt-4o\","
            + "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"service_tier\":\"flex\","
            + "\"response_format\":{\"type\":\"json_object\"},\"metadata\":{\"model\":\"not-this\"}}",
        "application/json");
    assertEquals("gpt-4o", r.model());
    assertTrue(r.stream());
    assertTrue(r.includeUsage());
    assertEquals("flex", r.requestedServiceTier());
    assertNull(r.responseFormat(), "an object response_format is not a transcription format");
    assertTrue(r.parsed());
  }

  @Test
  void streamWithoutIncludeUsage() {
    RequestInfo r = parse(CHAT, "{\"model\":\"gpt-4o\",\"stream\":true,\"stream_options\":{\"include_usage\":false}}", null);
    assertTrue(r.stream());
    assertFalse(r.includeUsage());
    RequestInfo plain = parse(CHAT, "{\"model\":\"gpt-4o\",\"stream\":false}", "application/json");
    assertFalse(plain.stream());
  }

  @Test
  void speechInputIsCountedInCodePoints() {
    // "Grüße 😀 \"ok\"\n" written with raw UTF-8, a surrogate pair escape and simple escapes
    RequestInfo r = parse(SPEECH,
        "{\"model\":\"tts-1\",\"input\":\"Grüße \\ud83d\\ude00 😀 \\\"ok\\\"\\n\\u00e9\",\"voice\":\"alloy\",\"response_format\":\"mp3\"}",
        "application/json");
    // G r ü ß e ␠ 😀 ␠ 😀 ␠ " o k " \n é  = 16
    assertEquals(16, r.inputCharacters());
    assertEquals("tts-1", r.model());
    assertEquals("mp3", r.responseFormat());
    RequestInfo notSpeech = parse(CHAT, "{\"input\":\"abc\"}", "application/json");
    assertEquals(0, notSpeech.inputCharacters());
  }

  @Test
  void speechSseFormat() {
    RequestInfo r = parse(SPEECH, "{\"model\":\"gpt-4o-mini-tts\",\"input\":\"hi\",\"stream_format\":\"sse\"}", "application/json");
    assertEquals("sse", r.streamFormat());
    assertTrue(r.asksForEventStream());
  }

  @Test
  void modelAfterALargeBase64ImageIsFound() {
    byte[] image = new byte[600_000];
    new Random(1).nextBytes(image);
    String body = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,"
        + Base64.getEncoder().encodeToString(image) + "\"}}]}],\"model\":\"gpt-4.1\"}";
    assertEquals("gpt-4.1", parse(CHAT, body, "application/json").model());
  }

  @Test
  void aModelAfterMegabytesOfMessagesIsStillSeen() {
    byte[] filler = new byte[3 * RequestInfo.MAX_REQUEST_BYTES];
    java.util.Arrays.fill(filler, (byte) 'a');
    String body = "{\"stream\":true,\"messages\":\"" + new String(filler, StandardCharsets.US_ASCII) + "\",\"model\":\"late\"}";
    RequestInfo r = parse(CHAT, body, "application/json");
    assertTrue(r.stream());
    assertEquals("late", r.model());
  }

  @Test
  void multipartTranscription() {
    String boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
    byte[] audio = new byte[200_000];
    new Random(2).nextBytes(audio);
    // make the audio contain delimiter look-alikes
    byte[] fake = ("\r\n--" + boundary.substring(0, 10)).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(fake, 0, audio, 1000, fake.length);
    StringBuilder head = new StringBuilder();
    head.append("--").append(boundary).append("\r\n")
        .append("Content-Disposition: form-data; name=\"file\"; filename=\"meeting.mp3\"\r\n")
        .append("Content-Type: audio/mpeg\r\n\r\n");
    String tail = "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\ngpt-4o-transcribe"
        + "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"response_format\"\r\n\r\njson"
        + "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"stream\"\r\n\r\ntrue"
        + "\r\n--" + boundary + "--\r\n";
    byte[] h = head.toString().getBytes(StandardCharsets.UTF_8);
    byte[] t = tail.getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[h.length + audio.length + t.length];
    System.arraycopy(h, 0, body, 0, h.length);
    System.arraycopy(audio, 0, body, h.length, audio.length);
    System.arraycopy(t, 0, body, h.length + audio.length, t.length);
    String contentType = "multipart/form-data; boundary=" + boundary;

    RequestInfo whole = RequestInfo.parse(TRANSCRIPTIONS, body, body.length, contentType);
    assertEquals("gpt-4o-transcribe", whole.model());
    assertEquals("json", whole.responseFormat());
    assertTrue(whole.stream());

    Random random = new Random(3);
    for (int i = 0; i < 20; i++) {
      RequestInfo.Scanner scanner = RequestInfo.scanner(TRANSCRIPTIONS, "multipart/form-data; boundary=\"" + boundary + "\"");
      int start = 0;
      while (start < body.length) {
        int n = Math.min(body.length - start, 1 + random.nextInt(i < 10 ? 7 : 5000));
        scanner.onBytes(ByteBuffer.wrap(body, start, n));
        start += n;
      }
      RequestInfo r = scanner.finish();
      assertEquals("gpt-4o-transcribe", r.model());
      assertEquals("json", r.responseFormat());
      assertTrue(r.stream());
    }
  }

  @Test
  void multipartFieldsFirstAsTransportsReencodeThem() {
    String body = "--tokenledger-form-fields\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n"
        + "--tokenledger-form-fields\r\nContent-Disposition: form-data; name=\"response_format\"\r\n\r\nverbose_json\r\n"
        + "--tokenledger-form-fields--\r\n";
    RequestInfo r = parse(TRANSCRIPTIONS, body, "multipart/form-data; boundary=tokenledger-form-fields");
    assertEquals("whisper-1", r.model());
    assertEquals("verbose_json", r.responseFormat());
    assertFalse(r.stream());
  }

  @Test
  void garbageNeverThrows() {
    byte[] garbage = new byte[10_000];
    new Random(4).nextBytes(garbage);
    for (String ct : new String[] {null, "application/json", "multipart/form-data; boundary=x", "multipart/form-data"}) {
      RequestInfo r = RequestInfo.parse(CHAT, garbage, garbage.length, ct);
      assertNull(r.model());
    }
    assertEquals(RequestInfo.unknown(), RequestInfo.parse(CHAT, null, 5, null));
    RequestInfo r = RequestInfo.parse(null, "{\"model\":\"m\"}".getBytes(StandardCharsets.UTF_8), 999, null);
    assertEquals("m", r.model());
    assertFalse(RequestInfo.unknown().parsed());
  }

  @Test
  void incrementalScannerMatchesWholeParse() {
    byte[] body = "{\"model\":\"gpt-4o\",\"messages\":[{\"content\":\"\\u00e9\\\"\"}],\"stream\":true,\"stream_options\":{\"include_usage\":true}}"
        .getBytes(StandardCharsets.UTF_8);
    for (int size = 1; size < body.length; size++) {
      RequestInfo.Scanner s = RequestInfo.scanner(CHAT, "application/json");
      for (int start = 0; start < body.length; start += size) {
        s.onBytes(body, start, Math.min(size, body.length - start));
      }
      RequestInfo r = s.finish();
      assertEquals("gpt-4o", r.model());
      assertTrue(r.includeUsage());
      assertTrue(r.stream());
      assertEquals(r, s.finish(), "finish is idempotent");
    }
  }
}
