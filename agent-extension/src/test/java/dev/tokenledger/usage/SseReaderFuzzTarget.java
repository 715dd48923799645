package dev.tokenledger.usage;

import static dev.tokenledger.fuzz.FuzzFinding.check;
import static dev.tokenledger.fuzz.FuzzFinding.same;
import static dev.tokenledger.usage.BodyFuzzing.read;
import static dev.tokenledger.usage.BodyFuzzing.signature;
import static dev.tokenledger.usage.BodyFuzzing.whole;

import dev.tokenledger.fuzz.FuzzInput;
import dev.tokenledger.fuzz.RealPayloads;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Fuzz target of the SSE reader: {@link SseParser} alone, and {@link EventStreamReader} behind a
 * {@link ResponseBodyCollector} for every streaming API.
 *
 * <ul>
 *   <li>the parser splits the bytes into the same events as a plain reading of the format done on the
 *       whole text (each event's name, data and whether it is {@code [DONE]}), whatever the chunks;
 *   <li>the parser holds at most its fixed buffers and the scanner's capture;
 *   <li>every record keeps the invariants, exactly one per stream (at least one for image streams),
 *       no exception caught on the way, for the stream whole, chunked, cut short, or ended early;
 *   <li>the same events with unknown members added to their JSON give the same records (checked when
 *       selector flag 2 is set).
 * </ul>
 */
public final class SseReaderFuzzTarget {

  private static final String SSE = "text/event-stream; charset=utf-8";
  private static final String WITH_USAGE = "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}";

  static final List<BodyFuzzing.Served> SERVED = List.of(
      new BodyFuzzing.Served(OpenAiApi.CHAT_COMPLETIONS, 200, SSE, WITH_USAGE),
      new BodyFuzzing.Served(OpenAiApi.CHAT_COMPLETIONS, 200, SSE, "{\"model\":\"m\",\"stream\":true}"),
      new BodyFuzzing.Served(OpenAiApi.CHAT_COMPLETIONS, 200, SSE, null),
      new BodyFuzzing.Served(OpenAiApi.COMPLETIONS, 200, SSE, WITH_USAGE),
      new BodyFuzzing.Served(OpenAiApi.RESPONSES, 200, SSE, null),
      new BodyFuzzing.Served(OpenAiApi.IMAGES_GENERATIONS, 200, SSE, null),
      new BodyFuzzing.Served(OpenAiApi.IMAGES_EDITS, 200, SSE, null),
      new BodyFuzzing.Served(OpenAiApi.AUDIO_SPEECH, 200, SSE, null),
      new BodyFuzzing.Served(OpenAiApi.AUDIO_TRANSCRIPTIONS, 200, SSE, null),
      // No content type: the request's stream flag decides.
      new BodyFuzzing.Served(OpenAiApi.CHAT_COMPLETIONS, 200, null, WITH_USAGE));

  /** Fixed buffers of the parser, besides its scanner's capture. */
  private static final int PARSER_BUFFERS =
      SseParser.MAX_FIELD_NAME_BYTES + SseParser.MAX_EVENT_NAME_BYTES + SseParser.DATA_PREFIX_BYTES;

  private SseReaderFuzzTarget() {}

  public static void fuzzerTestOneInput(byte[] data) {
    FuzzInput in = FuzzInput.of(data);
    byte[] stream = in.payload();
    SplittableRandom r = in.random();

    // The parser alone, against a reading of the whole text.
    List<Event> reference = referenceEvents(stream);
    String expectedEvents = describe(reference);
    same(expectedEvents, parse(List.of(new FuzzInput.Chunk(stream, 0, stream.length))), "the parser (whole)");
    same(expectedEvents, parse(in.chunks(stream)), "chunking (parser)");

    // The stream behind a collector.
    BodyFuzzing.Served served = SERVED.get(in.choose(SERVED.size()));
    String expected = signature(whole(served, stream, null, true));
    same(expected, signature(read(served, in.chunks(stream), null, true, r, in.flag(0))), "chunking");
    int cut = r.nextInt(stream.length + 1);
    byte[] prefix = Arrays.copyOf(stream, cut);
    read(served, in.chunks(prefix), null, r.nextBoolean(), r, false);
    if (in.flag(1)) {
      byte[] gzipped = BodyFuzzing.gzip(stream);
      same(expected, signature(read(served, in.chunks(gzipped), "gzip", true, r, false)), "gzip");
    }

    // The same events, written anew, with and without unknown members in their JSON (every other input).
    if (!in.flag(2)) {
      return;
    }
    List<Event> extended = new ArrayList<>();
    boolean changed = false;
    for (Event e : reference) {
      byte[] more = BodyFuzzing.withUnknownMembers(e.data, r);
      changed |= more != null;
      extended.add(new Event(e.name, more != null ? more : e.data));
    }
    if (changed) {
      same(signature(whole(served, write(reference), null, true)),
          signature(whole(served, write(extended), null, true)), "unknown members in the events");
    }
  }

  /** The events the parser dispatches, described; buffers checked after every chunk. */
  private static String parse(List<FuzzInput.Chunk> chunks) {
    StringBuilder sb = new StringBuilder();
    SseParser parser = new SseParser((name, scanner, doc, done) ->
        sb.append(describe(name, done, scanner, doc)).append('\n'));
    for (FuzzInput.Chunk c : chunks) {
      parser.feed(c.array(), c.offset(), c.length());
      check(parser.retainedBytes() <= PARSER_BUFFERS + JsonStreamScanner.MAX_RAW_BYTES,
          () -> "SSE parser holds " + parser.retainedBytes() + " bytes");
    }
    parser.finish();
    return sb.toString();
  }

  /** One event of the plain reading: its name (null when none) and its data. */
  private record Event(String name, byte[] data) {}

  /**
   * The text/event-stream format read on the whole text, as the parser documents it: lines end in
   * CRLF, LF or CR; {@code field: value} with one leading space dropped; data lines joined with LF;
   * an event is dispatched at a blank line when it has data, and at the end of the stream when it
   * has data (the last line counts when it has its colon). Event names are kept to
   * {@link SseParser#MAX_EVENT_NAME_BYTES}; field names longer than
   * {@link SseParser#MAX_FIELD_NAME_BYTES} are none we know.
   */
  private static List<Event> referenceEvents(byte[] b) {
    List<Event> events = new ArrayList<>();
    ByteArrayOutputStream eventData = new ByteArrayOutputStream();
    boolean hasData = false;
    byte[] name = null;
    int at = 0;
    while (at <= b.length) {
      int end = at;
      while (end < b.length && b[end] != '\n' && b[end] != '\r') {
        end++;
      }
      boolean terminated = end < b.length;
      byte[] line = Arrays.copyOfRange(b, at, end);
      int colon = indexOf(line, (byte) ':');
      if (terminated || colon >= 0) {
        if (terminated && line.length == 0) {
          if (hasData) {
            events.add(new Event(decodeName(name), eventData.toByteArray()));
          }
          hasData = false;
          eventData.reset();
          name = null;
        } else if (colon != 0) {
          byte[] field = colon < 0 ? line : Arrays.copyOf(line, colon);
          byte[] value = colon < 0 ? new byte[0] : Arrays.copyOfRange(line,
              colon + 1 < line.length && line[colon + 1] == ' ' ? colon + 2 : colon + 1, line.length);
          String fieldName = new String(field, StandardCharsets.ISO_8859_1);
          if (fieldName.equals("data")) {
            if (hasData) {
              eventData.write('\n');
            }
            eventData.writeBytes(value);
            hasData = true;
          } else if (fieldName.equals("event") && colon >= 0) {
            name = value;
          }
        }
      }
      if (!terminated) {
        break;
      }
      at = end + 1;
      if (b[end] == '\r' && at < b.length && b[at] == '\n') {
        at++;
      }
    }
    if (hasData) {
      events.add(new Event(decodeName(name), eventData.toByteArray()));
    }
    return events;
  }

  private static String decodeName(byte[] name) {
    if (name == null || name.length == 0) {
      return null;
    }
    return new String(name, 0, Math.min(name.length, SseParser.MAX_EVENT_NAME_BYTES), StandardCharsets.UTF_8);
  }

  private static int indexOf(byte[] b, byte c) {
    for (int i = 0; i < b.length; i++) {
      if (b[i] == c) {
        return i;
      }
    }
    return -1;
  }

  private static String describe(List<Event> events) {
    StringBuilder sb = new StringBuilder();
    for (Event e : events) {
      DocCapture doc = new DocCapture();
      JsonStreamScanner scanner = new JsonStreamScanner(doc);
      scanner.reset();
      doc.reset();
      scanner.feed(e.data, 0, e.data.length);
      scanner.end();
      int prefix = Math.min(e.data.length, SseParser.DATA_PREFIX_BYTES);
      boolean done = "[DONE]".equals(new String(e.data, 0, prefix, StandardCharsets.UTF_8).trim());
      sb.append(describe(e.name, done, scanner, doc)).append('\n');
    }
    return sb.toString();
  }

  private static String describe(String name, boolean done, JsonStreamScanner scanner, DocCapture doc) {
    return "event " + name + " done=" + done + " complete=" + scanner.complete() + " failed=" + scanner.failed()
        + " error=" + scanner.error() + "@" + scanner.errorOffset() + " sawValue=" + scanner.sawValue()
        + " top{" + fields(doc.top) + "} response{" + fields(doc.response) + "}";
  }

  private static String fields(DocCapture.Fields f) {
    return "id=" + f.id + " object=" + f.object + " model=" + f.model + " tier=" + f.serviceTier + " status="
        + f.status + " type=" + f.type + " usage=" + f.usageRaw + " overflow=" + f.usageOverflow + " error="
        + f.errorSeen + "/" + f.code + "/" + f.errorCode + " finish=" + f.finishReasons();
  }

  /** Events written as a server writes them. */
  private static byte[] write(List<Event> events) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Event e : events) {
      if (e.name != null) {
        out.writeBytes(("event: " + e.name + "\n").getBytes(StandardCharsets.UTF_8));
      }
      int from = 0;
      for (int i = 0; i <= e.data.length; i++) {
        if (i == e.data.length || e.data[i] == '\n') {
          out.writeBytes("data: ".getBytes(StandardCharsets.US_ASCII));
          out.write(e.data, from, i - from);
          out.write('\n');
          from = i + 1;
        }
      }
      out.write('\n');
    }
    return out.toByteArray();
  }

  /** Seeds: every event stream of the fixtures and the simulator, served as its API serves it. */
  public static List<byte[]> seeds() {
    List<byte[]> seeds = new ArrayList<>();
    int i = 0;
    for (RealPayloads.Body b : RealPayloads.bodies()) {
      if (!b.contentType().contains("event-stream")) {
        continue;
      }
      int served = -1;
      for (int k = 0; k < SERVED.size() && served < 0; k++) {
        BodyFuzzing.Served s = SERVED.get(k);
        boolean sameRequest = b.request() == null || s.request() == null
            ? s.request() == null || !b.api().startsWith("chat")
            : RequestInfo.parse(OpenAiEndpoint.of(s.api()), b.request().getBytes(StandardCharsets.UTF_8),
                b.request().length(), "application/json").includeUsage() == s.requestInfo().includeUsage();
        if (s.api().apiName().equals(b.api()) && sameRequest) {
          served = k;
        }
      }
      if (served >= 0) {
        i++;
        int flags = (i % 3 == 0 ? 0x20 : 0) | (i % 4 == 0 ? 0x40 : 0) | (i % 2 == 1 ? 0x80 : 0);
        seeds.add(FuzzInput.encode(served | flags, i % 5 == 0 ? 0 : i, b.bytes()));
      }
    }
    return seeds;
  }
}
