package dev.tokenledger.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.usage.RequestInfo;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The transport tests lean on {@link CallProbe} to tell which bytes a call was fed and how it ended;
 * these tests show that its observations do tell those apart, so that a transport test built on them
 * can fail.
 */
@ExtendWith(TestTelemetry.Extension.class)
class CallProbeTest {

  @Test
  void aBatchFileFedOnceGivesOneRowPerLineInOrder() {
    byte[] file = CallProbe.batchFile(5, 300);
    OpenAiCall call = CallProbe.batchDownload();
    call.onBytes(file, 0, file.length);
    call.end(true);
    assertEquals(CallProbe.batchTokens(5), CallProbe.rowInputTokens());
  }

  @Test
  void aRepeatedChunkShowsAsAnExtraRow() {
    byte[] file = CallProbe.batchFile(3, 300);
    int firstLine = indexOf(file, (byte) '\n') + 1;
    OpenAiCall call = CallProbe.batchDownload();
    call.onBytes(file, 0, firstLine);
    call.onBytes(file, 0, firstLine);
    call.onBytes(file, firstLine, file.length - firstLine);
    call.end(true);
    assertEquals(List.of(1000L, 1000L, 1001L, 1002L), CallProbe.rowInputTokens());
  }

  @Test
  void aDroppedOrMovedChunkShowsAsAMissingOrMisplacedRow() {
    byte[] file = CallProbe.batchFile(3, 300);
    int usage = new String(file, StandardCharsets.UTF_8).indexOf("\"usage\"");
    OpenAiCall dropped = CallProbe.batchDownload();
    dropped.onBytes(file, 0, usage);
    dropped.onBytes(file, usage + 10, file.length - usage - 10);
    dropped.end(true);
    assertEquals(List.of(1001L, 1002L), CallProbe.rowInputTokens());

    TestTelemetry.clear();
    int secondLine = indexOf(file, (byte) '\n') + 1;
    OpenAiCall moved = CallProbe.batchDownload();
    moved.onBytes(file, secondLine, file.length - secondLine);
    moved.onBytes(file, 0, secondLine);
    moved.end(true);
    assertNotEquals(CallProbe.batchTokens(3), CallProbe.rowInputTokens());
  }

  @Test
  void aSpeechRowTellsHowTheCallEnded() {
    OpenAiCall call = CallProbe.speech();
    assertNull(CallProbe.endStatus(), "not ended yet");
    assertTrue(CallProbe.spans().isEmpty(), "the span ends with the call");
    call.end(true);
    assertEquals("completed", CallProbe.endStatus());
    assertEquals(1, CallProbe.spans().size());

    TestTelemetry.clear();
    CallProbe.speech().end(false);
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void theSpeechRowCountsWhatTheRequestScannerSaw() {
    String input = CallProbe.speechInput(1000);
    byte[] body = CallProbe.speechRequest(input);
    OpenAiCall whole = CallProbe.startSpeech(false);
    RequestInfo.Scanner scanner = whole.scanRequestBody("application/json");
    for (int i = 0; i < body.length; i += 3) {
      scanner.onBytes(body, i, Math.min(3, body.length - i));
    }
    CallProbe.finishSpeech(whole);
    assertEquals(1000L, CallProbe.inputCharacters());
    assertEquals(CallProbe.SPEECH_MODEL, CallProbe.requestModel());

    TestTelemetry.clear();
    OpenAiCall repeated = CallProbe.startSpeech(false);
    RequestInfo.Scanner twice = repeated.scanRequestBody("application/json");
    int inInput = "{\"input\":\"".length() + 100;
    twice.onBytes(body, 0, inInput);
    twice.onBytes(body, inInput - 40, body.length - inInput + 40);
    CallProbe.finishSpeech(repeated);
    assertNotEquals(1000L, CallProbe.inputCharacters());

    TestTelemetry.clear();
    OpenAiCall cut = CallProbe.startSpeech(false);
    cut.scanRequestBody("application/json").onBytes(body, 0, body.length - 20);
    CallProbe.finishSpeech(cut);
    assertNull(CallProbe.requestModel(), "the model comes last: a cut body does not name it");
  }

  @Test
  void theSpeechInputHasTheCodePointsAsked() {
    String input = CallProbe.speechInput(700);
    assertEquals(700, input.codePointCount(0, input.length()));
    assertEquals(100 * (1 + 1 + 1 + 2 + 3 + 4 + 1), input.getBytes(StandardCharsets.UTF_8).length);
    List<Integer> widths = new ArrayList<>();
    input.codePoints().limit(7).forEach(c -> widths.add(new String(Character.toChars(c)).getBytes(StandardCharsets.UTF_8).length));
    assertEquals(List.of(1, 1, 1, 2, 3, 4, 1), widths);
  }

  static int indexOf(byte[] bytes, byte b) {
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }
}
