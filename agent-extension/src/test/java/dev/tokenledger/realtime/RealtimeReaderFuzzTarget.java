package dev.tokenledger.realtime;

import static dev.tokenledger.fuzz.FuzzFinding.check;
import static dev.tokenledger.fuzz.FuzzFinding.same;

import dev.tokenledger.fuzz.FuzzInput;
import dev.tokenledger.fuzz.RealPayloads;
import dev.tokenledger.usage.JsonStreamScanner;
import dev.tokenledger.usage.RateLimitedLog;
import dev.tokenledger.usage.ResponseUsage;
import dev.tokenledger.usage.TokenUsage;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Field;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Fuzz target of the Realtime message reader and the connection state behind it: a connection's
 * text messages (the payload split at NUL bytes; UTF-8, or with selector flag 1 raw UTF-16 so lone
 * surrogates occur), delivered whole and in fragments of every {@link CharSequence} a client hands
 * over; selector flag 2 leaves the model out of the URL.
 *
 * <ul>
 *   <li>nothing is thrown, and nothing is caught inside either (their guards log under the
 *       categories {@code realtime-reader} and {@code realtime-state});
 *   <li>between messages the reader holds nothing; while reading, at most its peek buffer and the
 *       scanner's capture; never more than {@link RealtimeConnectionState#MAX_OPEN_RESPONSES} open;
 *   <li>every record keeps the invariants, and a {@code missing} one has no tokens;
 *   <li>each response started is ended by exactly one record once the connection ends;
 *   <li>fragmenting the messages changes nothing the state reports.
 * </ul>
 */
public final class RealtimeReaderFuzzTarget {

  private RealtimeReaderFuzzTarget() {}

  public static void fuzzerTestOneInput(byte[] data) {
    FuzzInput in = FuzzInput.of(data);
    List<String> messages = messages(in.payload(), in.flag(1));
    SplittableRandom r = in.random();
    long caughtBefore = caught();

    // The URL names the model (or Azure deployment), or leaves it to the session.
    String urlModel = in.flag(2) ? null : "gpt-realtime";
    String whole = play(messages, urlModel, null);
    same(whole, play(messages, urlModel, r), "fragmenting");
    check(caught() == caughtBefore, () -> "the reader or the state caught an exception (see the log)");
  }

  /** The messages of a payload: split at NUL, decoded as UTF-8 or as UTF-16 code units. */
  static List<String> messages(byte[] payload, boolean utf16) {
    List<String> messages = new ArrayList<>();
    int from = 0;
    for (int i = 0; i <= payload.length; i++) {
      if (i == payload.length || payload[i] == 0) {
        if (utf16) {
          char[] chars = new char[(i - from) / 2];
          for (int k = 0; k < chars.length; k++) {
            chars[k] = (char) (((payload[from + 2 * k] & 0xff) << 8) | (payload[from + 2 * k + 1] & 0xff));
          }
          messages.add(new String(chars));
        } else {
          messages.add(new String(payload, from, i - from, StandardCharsets.UTF_8));
        }
        from = i + 1;
      }
    }
    return messages;
  }

  /** Plays the messages (whole when {@code r} is null) and returns what the state reported. */
  private static String play(List<String> messages, String urlModel, SplittableRandom r) {
    Recorder sink = new Recorder();
    RealtimeConnectionState state = new RealtimeConnectionState(sink, urlModel);
    RealtimeMessageReader reader = new RealtimeMessageReader(state);
    for (String message : messages) {
      if (r == null) {
        reader.onText(message, true);
      } else {
        deliverInFragments(reader, message, r);
      }
      checkIdle(reader);
      check(state.openResponses() <= RealtimeConnectionState.MAX_OPEN_RESPONSES,
          () -> state.openResponses() + " open responses");
    }
    state.end("closed");
    for (Object handle : sink.started.keySet()) {
      int ended = sink.started.get(handle);
      check(ended == 1, () -> "a started response was ended by " + ended + " records");
    }
    return sink.log.toString();
  }

  private static void deliverInFragments(RealtimeMessageReader reader, String message, SplittableRandom r) {
    int at = 0;
    do {
      int left = message.length() - at;
      int n = left == 0 ? 0 : switch (r.nextInt(4)) {
        case 0 -> 1;
        case 1 -> 1 + r.nextInt(Math.min(left, 8));
        case 2 -> 1 + r.nextInt(Math.min(left, 128));
        default -> left;
      };
      String part = message.substring(at, at + n);
      at += n;
      boolean last = at == message.length();
      reader.onText(asDelivered(part, r), last);
      if (!last) {
        checkReading(reader);
      }
    } while (at < message.length());
  }

  /** The fragment as a client type delivers it: a String, a heap buffer at an offset, or a builder. */
  private static CharSequence asDelivered(String part, SplittableRandom r) {
    switch (r.nextInt(4)) {
      case 0: {
        char[] backing = ("<<" + part + ">>").toCharArray();
        return CharBuffer.wrap(backing, 2, part.length());
      }
      case 1: {
        char[] backing = ("<<<" + part).toCharArray();
        CharBuffer b = CharBuffer.wrap(backing);
        b.position(3);
        return b.slice();
      }
      case 2:
        return new StringBuilder(part);
      default:
        return part;
    }
  }

  // ---- what the reader holds ----

  private static final Field PREFIX = field(RealtimeMessageReader.class, "prefix");
  private static final Field SCAN = field(RealtimeMessageReader.class, "scan");
  private static final Field MESSAGE_CHARS = field(RealtimeMessageReader.class, "messageChars");

  private static void checkIdle(RealtimeMessageReader reader) {
    check(get(PREFIX, reader) == null && get(SCAN, reader) == null && (long) get(MESSAGE_CHARS, reader) == 0,
        () -> "the reader holds state between messages");
  }

  private static void checkReading(RealtimeMessageReader reader) {
    char[] prefix = (char[]) get(PREFIX, reader);
    check(prefix == null || prefix.length <= RealtimeMessageReader.PREFIX_CAPACITY,
        () -> "peek buffer of " + prefix.length);
    Object scan = get(SCAN, reader);
    if (scan != null) {
      JsonStreamScanner scanner = (JsonStreamScanner) get(field(scan.getClass(), "scanner"), scan);
      check(scanner.retainedBytes() <= JsonStreamScanner.MAX_RAW_BYTES,
          () -> "scanner holds " + scanner.retainedBytes());
    }
  }

  // ---- what the guards caught ----

  private static final String[] GUARDS = {"realtime-reader", "realtime-state"};

  /** Warnings the shared log has taken under the guards' categories so far (logged or suppressed). */
  @SuppressWarnings("unchecked")
  private static long caught() {
    Object shared = get(field(RateLimitedLog.class, "SHARED"), null);
    Map<String, ?> categories = (Map<String, ?>) get(field(RateLimitedLog.class, "categories"), shared);
    long n = 0;
    for (String category : GUARDS) {
      Object c = categories.get(category);
      if (c != null) {
        // A category exists from its first warning on; its suppressed count grows with each later one
        // (it goes back to zero when the next one is logged, a minute later: then the time moved).
        n += 1_000_000 + ((java.util.concurrent.atomic.AtomicLong) get(field(c.getClass(), "suppressed"), c)).get()
            + ((java.util.concurrent.atomic.AtomicLong) get(field(c.getClass(), "nextAllowed"), c)).get();
      }
    }
    return n;
  }

  private static Field field(Class<?> type, String name) {
    try {
      Field f = type.getDeclaredField(name);
      f.setAccessible(true);
      return f;
    } catch (NoSuchFieldException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Object get(Field f, Object target) {
    try {
      return f.get(target);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Records everything the state reports, and which response handles came back how often. */
  private static final class Recorder implements RealtimeConnectionState.Sink {
    final StringBuilder log = new StringBuilder();
    final Map<Object, Integer> started = new IdentityHashMap<>();
    private int next;

    @Override
    public Object responseStarted(String responseId, String model) {
      log.append("started ").append(responseId).append(' ').append(model).append('\n');
      Object handle = new Object() {
        final int id = next++;

        @Override
        public String toString() {
          return "handle" + id;
        }
      };
      started.put(handle, 0);
      return handle;
    }

    @Override
    public void sessionIdentified(String sessionId, String model) {
      log.append("session ").append(sessionId).append(' ').append(model).append('\n');
    }

    @Override
    public void record(ResponseUsage usage, String requestModel, Object handle) {
      TokenUsage u = usage.usage();
      String violation = u.invariantViolation();
      check(violation == null, () -> "invariant broken (" + violation + "): " + usage);
      if (!ResponseUsage.SOURCE_REPORTED.equals(usage.source())) {
        check(u.isZeroTokens() && u.audioSeconds() == 0, () -> "a missing record with tokens: " + usage);
        check(usage.diagnostic() != null, () -> "a missing record without a diagnostic: " + usage);
      }
      String anomaly = u.anomaly() == null ? "" : u.anomaly();
      check(!anomaly.startsWith("usage could not be mapped"), () -> "the usage parser threw: " + usage);
      if (handle != null) {
        Integer seen = started.get(handle);
        check(seen != null, () -> "a record came back with a handle never handed out");
        started.put(handle, seen + 1);
      }
      log.append("record ").append(usage).append(' ').append(u.rawJson()).append(' ').append(requestModel)
          .append(' ').append(handle).append('\n');
    }

    @Override
    public void error(String errorType, String errorCode) {
      log.append("error ").append(errorType).append(' ').append(errorCode).append('\n');
    }
  }

  /** Seeds: each Realtime fixture alone, all of them in one connection, and the simulator's sessions. */
  public static List<byte[]> seeds() {
    List<byte[]> seeds = new ArrayList<>();
    int i = 0;
    for (RealPayloads.Conversation c : RealPayloads.conversations()) {
      ByteArrayOutputStream payload = new ByteArrayOutputStream();
      for (int k = 0; k < c.messages().size(); k++) {
        if (k > 0) {
          payload.write(0);
        }
        payload.writeBytes(c.messages().get(k).getBytes(StandardCharsets.UTF_8));
      }
      i++;
      seeds.add(FuzzInput.encode(0, i, payload.toByteArray()));
    }
    return seeds;
  }
}
