package dev.tokenledger.usage;

import static dev.tokenledger.fuzz.FuzzFinding.check;
import static dev.tokenledger.fuzz.FuzzFinding.same;
import static dev.tokenledger.usage.BodyFuzzing.read;
import static dev.tokenledger.usage.BodyFuzzing.signature;
import static dev.tokenledger.usage.BodyFuzzing.whole;

import dev.tokenledger.fuzz.FuzzInput;
import dev.tokenledger.fuzz.RealPayloads;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Fuzz target of the usage parser: JSON response bodies of every API (and batch output files and
 * error bodies) through {@link ResponseBodyCollector}, and every object in them through every
 * {@link UsageShape}; or (selector flag 2) usage objects built field by field from the input, with
 * the numbers that break arithmetic.
 *
 * <ul>
 *   <li>no exception, caught or not: no {@code internal error} diagnostic, no unmappable usage;
 *   <li>every record keeps the export invariants, has no negative count, and a {@code missing} or
 *       {@code none} record has no tokens; one record per response (none for a failed batch
 *       download), however broken or truncated the body;
 *   <li>the collector holds no more than {@link BodyFuzzing#MAX_RETAINED_BYTES};
 *   <li>the same bytes in other chunks (arrays, heap or direct buffers), or gzip-encoded, give the
 *       same records (and the bytes taken as a gzip or deflate body, broken as they are, still keep
 *       the rules above); a valid body with unknown members added gives the same records, and a usage
 *       object with unknown members added gives the same token counts.
 * </ul>
 */
public final class UsageParserFuzzTarget {

  static final List<BodyFuzzing.Served> SERVED = List.of(
      json(OpenAiApi.CHAT_COMPLETIONS),
      json(OpenAiApi.COMPLETIONS),
      json(OpenAiApi.RESPONSES),
      json(OpenAiApi.EMBEDDINGS),
      json(OpenAiApi.IMAGES_GENERATIONS),
      json(OpenAiApi.IMAGES_EDITS),
      json(OpenAiApi.AUDIO_TRANSCRIPTIONS),
      json(OpenAiApi.AUDIO_TRANSLATIONS),
      json(OpenAiApi.MODERATIONS),
      new BodyFuzzing.Served(OpenAiApi.BATCH_OUTPUT, 200, "application/octet-stream", null),
      new BodyFuzzing.Served(OpenAiApi.CHAT_COMPLETIONS, 429, "application/json", null),
      new BodyFuzzing.Served(OpenAiApi.RESPONSES, 500, "application/json; charset=utf-8", null));

  private static BodyFuzzing.Served json(OpenAiApi api) {
    return new BodyFuzzing.Served(api, 200, "application/json", null);
  }

  private UsageParserFuzzTarget() {}

  public static void fuzzerTestOneInput(byte[] data) {
    FuzzInput in = FuzzInput.of(data);
    if (in.flag(2)) {
      everyShape(UsageObjects.build(in.payload()), in.random());
      return;
    }
    BodyFuzzing.Served served = SERVED.get(in.choose(SERVED.size()));
    byte[] body = in.payload();
    SplittableRandom r = in.random();

    List<ResponseUsage> expected = whole(served, body, null, true);
    String expectedSignature = signature(expected);
    same(expectedSignature, signature(read(served, in.chunks(body), null, true, r, in.flag(0))), "chunking");
    if (in.flag(1)) {
      byte[] gzipped = BodyFuzzing.gzip(body);
      same(expectedSignature, signature(read(served, in.chunks(gzipped), "gzip", true, r, false)), "gzip");
      // The payload itself as an encoded body: mostly not gzip or deflate at all.
      read(served, in.chunks(body), r.nextBoolean() ? "gzip" : "deflate", true, r, false);
    }

    int cut = r.nextInt(body.length + 1);
    byte[] prefix = java.util.Arrays.copyOf(body, cut);
    read(served, in.chunks(prefix), null, false, r, false);
    read(served, in.chunks(prefix), null, true, r, false);

    byte[] extended = BodyFuzzing.withUnknownMembers(body, r);
    if (extended != null) {
      same(expectedSignature, signature(whole(served, extended, null, true)), "unknown members in the body");
    }

    Object tree = parse(body);
    List<JsonObject> objects = new ArrayList<>();
    collectObjects(tree, objects);
    for (JsonObject o : objects) {
      everyShape(o, r);
    }
  }

  private static Object parse(byte[] body) {
    try {
      return Json.parse(new String(body, StandardCharsets.UTF_8));
    } catch (JsonException e) {
      return null;
    }
  }

  /** The objects of a document, outermost first, at most a handful. */
  private static void collectObjects(Object node, List<JsonObject> into) {
    if (into.size() >= 8) {
      return;
    }
    if (node instanceof JsonObject) {
      JsonObject o = (JsonObject) node;
      into.add(o);
      for (Object member : o.members().values()) {
        collectObjects(member, into);
      }
    } else if (node instanceof List) {
      for (Object item : (List<?>) node) {
        collectObjects(item, into);
      }
    }
  }

  /** The object as usage of every shape, with and without unknown members. */
  static void everyShape(JsonObject usage, SplittableRandom r) {
    JsonObject extended = withUnknownMembers(usage, r);
    for (UsageShape shape : UsageShape.values()) {
      TokenUsage plain = checked(shape.parse(usage), usage);
      TokenUsage more = checked(shape.parse(extended), extended);
      same(counts(plain), counts(more), shape + " usage with unknown members");
      checked(UsageShape.parse(shape, usage), usage);
    }
    checked(UsageShape.parse(null, usage), usage);
    UsageShape.hasCounts(usage);
  }

  private static TokenUsage checked(TokenUsage u, JsonObject usage) {
    String violation = u.invariantViolation();
    check(violation == null, () -> "invariant broken (" + violation + ") by " + usage.toJson() + ": " + u);
    String anomaly = u.anomaly() == null ? "" : u.anomaly();
    check(!anomaly.startsWith("usage could not be mapped"), () -> "the usage parser threw on " + usage.toJson());
    return u;
  }

  /** Everything of a usage record but the raw JSON it keeps. */
  private static String counts(TokenUsage u) {
    return u.toString() + " audioSeconds=" + u.audioSeconds() + " inputCharacters=" + u.inputCharacters();
  }

  /** A deep copy with an unknown member at the top and in every object member. */
  private static JsonObject withUnknownMembers(JsonObject usage, SplittableRandom r) {
    JsonObject copy = Json.parseObject(usage.toJson());
    addUnknown(copy, r, 0);
    return copy;
  }

  private static void addUnknown(JsonObject o, SplittableRandom r, int depth) {
    for (String key : new ArrayList<>(o.keys())) {
      Object member = o.get(key);
      if (member instanceof JsonObject && depth < 3) {
        addUnknown((JsonObject) member, r, depth + 1);
      }
    }
    o.put("x_unknown_" + depth, Json.parse(BodyFuzzing.unknownValue(r, 1)));
  }

  /** Seeds: every JSON body of the fixtures and the simulator, served as its API serves it. */
  public static List<byte[]> seeds() {
    List<byte[]> seeds = new ArrayList<>();
    int i = 0;
    for (RealPayloads.Body b : RealPayloads.bodies()) {
      if (b.contentType().contains("event-stream")) {
        continue;
      }
      for (int k = 0; k < SERVED.size(); k++) {
        BodyFuzzing.Served s = SERVED.get(k);
        if (s.api().apiName().equals(b.api()) && (s.httpStatus() >= 400) == (b.httpStatus() >= 400)) {
          i++;
          seeds.add(FuzzInput.encode(k | (i % 4 == 0 ? 0x40 : 0) | (i % 2 == 0 ? 0x20 : 0), i % 5 == 0 ? 0 : i,
              b.bytes()));
          break;
        }
      }
    }
    seeds.addAll(UsageObjects.seeds());
    return seeds;
  }
}
