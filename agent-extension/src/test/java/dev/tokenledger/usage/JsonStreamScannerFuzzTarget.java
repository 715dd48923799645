package dev.tokenledger.usage;

import static dev.tokenledger.fuzz.FuzzFinding.check;
import static dev.tokenledger.fuzz.FuzzFinding.same;

import dev.tokenledger.fuzz.FuzzInput;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Fuzz target of {@link JsonStreamScanner}: any bytes, in any chunks, with a handler that asks for
 * every kind of action along the way.
 *
 * <ul>
 *   <li>nothing is thrown, and the capture buffer stays within {@link JsonStreamScanner#MAX_RAW_BYTES};
 *   <li>the same bytes in other chunks, or after a {@link JsonStreamScanner#reset()} of a used scanner,
 *       give the same callbacks and the same outcome;
 *   <li>a document the tree parser ({@link Json}) accepts, nested no deeper than the scanner enters,
 *       is read to its end, and every raw capture of it is itself valid JSON.
 * </ul>
 *
 * Selector: flag 0 picks a handler that enters or captures by a hash of the path (else it enters
 * every container and reads every scalar).
 */
public final class JsonStreamScannerFuzzTarget {

  private JsonStreamScannerFuzzTarget() {}

  public static void fuzzerTestOneInput(byte[] data) {
    FuzzInput in = FuzzInput.of(data);
    byte[] json = in.payload();
    boolean hashed = in.flag(0);

    Recorder whole = new Recorder(hashed);
    JsonStreamScanner scanner = new JsonStreamScanner(whole);
    scanner.reset();
    feed(scanner, json, 0, json.length);
    String expected = whole.outcome(scanner);

    Recorder chunked = new Recorder(hashed);
    JsonStreamScanner again = new JsonStreamScanner(chunked);
    again.reset();
    for (FuzzInput.Chunk c : in.chunks(json)) {
      feed(again, c.array(), c.offset(), c.length());
    }
    same(expected, chunked.outcome(again), "chunking");

    // A scanner is reused across events: what it read before a reset must not matter.
    chunked.log.setLength(0);
    again.reset();
    feed(again, json, 0, json.length);
    same(expected, chunked.outcome(again), "reset after use");

    agreesWithTreeParser(json, scanner, whole);
  }

  private static void feed(JsonStreamScanner scanner, byte[] b, int off, int len) {
    scanner.feed(b, off, len);
    check(scanner.retainedBytes() <= JsonStreamScanner.MAX_RAW_BYTES,
        () -> "capture buffer of " + scanner.retainedBytes() + " bytes");
    check(scanner.depth() >= 0 && scanner.depth() <= JsonStreamScanner.MAX_DEPTH,
        () -> "depth " + scanner.depth());
  }

  private static void agreesWithTreeParser(byte[] json, JsonStreamScanner scanner, Recorder recorder) {
    Object tree;
    try {
      tree = Json.parse(new String(json, StandardCharsets.UTF_8));
    } catch (JsonException notJson) {
      return; // the scanner validates less than the tree parser: nothing to compare
    }
    if (nesting(tree) > JsonStreamScanner.MAX_DEPTH) {
      return;
    }
    check(scanner.complete() && !scanner.failed() && !scanner.trailingData(),
        () -> "valid JSON not read to its end: " + recorder.outcome(scanner));
    for (String raw : recorder.raws) {
      try {
        Json.parse(raw);
      } catch (JsonException e) {
        throw new dev.tokenledger.fuzz.FuzzFinding("raw capture is not JSON (" + e.getMessage() + "): " + raw);
      }
    }
  }

  private static int nesting(Object v) {
    if (v instanceof JsonObject) {
      int deepest = 0;
      for (Object member : ((JsonObject) v).members().values()) {
        deepest = Math.max(deepest, nesting(member));
      }
      return deepest + 1;
    }
    if (v instanceof List) {
      int deepest = 0;
      for (Object item : (List<?>) v) {
        deepest = Math.max(deepest, nesting(item));
      }
      return deepest + 1;
    }
    return 0;
  }

  /** Decides by the path and records every callback. */
  private static final class Recorder implements JsonStreamScanner.Handler {
    final boolean hashed;
    final StringBuilder log = new StringBuilder();
    final java.util.List<String> raws = new java.util.ArrayList<>();

    Recorder(boolean hashed) {
      this.hashed = hashed;
    }

    @Override
    public int onValue(JsonStreamScanner path, byte first) {
      int action = decide(path, first);
      log.append("V ").append(path(path)).append(' ').append((char) first).append(' ').append(action).append('\n');
      return action;
    }

    private int decide(JsonStreamScanner path, byte first) {
      boolean container = first == '{' || first == '[';
      if (!hashed) {
        return container ? JsonStreamScanner.ENTER : JsonStreamScanner.SCALAR;
      }
      int h = path(path).hashCode() * 31 + first;
      h ^= h >>> 7;
      int pick = Math.floorMod(h, 4);
      if (container) {
        return pick <= 1 ? JsonStreamScanner.ENTER : pick == 2 ? JsonStreamScanner.RAW : JsonStreamScanner.IGNORE;
      }
      if (first == '"') {
        return new int[] {JsonStreamScanner.SCALAR, JsonStreamScanner.RAW, JsonStreamScanner.COUNT,
          JsonStreamScanner.IGNORE}[pick];
      }
      return pick == 0 ? JsonStreamScanner.RAW : pick == 1 ? JsonStreamScanner.IGNORE : JsonStreamScanner.SCALAR;
    }

    @Override
    public void onScalar(JsonStreamScanner path, int kind, String text) {
      log.append("S ").append(path(path)).append(' ').append(kind).append(' ').append(text).append('\n');
    }

    @Override
    public void onRaw(JsonStreamScanner path, String json) {
      log.append("R ").append(path(path)).append(' ').append(json).append('\n');
      if (json != null) {
        raws.add(json);
      }
    }

    @Override
    public void onCount(JsonStreamScanner path, long codePoints) {
      log.append("C ").append(path(path)).append(' ').append(codePoints).append('\n');
    }

    String outcome(JsonStreamScanner s) {
      s.end();
      return log + "complete=" + s.complete() + " failed=" + s.failed() + " error=" + s.error()
          + " at=" + s.errorOffset() + " sawValue=" + s.sawValue() + " trailing=" + s.trailingData();
    }

    private static String path(JsonStreamScanner p) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < p.depth(); i++) {
        sb.append('/').append(p.isArrayItem(i) ? "[]" : p.key(i));
      }
      return sb.toString();
    }
  }

  /** Seeds: every JSON body, batch line and SSE event's data of the fixtures and the simulator. */
  public static List<byte[]> seeds() {
    List<byte[]> seeds = new java.util.ArrayList<>();
    int i = 0;
    for (dev.tokenledger.fuzz.RealPayloads.Body b : dev.tokenledger.fuzz.RealPayloads.bodies()) {
      String text = new String(b.bytes(), StandardCharsets.UTF_8);
      List<String> documents = new java.util.ArrayList<>();
      if (b.contentType().contains("event-stream")) {
        for (String line : text.split("\\r?\\n")) {
          if (line.startsWith("data: {")) {
            documents.add(line.substring("data: ".length()));
          }
        }
      } else if (b.api().equals("batch.output")) {
        documents.addAll(List.of(text.split("\\n")));
      } else {
        documents.add(text);
      }
      for (String doc : documents) {
        i++;
        seeds.add(FuzzInput.encode(i % 2 == 0 ? 0 : 0x20, i % 5 == 0 ? 0 : i, doc.getBytes(StandardCharsets.UTF_8)));
      }
    }
    return seeds;
  }
}
