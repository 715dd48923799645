package dev.tokenledger.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonStreamScannerTest {

  /** Captures top-level "s" (scalar), "n" (scalar), "raw" (raw), "count" (code points); enters "obj". */
  private static final class Recorder implements JsonStreamScanner.Handler {
    final List<String> events = new ArrayList<>();

    @Override
    public int onValue(JsonStreamScanner path, byte first) {
      if (path.depth() == 0) {
        return JsonStreamScanner.ENTER;
      }
      String k = path.key(path.depth() - 1);
      if (path.depth() == 1 && "obj".equals(k)) {
        return JsonStreamScanner.ENTER;
      }
      if (k == null) {
        return JsonStreamScanner.IGNORE;
      }
      switch (k) {
        case "s":
        case "n":
          return JsonStreamScanner.SCALAR;
        case "raw":
          return JsonStreamScanner.RAW;
        case "count":
          return JsonStreamScanner.COUNT;
        default:
          return JsonStreamScanner.IGNORE;
      }
    }

    private static String path(JsonStreamScanner p) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < p.depth(); i++) {
        sb.append('/').append(p.isArrayItem(i) ? "[]" : p.key(i));
      }
      return sb.toString();
    }

    @Override
    public void onScalar(JsonStreamScanner p, int kind, String text) {
      events.add(path(p) + " scalar " + kind + " " + text);
    }

    @Override
    public void onRaw(JsonStreamScanner p, String json) {
      events.add(path(p) + " raw " + json);
    }

    @Override
    public void onCount(JsonStreamScanner p, long codePoints) {
      events.add(path(p) + " count " + codePoints);
    }
  }

  private static final String DOC =
      "\uFEFF {\"skip\":{\"deep\":" + "[".repeat(5000) + "\"}]\\\"\"" + "]".repeat(5000) + "},"
          + "\"s\":\"a\\u00e9\\\"\\ud83d\\ude00b\",\"n\":-12.5e3,\"raw\":{\"x\":[1,\"}\"],\"y\":null},"
          + "\"count\":\"h\u00e9\\ud83d\\ude00\uD83D\uDE00\\n\",\"obj\":{\"s\":true,\"n\":null,\"raw\":\"q\\\"\"},"
          + "\"\\u0073\":\"escaped key\",\"" + "k".repeat(100) + "\":{\"s\":1}}\n ";

  private static List<String> scan(byte[] doc, int chunk, boolean[] complete) {
    Recorder r = new Recorder();
    JsonStreamScanner s = new JsonStreamScanner(r);
    s.reset();
    for (int i = 0; i < doc.length; i += chunk) {
      s.feed(doc, i, Math.min(chunk, doc.length - i));
    }
    s.end();
    complete[0] = s.complete() && !s.failed() && !s.trailingData();
    return r.events;
  }

  @Test
  void capturesAreIndependentOfChunking() {
    byte[] doc = DOC.getBytes(StandardCharsets.UTF_8);
    boolean[] complete = new boolean[1];
    List<String> expected = scan(doc, doc.length, complete);
    assertTrue(complete[0]);
    assertEquals(List.of(
        "/s scalar 1 aé\"😀b",
        "/n scalar 2 -12.5e3",
        "/raw raw {\"x\":[1,\"}\"],\"y\":null}",
        "/count count 5", // h, é, 😀 (escaped pair), 😀 (raw), LF
        "/obj/s scalar 3 true",
        "/obj/n scalar 5 null",
        "/obj/raw raw \"q\\\"\"",
        "/s scalar 1 escaped key"), expected);
    for (int chunk = 1; chunk <= 40; chunk++) {
      assertEquals(expected, scan(doc, chunk, complete), "chunk " + chunk);
      assertTrue(complete[0]);
    }
  }

  @Test
  void errorsCarryTheirOffset() {
    Recorder r = new Recorder();
    JsonStreamScanner s = new JsonStreamScanner(r);
    s.reset();
    byte[] doc = "{\"s\":\"x\"}".getBytes(StandardCharsets.UTF_8);
    s.feed(doc, 0, 5);
    s.feed("\"x\" ]".getBytes(StandardCharsets.UTF_8), 0, 5);
    assertTrue(s.failed());
    assertEquals(9, s.errorOffset());
    assertEquals("mismatched ']'", s.error());

    s.reset();
    s.feed("{\"a\":1}  x".getBytes(StandardCharsets.UTF_8), 0, 10);
    assertTrue(s.complete());
    assertTrue(s.trailingData());

    s.reset();
    s.feed("{\"a\":tru".getBytes(StandardCharsets.UTF_8), 0, 8);
    s.end();
    assertFalse(s.complete());
    assertFalse(s.failed());
    s.feed("x".getBytes(StandardCharsets.UTF_8), 0, 1);
    assertTrue(s.failed());
  }

  /** Transports hand slices of larger arrays: the offset counts bytes of the document, not of the array. */
  @Test
  void errorOffsetCountsFromTheStartOfTheSlice() {
    JsonStreamScanner s = new JsonStreamScanner(new Recorder());
    s.reset();
    byte[] array = "xxxx{\"s\":]yy".getBytes(StandardCharsets.UTF_8);
    s.feed(array, 4, 2);
    s.feed(array, 6, 6);
    assertTrue(s.failed());
    assertEquals(5, s.errorOffset(), s.error());
  }

  @Test
  void oversizedScalarsAreDroppedNotCut() {
    Recorder r = new Recorder();
    JsonStreamScanner s = new JsonStreamScanner(r);
    s.reset();
    byte[] doc = ("{\"s\":\"" + "x".repeat(JsonStreamScanner.MAX_SCALAR_BYTES + 1) + "\",\"n\":1}")
        .getBytes(StandardCharsets.UTF_8);
    s.feed(doc, 0, doc.length);
    assertTrue(s.complete());
    assertEquals(List.of("/s scalar 1 null", "/n scalar 2 1"), r.events);
    assertTrue(s.retainedBytes() <= JsonStreamScanner.MAX_SCALAR_BYTES);
  }

  @Test
  void enteredNestingIsBounded() {
    JsonStreamScanner s = new JsonStreamScanner(new JsonStreamScanner.Handler() {
      @Override
      public int onValue(JsonStreamScanner path, byte first) {
        return JsonStreamScanner.ENTER;
      }

      @Override
      public void onScalar(JsonStreamScanner path, int kind, String text) {}

      @Override
      public void onRaw(JsonStreamScanner path, String json) {}

      @Override
      public void onCount(JsonStreamScanner path, long codePoints) {}
    });
    s.reset();
    byte[] doc = "[".repeat(100).getBytes(StandardCharsets.UTF_8);
    s.feed(doc, 0, doc.length);
    assertTrue(s.failed());
    assertEquals("nesting deeper than " + JsonStreamScanner.MAX_DEPTH, s.error());
  }
}
