package dev.tokenledger.usage;

import static dev.tokenledger.fuzz.FuzzFinding.check;

import dev.tokenledger.fuzz.FuzzInput;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;

/**
 * What the body fuzz targets share: one response body through a {@link ResponseBodyCollector} the
 * way transports deliver it, and the checks every record must pass.
 */
final class BodyFuzzing {

  /** Buffers a collector may hold: scratch, decoder output, the scanner's capture, SSE's fixed fields. */
  static final int MAX_RETAINED_BYTES =
      ResponseBodyCollector.SCRATCH_BYTES + ContentDecoder.OUTPUT_CHUNK + JsonStreamScanner.MAX_RAW_BYTES + 1024;

  private BodyFuzzing() {}

  /** How a response is asked for and served. */
  record Served(OpenAiApi api, int httpStatus, String contentType, String request) {

    RequestInfo requestInfo() {
      if (request == null) {
        return RequestInfo.unknown();
      }
      byte[] body = request.getBytes(StandardCharsets.UTF_8);
      return RequestInfo.parse(OpenAiEndpoint.of(api), body, body.length, "application/json");
    }
  }

  /** The bytes in one piece, as one {@code byte[]}: the reference delivery. */
  static List<ResponseUsage> whole(Served served, byte[] body, String encoding, boolean reachedEnd) {
    return read(served, List.of(new FuzzInput.Chunk(body, 0, body.length)), encoding, reachedEnd, null, false);
  }

  /**
   * The chunks delivered as arrays, heap buffers or direct buffers (picked by {@code r}), the records
   * streamed to a sink or collected at the end; every record checked, and the buffers held checked
   * after every chunk.
   */
  static List<ResponseUsage> read(Served served, List<FuzzInput.Chunk> chunks, String encoding, boolean reachedEnd,
      SplittableRandom r, boolean streamRecords) {
    ResponseBodyCollector collector = ResponseBodyCollector.create(
        OpenAiEndpoint.of(served.api()), served.requestInfo(), served.httpStatus(), served.contentType(), encoding);
    List<ResponseUsage> records = new ArrayList<>();
    if (streamRecords) {
      collector.streamRecordsTo(records::add);
    }
    for (FuzzInput.Chunk c : chunks) {
      int how = r == null ? 0 : r.nextInt(4);
      if (how == 1) {
        ByteBuffer heap = ByteBuffer.wrap(c.array(), c.offset(), c.length());
        collector.onBytes(heap);
        check(heap.position() == c.offset() && heap.limit() == c.offset() + c.length(),
            () -> "the application's buffer was moved");
      } else if (how == 2) {
        ByteBuffer direct = ByteBuffer.allocateDirect(c.length() + 3);
        direct.position(3);
        direct.put(c.array(), c.offset(), c.length());
        direct.position(3);
        collector.onBytes(direct);
        check(direct.position() == 3, () -> "the application's buffer was moved");
      } else {
        collector.onBytes(c.array(), c.offset(), c.length());
      }
      int held = collector.retainedBytes();
      check(held <= MAX_RETAINED_BYTES, () -> "collector holds " + held + " bytes");
    }
    records.addAll(collector.finish(reachedEnd));
    check(collector.finish(reachedEnd).isEmpty(), () -> "a second finish returned records");
    checkRecords(served, records);
    return records;
  }

  /** The rules every body's records keep, whatever the bytes. */
  static void checkRecords(Served served, List<ResponseUsage> records) {
    OpenAiApi api = served.api();
    if (served.httpStatus() >= 400) {
      if (api == OpenAiApi.BATCH_OUTPUT) {
        check(records.isEmpty(), () -> "a failed batch download made records: " + records);
        return;
      }
      check(records.size() == 1, () -> "an error response made " + records.size() + " records: " + records);
      check(ResponseUsage.SOURCE_NONE.equals(records.get(0).source()), () -> "error record " + records.get(0));
    } else if (api == OpenAiApi.BATCH_OUTPUT) {
      for (ResponseUsage r : records) {
        check(r.batch(), () -> "batch line record " + r);
      }
    } else if (api.recordsPerStreamEvent()) {
      check(!records.isEmpty(), () -> "an image response made no record");
    } else {
      check(records.size() == 1, () -> "one response made " + records.size() + " records: " + records);
    }
    for (ResponseUsage r : records) {
      checkRecord(r);
    }
  }

  static void checkRecord(ResponseUsage r) {
    TokenUsage u = r.usage();
    String violation = u.invariantViolation();
    check(violation == null, () -> "invariant broken (" + violation + "): " + r);
    check(r.status() != null, () -> "record without status: " + r);
    String source = r.source();
    check(ResponseUsage.SOURCE_REPORTED.equals(source) || ResponseUsage.SOURCE_MISSING.equals(source)
        || ResponseUsage.SOURCE_COUNTED.equals(source) || ResponseUsage.SOURCE_NONE.equals(source),
        () -> "source " + source);
    if (!ResponseUsage.SOURCE_REPORTED.equals(source)) {
      check(u.isZeroTokens() && u.audioSeconds() == 0, () -> source + " record with tokens: " + r);
    }
    if (ResponseUsage.SOURCE_MISSING.equals(source)) {
      check(r.diagnostic() != null, () -> "missing record without a diagnostic: " + r);
    }
    String diagnostic = r.diagnostic() == null ? "" : r.diagnostic();
    check(!diagnostic.contains("internal error"), () -> "an exception was caught while reading: " + r);
    String anomaly = u.anomaly() == null ? "" : u.anomaly();
    check(!anomaly.startsWith("usage could not be mapped"), () -> "the usage parser threw: " + r);
  }

  static String signature(List<ResponseUsage> records) {
    return Fixtures.signature(records);
  }

  static byte[] gzip(byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * A JSON value no reader knows, made from {@code r}: nested objects and arrays holding members named
   * like the ones readers keep ({@code usage}, {@code id}, {@code model}, …), escapes and non-ASCII
   * text. Paths are matched exactly, so none of it may change a record.
   */
  static String unknownValue(SplittableRandom r, int depth) {
    int kind = depth > 3 ? 3 + r.nextInt(4) : r.nextInt(7);
    switch (kind) {
      case 0:
      case 1: {
        StringBuilder sb = new StringBuilder("{");
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
          sb.append(i == 0 ? "" : ",").append('"').append(DECOYS[r.nextInt(DECOYS.length)]).append("\":")
              .append(unknownValue(r, depth + 1));
        }
        return sb.append('}').toString();
      }
      case 2: {
        StringBuilder sb = new StringBuilder("[");
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
          sb.append(i == 0 ? "" : ",").append(unknownValue(r, depth + 1));
        }
        return sb.append(']').toString();
      }
      case 3:
        return STRINGS[r.nextInt(STRINGS.length)];
      case 4:
        return NUMBERS[r.nextInt(NUMBERS.length)];
      case 5:
        return r.nextBoolean() ? "true" : "false";
      default:
        return "null";
    }
  }

  private static final String[] DECOYS = {
    "usage", "id", "model", "status", "object", "response", "type", "error", "code", "body",
    "service_tier", "system_fingerprint", "finish_reason", "choices", "input_tokens", "prompt_tokens",
    "duration", "url", "status_code", "total_tokens", "x_unknown"
  };
  private static final String[] STRINGS = {
    "\"\"", "\"plain\"", "\"with \\\"quotes\\\" and \\\\ \\/ \\n\"", "\"\\u00e9\\ud83d\\ude00\"", "\"é😀\"",
    "\"{\\\"usage\\\":{\\\"input_tokens\\\":5}}\"", "\"data: [DONE]\""
  };
  private static final String[] NUMBERS = {"0", "-1", "3.5e2", "12345678901234567890", "-0.0", "1E-7"};

  /**
   * The text of a valid JSON object with an unknown member added first and one added last, or null
   * when {@code json} is not a JSON object the tree parser accepts.
   */
  static byte[] withUnknownMembers(byte[] json, SplittableRandom r) {
    String text = new String(json, StandardCharsets.UTF_8);
    Object tree;
    try {
      tree = Json.parse(text);
    } catch (JsonException e) {
      return null;
    }
    if (!(tree instanceof JsonObject) || !java.util.Arrays.equals(text.getBytes(StandardCharsets.UTF_8), json)) {
      return null;
    }
    int open = text.indexOf('{');
    int close = text.lastIndexOf('}');
    boolean empty = ((JsonObject) tree).size() == 0;
    String first = "\"x_unknown_first\":" + unknownValue(r, 0) + (empty ? "" : ",");
    String last = empty ? "" : ",\"x_unknown_last\":" + unknownValue(r, 0);
    return (text.substring(0, open + 1) + first + text.substring(open + 1, close) + last + text.substring(close))
        .getBytes(StandardCharsets.UTF_8);
  }
}
