package dev.tokenledger.realtime;

import dev.tokenledger.usage.JsonStreamScanner;
import dev.tokenledger.usage.RateLimitedLog;
import java.nio.CharBuffer;

/**
 * Reads the text messages of one Realtime WebSocket connection as the client delivers them — whole
 * ({@code OkHttp}, Jakarta {@code Whole}) or in fragments ({@code java.net.http}'s
 * {@code onText(…, last)}, Jakarta {@code Partial}) — and hands the events that matter to a
 * {@link Listener}.
 *
 * <h2>Cost</h2>
 *
 * A message is first <em>peeked</em>: its first characters are read in place until
 * {@code {"type":"…"} is complete (the server puts {@code type} first; only a type split across
 * fragments is copied, into a small buffer dropped once the type is known). A type that does not matter —
 * the audio deltas that are nearly all the traffic — is decided there, and the rest of the message
 * (tens of KB of base64) is never looked at, copied or parsed; later fragments of it cost one branch.
 * Only the events that matter are fed, as they arrive, through the streaming JSON scanner, which keeps
 * just the members {@link RealtimeEventCapture} names: no fragment is ever buffered whole. A message
 * whose first member is not {@code type} is scanned from its start until its {@code type} shows up,
 * and skipped from there if it does not matter.
 *
 * <h2>Memory</h2>
 *
 * Between messages: this object alone (a few fields). While an event that matters is read: a
 * scanner with two small chunks (chars and their UTF-8) and whatever it captures (ids and the usage
 * object, capped by {@link JsonStreamScanner#MAX_RAW_BYTES}); dropped at the message's end.
 * Events over {@link #MAX_EVENT_CHARS} are not read to their end (reported unreadable).
 *
 * <p>Not thread-safe: a WebSocket client delivers one connection's messages one at a time. Never
 * throws.
 */
public final class RealtimeMessageReader {

  /** Receives each event that matters, read whole or marked {@link RealtimeEvent#unreadable()}. */
  public interface Listener {
    void onEvent(RealtimeEvent event);
  }

  /** Enough for {@code {"type":"conversation.item.input_audio_transcription.completed"} and spaces. */
  static final int PREFIX_CAPACITY = 96;
  /**
   * Longest event read to its end. A {@code response.done} carries its output items (transcripts,
   * tool arguments) and can be long, but nothing the agent needs comes after several MB of them.
   */
  static final long MAX_EVENT_CHARS = 8L * 1024 * 1024;

  private static final int PEEK = 0;
  private static final int SKIP = 1;
  private static final int SCAN = 2;

  private static final int NEED_MORE = 0;
  private static final int DECIDED_SKIP = 1;
  private static final int DECIDED_SCAN = 2;
  private static final int NOT_TYPE_FIRST = 3;

  private static final String[] MATTERING = {
    RealtimeEventTypes.SESSION_CREATED,
    RealtimeEventTypes.SESSION_UPDATED,
    RealtimeEventTypes.TRANSCRIPTION_SESSION_CREATED,
    RealtimeEventTypes.TRANSCRIPTION_SESSION_UPDATED,
    RealtimeEventTypes.RESPONSE_CREATED,
    RealtimeEventTypes.RESPONSE_DONE,
    RealtimeEventTypes.TRANSCRIPTION_COMPLETED,
    RealtimeEventTypes.ERROR
  };

  private final Listener listener;
  private int mode = PEEK;
  private char[] prefix;
  private int prefixLength;
  private long messageChars;
  private Scan scan;
  private long skipped;

  public RealtimeMessageReader(Listener listener) {
    this.listener = listener;
  }

  /** Messages skipped after their type was read (for tests and the benchmark). */
  public long skippedMessages() {
    return skipped;
  }

  /** One whole text message, or one fragment of it ({@code last} ends the message). */
  public void onText(CharSequence fragment, boolean last) {
    try {
      read(fragment, last);
    } catch (Throwable t) {
      RateLimitedLog.warn("realtime-reader", "TokenLedger could not read a Realtime message: " + t);
      resetMessage();
    }
  }

  /**
   * A binary message (or a fragment of one). The Realtime protocol sends JSON text only; a binary
   * frame is not an event and cannot be billed, so it is reported and ignored.
   */
  public void onBinary(boolean last) {
    if (last) {
      RateLimitedLog.warn(
          "realtime-binary",
          "TokenLedger ignored a binary WebSocket message on a Realtime connection (the protocol sends"
              + " JSON text; binary frames carry no events)");
    }
  }

  private void read(CharSequence fragment, boolean last) {
    if (mode == PEEK && fragment != null) {
      int at = prefixLength == 0 ? peekInPlace(fragment) : peekBuffered(fragment);
      if (mode == SCAN) {
        scanFragment(fragment, at);
      }
    } else if (mode == SCAN && fragment != null) {
      scanFragment(fragment, 0);
    }
    // SKIP: the rest of a message whose type does not matter, not even its length looked at.
    if (last) {
      endMessage();
    }
  }

  private void scanFragment(CharSequence fragment, int at) {
    int length = fragment.length();
    messageChars += length;
    if (messageChars > MAX_EVENT_CHARS) {
      scan.tooLarge = true;
      mode = SKIP;
      return;
    }
    scan.encode(fragment, at, length);
    if (scan.irrelevant()) {
      scan = null; // its type came late and does not matter
      mode = SKIP;
      skipped++;
    }
  }

  /**
   * The usual case: the message's first fragment holds its whole type, decided on the fragment
   * itself (nothing copied, and the fragment's length counted no further than the type needs).
   * Returns where reading the fragment goes on once the mode is SCAN.
   */
  private int peekInPlace(CharSequence fragment) {
    int end = fragment instanceof LazyLengthText
        ? ((LazyLengthText) fragment).lengthAtMost(PREFIX_CAPACITY)
        : Math.min(fragment.length(), PREFIX_CAPACITY);
    if (end == 0) {
      return 0;
    }
    int decision = peekType(fragment, end);
    if (decision == DECIDED_SKIP) {
      mode = SKIP;
      skipped++;
      return end;
    }
    if (decision == NEED_MORE && end < PREFIX_CAPACITY) {
      // A fragment too short to show the type (end is its whole length): keep its chars until the next one.
      prefix = new char[PREFIX_CAPACITY];
      copy(fragment, 0, end);
      messageChars += end;
      return end;
    }
    scan = new Scan(decision != DECIDED_SCAN);
    mode = SCAN;
    return 0; // the scanner reads the fragment from its start
  }

  /** The type started in an earlier fragment: go on in the peek buffer. */
  private int peekBuffered(CharSequence fragment) {
    int length = fragment.length();
    int take = Math.min(length, PREFIX_CAPACITY - prefixLength);
    copy(fragment, 0, take);
    CharSequence peeked = CharBuffer.wrap(prefix, 0, prefixLength);
    int decision = peekType(peeked, prefixLength);
    if (decision == DECIDED_SKIP) {
      mode = SKIP;
      skipped++;
      releasePrefix();
      return length;
    }
    if (decision == NEED_MORE && prefixLength < PREFIX_CAPACITY) {
      messageChars += length;
      return length;
    }
    scan = new Scan(decision != DECIDED_SCAN);
    mode = SCAN;
    scan.encode(peeked, 0, prefixLength);
    releasePrefix();
    return take;
  }

  private void copy(CharSequence fragment, int from, int to) {
    for (int i = from; i < to; i++) {
      prefix[prefixLength++] = fragment.charAt(i);
    }
  }

  /** Between messages nothing is kept: the buffer is only for a type split across fragments. */
  private void releasePrefix() {
    prefix = null;
    prefixLength = 0;
  }

  private void endMessage() {
    Scan finished = scan;
    boolean undecided = mode == PEEK && prefixLength > 0;
    resetMessage();
    if (finished != null) {
      RealtimeEvent event = finished.finish();
      if (event != null) {
        listener.onEvent(event);
      }
    } else if (undecided) {
      // Ended before its type was complete: too short to be an event at all.
      RateLimitedLog.warn("realtime-unreadable", "TokenLedger read a Realtime message too short to be an event");
    }
  }

  private void resetMessage() {
    mode = PEEK;
    releasePrefix();
    messageChars = 0;
    scan = null;
  }

  /**
   * Reads {@code {"type":"<name>"} from the first {@code end} chars of the message: the decision, or NEED_MORE when the
   * buffer ends first. Anything else at the start (another member first, an escape in the name, not
   * an object) is NOT_TYPE_FIRST: the scanner then decides.
   */
  private static int peekType(CharSequence p, int end) {
    int i = skipWhitespace(p, 0, end);
    if (i == end) {
      return NEED_MORE;
    }
    if (p.charAt(i) != '{') {
      return NOT_TYPE_FIRST;
    }
    i = skipWhitespace(p, i + 1, end);
    String key = "\"type\"";
    for (int k = 0; k < key.length(); k++, i++) {
      if (i == end) {
        return NEED_MORE;
      }
      if (p.charAt(i) != key.charAt(k)) {
        return NOT_TYPE_FIRST;
      }
    }
    i = skipWhitespace(p, i, end);
    if (i == end) {
      return NEED_MORE;
    }
    if (p.charAt(i) != ':') {
      return NOT_TYPE_FIRST;
    }
    i = skipWhitespace(p, i + 1, end);
    if (i == end) {
      return NEED_MORE;
    }
    if (p.charAt(i) != '"') {
      return NOT_TYPE_FIRST;
    }
    int nameStart = ++i;
    for (; i < end; i++) {
      char c = p.charAt(i);
      if (c == '"') {
        return matters(p, nameStart, i - nameStart) ? DECIDED_SCAN : DECIDED_SKIP;
      }
      if (c == '\\') {
        return NOT_TYPE_FIRST;
      }
      if (i - nameStart >= RealtimeEventTypes.LONGEST) {
        return DECIDED_SKIP; // longer than every type that matters
      }
    }
    return NEED_MORE;
  }

  private static boolean matters(CharSequence p, int start, int length) {
    for (String type : MATTERING) {
      if (type.length() == length) {
        boolean same = true;
        for (int k = 0; k < length && same; k++) {
          same = type.charAt(k) == p.charAt(start + k);
        }
        if (same) {
          return true;
        }
      }
    }
    return false;
  }

  private static int skipWhitespace(CharSequence p, int i, int end) {
    while (i < end && (p.charAt(i) == ' ' || p.charAt(i) == '\n' || p.charAt(i) == '\r' || p.charAt(i) == '\t')) {
      i++;
    }
    return i;
  }

  /**
   * One event being read: the scanner, its capture, and UTF-8 encoding of the chars fed to it (copied
   * from the fragment in bulk, then encoded a chunk at a time).
   */
  private static final class Scan {
    final RealtimeEventCapture capture = new RealtimeEventCapture();
    final JsonStreamScanner scanner = new JsonStreamScanner(capture);
    final byte[] chunk = new byte[512];
    final char[] chars = new char[512];
    final boolean discovering;
    int chunkLength;
    char pendingHigh;
    boolean tooLarge;

    Scan(boolean discovering) {
      this.discovering = discovering;
    }

    /** True once a scanned message turned out to be of a type that does not matter. */
    boolean irrelevant() {
      return discovering && capture.event.type != null && !RealtimeEventTypes.matters(capture.event.type);
    }

    void encode(CharSequence s, int from, int to) {
      if (irrelevant()) {
        return;
      }
      char[] c = chars;
      for (int at = from; at < to; ) {
        int count = Math.min(to - at, c.length);
        copyChars(s, at, at + count, c);
        if (!encodeChars(c, count)) {
          return; // the caller switches to skipping
        }
        at += count;
      }
    }

    /**
     * The chars {@code [from, to)} of a fragment, copied in bulk where the client's type allows it
     * (a {@code String}, or the heap {@code CharBuffer} the JDK client delivers) rather than one
     * {@code charAt} call each. Reads only: the buffer's position is untouched.
     */
    private static void copyChars(CharSequence s, int from, int to, char[] into) {
      if (s instanceof String) {
        ((String) s).getChars(from, to, into, 0);
        return;
      }
      if (s instanceof CharBuffer) {
        CharBuffer buffer = (CharBuffer) s;
        if (buffer.hasArray()) {
          System.arraycopy(buffer.array(), buffer.arrayOffset() + buffer.position() + from, into, 0, to - from);
          return;
        }
      }
      for (int i = from; i < to; i++) {
        into[i - from] = s.charAt(i);
      }
    }

    /** UTF-8 of {@code c[0, count)} into the chunk, fed to the scanner as it fills; false once irrelevant. */
    private boolean encodeChars(char[] c, int count) {
      byte[] b = chunk;
      int n = chunkLength;
      int i = 0;
      while (i < count) {
        if (n > b.length - 4) {
          scanner.feed(b, 0, n);
          n = 0;
          if (irrelevant()) {
            chunkLength = 0;
            return false;
          }
        }
        char ch = c[i];
        if (ch < 0x80 && pendingHigh == 0) {
          // A run of ASCII, nearly all of every event: one compare per char.
          int end = i + Math.min(count - i, b.length - 4 - n);
          b[n++] = (byte) ch;
          i++;
          while (i < end && (ch = c[i]) < 0x80) {
            b[n++] = (byte) ch;
            i++;
          }
          continue;
        }
        i++;
        if (pendingHigh != 0) {
          char high = pendingHigh;
          pendingHigh = 0;
          if (Character.isLowSurrogate(ch)) {
            int cp = Character.toCodePoint(high, ch);
            b[n++] = (byte) (0xF0 | (cp >> 18));
            b[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
            b[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
            b[n++] = (byte) (0x80 | (cp & 0x3F));
            continue;
          }
          n = replacement(b, n);
        }
        if (ch < 0x80) {
          b[n++] = (byte) ch;
        } else if (ch < 0x800) {
          b[n++] = (byte) (0xC0 | (ch >> 6));
          b[n++] = (byte) (0x80 | (ch & 0x3F));
        } else if (Character.isHighSurrogate(ch)) {
          pendingHigh = ch; // its low half may come in the next fragment
        } else if (Character.isLowSurrogate(ch)) {
          n = replacement(b, n);
        } else {
          b[n++] = (byte) (0xE0 | (ch >> 12));
          b[n++] = (byte) (0x80 | ((ch >> 6) & 0x3F));
          b[n++] = (byte) (0x80 | (ch & 0x3F));
        }
      }
      chunkLength = n;
      return true;
    }

    private static int replacement(byte[] b, int n) {
      b[n++] = (byte) 0xEF;
      b[n++] = (byte) 0xBF;
      b[n++] = (byte) 0xBD;
      return n;
    }

    /** The event read, or null when its type does not matter. */
    RealtimeEvent finish() {
      if (pendingHigh != 0) {
        pendingHigh = 0;
        chunkLength = replacement(chunk, chunkLength);
      }
      if (!tooLarge) {
        scanner.feed(chunk, 0, chunkLength);
        scanner.end();
      }
      chunkLength = 0;
      RealtimeEvent event = capture.event;
      if (event.type != null && !RealtimeEventTypes.matters(event.type)) {
        return null;
      }
      if (tooLarge) {
        event.unreadable = "event larger than " + MAX_EVENT_CHARS + " chars";
      } else if (scanner.failed()) {
        event.unreadable = "malformed JSON (" + scanner.error() + " at offset " + scanner.errorOffset() + ")";
      } else if (!scanner.complete()) {
        event.unreadable = scanner.sawValue() ? "message ended inside the JSON value" : "empty message";
      } else if (scanner.trailingData()) {
        event.unreadable = "data after the JSON value";
      } else if (event.type == null) {
        event.unreadable = "event without a type";
      }
      return event;
    }
  }
}
