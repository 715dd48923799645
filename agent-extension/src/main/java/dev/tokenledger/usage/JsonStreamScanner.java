package dev.tokenledger.usage;

/**
 * An incremental, push-driven JSON scanner that keeps only what its {@link Handler} asks for.
 *
 * <p>Bytes arrive in arbitrary chunks (a value, a key, even a unicode escape may be split
 * anywhere) and the result never depends on where. The handler is asked what to do with each value
 * whose container it chose to enter: ignore it, enter it (containers), capture it as a short scalar,
 * capture its raw text, or count its code points. Everything else is skipped by a tight loop that
 * tracks only string and bracket state, so a 50 MB embeddings array or a multi-MB base64 string costs
 * a pass over the bytes and no memory. Skipped subtrees are not validated.
 *
 * <p>Memory: one capture buffer that grows to at most the largest limit used ({@link #MAX_RAW_BYTES})
 * plus a container stack of {@link #MAX_DEPTH} entries for the entered levels.
 */
public final class JsonStreamScanner {

  /** Deepest nesting of <em>entered</em> containers (skipped subtrees may nest without limit). */
  public static final int MAX_DEPTH = 32;
  /** Member names longer than this are not materialised (no member we look for is close). */
  public static final int MAX_KEY_BYTES = 64;
  /** Scalars (ids, model names, status words) longer than this are reported as null, not cut. */
  public static final int MAX_SCALAR_BYTES = 512;
  /**
   * Largest raw subtree captured (the {@code usage} object). Real usage objects are under 1 KiB; the
   * ledger keeps at most {@link TokenUsage#MAX_RAW_JSON_CHARS} of it, but the fields can still be
   * parsed from anything up to this size.
   */
  public static final int MAX_RAW_BYTES = 64 * 1024;

  public static final int IGNORE = 0;
  public static final int ENTER = 1;
  public static final int SCALAR = 2;
  public static final int RAW = 3;
  public static final int COUNT = 4;

  public static final int KIND_STRING = 1;
  public static final int KIND_NUMBER = 2;
  public static final int KIND_TRUE = 3;
  public static final int KIND_FALSE = 4;
  public static final int KIND_NULL = 5;

  /** The path segment of an array element (compared by identity; a member named "[]" never is). */
  public static final String ARRAY_ITEM = new String("[]");

  /** What the scanner asks and tells about the values it meets. */
  public interface Handler {
    /**
     * A value starts at the current path ({@code first} is its first byte: '{', '[', '"', a digit,
     * '-', 't', 'f' or 'n'). Returns one of IGNORE, ENTER, SCALAR, RAW, COUNT. Only called for
     * values whose parent container was entered, and for the root value.
     */
    int onValue(JsonStreamScanner path, byte first);

    /** A SCALAR value ended; {@code text} is decoded for strings, null when over the scalar cap. */
    void onScalar(JsonStreamScanner path, int kind, String text);

    /** A RAW value ended; {@code json} is null when it exceeded {@link #MAX_RAW_BYTES}. */
    void onRaw(JsonStreamScanner path, String json);

    /** A COUNT string ended with this many Unicode code points. */
    void onCount(JsonStreamScanner path, long codePoints);
  }

  private static final int S_VALUE = 0;
  private static final int S_OBJ_FIRST = 1;
  private static final int S_OBJ_KEY = 2;
  private static final int S_KEY = 3;
  private static final int S_KEY_ESC = 4;
  private static final int S_COLON = 5;
  private static final int S_AFTER = 6;
  private static final int S_ARR_FIRST = 7;
  private static final int S_STR = 8;
  private static final int S_STR_ESC = 9;
  private static final int S_STR_HEX = 10;
  private static final int S_NUM = 11;
  private static final int S_LIT = 12;
  private static final int S_SKIP = 13;
  private static final int S_SKIP_STR = 14;
  private static final int S_SKIP_STR_ESC = 15;
  private static final int S_DONE = 16;
  private static final int S_ERROR = 17;

  private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
  private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};
  private static final byte[] NULL = {'n', 'u', 'l', 'l'};

  private final Handler handler;

  private int state;
  private final boolean[] isArray = new boolean[MAX_DEPTH];
  private final String[] keys = new String[MAX_DEPTH];
  private int depth;

  private int action; // what the handler asked for the value being read
  private long skipDepth;
  private byte[] literal;
  private int literalIndex;
  private boolean keyHasEscape;
  private boolean stringHasEscape;

  private long codePoints;
  private boolean previousWasHighSurrogate;
  private int hexLeft;
  private int hexValue;

  private byte[] capture = new byte[0];
  private int captureLength;
  private int captureLimit;
  private boolean captureOverflow;
  private boolean capturing;
  private int captureFrom; // start of the pending capture in the current chunk

  private long offset; // bytes consumed before the current chunk
  private int chunkStart; // where the current chunk starts in its array
  private boolean sawValue;
  private boolean trailingData;
  private String error;
  private long errorOffset = -1;

  public JsonStreamScanner(Handler handler) {
    this.handler = handler;
  }

  /** Ready for a new document; keeps the (bounded) capture buffer for reuse. */
  public void reset() {
    state = S_VALUE;
    depth = 0;
    action = IGNORE;
    skipDepth = 0;
    capturing = false;
    captureLength = 0;
    captureOverflow = false;
    offset = 0;
    sawValue = false;
    trailingData = false;
    error = null;
    errorOffset = -1;
  }

  // ---- the path, for handlers ----

  /** Number of segments of the current path; 0 for the root value. */
  public int depth() {
    return depth;
  }

  /** Member name at level {@code i} (null when too long), or {@link #ARRAY_ITEM}. */
  public String key(int i) {
    return keys[i];
  }

  public boolean isArrayItem(int i) {
    return keys[i] == ARRAY_ITEM;
  }

  // ---- results ----

  /** The root value was read completely. */
  public boolean complete() {
    return state == S_DONE;
  }

  public boolean failed() {
    return state == S_ERROR;
  }

  public String error() {
    return error;
  }

  public long errorOffset() {
    return errorOffset;
  }

  /** Any non-whitespace byte was seen. */
  public boolean sawValue() {
    return sawValue;
  }

  /** Something other than whitespace followed the complete root value. */
  public boolean trailingData() {
    return trailingData;
  }

  public int retainedBytes() {
    return capture.length;
  }

  /** No more bytes: a root number ends here. Call {@link #complete()} afterwards. */
  public void end() {
    if (state == S_NUM && depth == 0) {
      finishNumber(null, 0);
    }
  }

  public void feed(byte[] b, int off, int len) {
    int end = off + len;
    int i = off;
    chunkStart = off;
    if (capturing) {
      captureFrom = off;
    }
    while (i < end) {
      switch (state) {
        case S_DONE:
          for (; i < end; i++) {
            if (!isWhitespace(b[i])) {
              trailingData = true;
              i = end;
              break;
            }
          }
          break;
        case S_ERROR:
          i = end;
          break;
        case S_SKIP:
          i = skipContainer(b, i, end);
          break;
        case S_SKIP_STR:
          {
            int j = i;
            while (j < end) {
              byte c = b[j];
              if (c == '"' || c == '\\') {
                break;
              }
              j++;
            }
            if (j < end) {
              state = b[j] == '"' ? S_SKIP : S_SKIP_STR_ESC;
              j++;
            }
            i = j;
          }
          break;
        case S_SKIP_STR_ESC:
          state = S_SKIP_STR;
          i++;
          break;
        case S_STR:
          i = readString(b, i, end);
          break;
        case S_STR_ESC:
          {
            byte c = b[i++];
            if (c == 'u') {
              hexLeft = 4;
              hexValue = 0;
              state = S_STR_HEX;
            } else {
              previousWasHighSurrogate = false;
              state = S_STR;
            }
          }
          break;
        case S_STR_HEX:
          {
            int h = Character.digit((char) (b[i] & 0xff), 16);
            if (h < 0) {
              fail("bad \\u escape", i);
              break;
            }
            hexValue = (hexValue << 4) | h;
            i++;
            if (--hexLeft == 0) {
              if (action == COUNT) {
                boolean low = hexValue >= 0xDC00 && hexValue <= 0xDFFF;
                if (low && previousWasHighSurrogate) {
                  codePoints--; // the pair is one code point, counted at its first escape
                  previousWasHighSurrogate = false;
                } else {
                  previousWasHighSurrogate = hexValue >= 0xD800 && hexValue <= 0xDBFF;
                }
              }
              state = S_STR;
            }
          }
          break;
        case S_KEY:
          {
            int j = i;
            while (j < end) {
              byte c = b[j];
              if (c == '"' || c == '\\') {
                break;
              }
              j++;
            }
            if (j < end) {
              if (b[j] == '"') {
                String key = finishKey(b, j);
                keys[depth - 1] = key;
                state = S_COLON;
              } else {
                keyHasEscape = true;
                state = S_KEY_ESC;
              }
              j++;
            }
            i = j;
          }
          break;
        case S_KEY_ESC:
          state = S_KEY;
          i++;
          break;
        case S_NUM:
          {
            int j = i;
            while (j < end && isNumberByte(b[j])) {
              j++;
            }
            if (j < end) {
              finishNumber(b, j); // the terminating byte is read again in the next state
            }
            i = j;
          }
          break;
        case S_LIT:
          {
            byte c = b[i];
            if (c != literal[literalIndex]) {
              fail("unexpected literal", i);
              break;
            }
            i++;
            if (++literalIndex == literal.length) {
              finishLiteral(b, i);
            }
          }
          break;
        default:
          i = structural(b, i);
      }
    }
    if (capturing) {
      appendCapture(b, captureFrom, end);
      captureFrom = end;
    }
    offset += len;
  }

  /** States between tokens: one byte at a time (these are short runs of punctuation). */
  private int structural(byte[] b, int i) {
    byte c = b[i];
    if (isWhitespace(c) || (depth == 0 && !sawValue && isByteOrderMark(c))) {
      return i + 1;
    }
    switch (state) {
      case S_VALUE:
        return startValue(b, i);
      case S_ARR_FIRST:
        if (c == ']') {
          return closeContainer(i);
        }
        state = S_VALUE;
        return startValue(b, i);
      case S_OBJ_FIRST:
        if (c == '}') {
          return closeContainer(i);
        }
        // fall through: a member name must follow
      case S_OBJ_KEY:
        if (c != '"') {
          fail("expected a member name", i);
          return i + 1;
        }
        keyHasEscape = false;
        startCapture(i + 1, MAX_KEY_BYTES);
        state = S_KEY;
        return i + 1;
      case S_COLON:
        if (c != ':') {
          fail("expected ':'", i);
          return i + 1;
        }
        state = S_VALUE;
        return i + 1;
      case S_AFTER:
        if (c == ',') {
          state = isArray[depth - 1] ? S_VALUE : S_OBJ_KEY;
          return i + 1;
        }
        if (c == '}' || c == ']') {
          if ((c == ']') != isArray[depth - 1]) {
            fail("mismatched '" + (char) c + "'", i);
            return i + 1;
          }
          return closeContainer(i);
        }
        fail("expected ',' or a closing bracket", i);
        return i + 1;
      default:
        fail("scanner state " + state, i);
        return i + 1;
    }
  }

  private int startValue(byte[] b, int i) {
    byte c = b[i];
    sawValue = true;
    if (c == '{' || c == '[') {
      action = handler.onValue(this, c);
      if (action == ENTER) {
        if (depth == MAX_DEPTH) {
          fail("nesting deeper than " + MAX_DEPTH, i);
          return i + 1;
        }
        isArray[depth] = c == '[';
        keys[depth] = c == '[' ? ARRAY_ITEM : null;
        depth++;
        state = c == '[' ? S_ARR_FIRST : S_OBJ_FIRST;
        return i + 1;
      }
      if (action == RAW) {
        startCapture(i, MAX_RAW_BYTES);
      }
      skipDepth = 1;
      state = S_SKIP;
      return i + 1;
    }
    if (c == '"') {
      action = handler.onValue(this, c);
      stringHasEscape = false;
      if (action == SCALAR) {
        startCapture(i + 1, MAX_SCALAR_BYTES);
      } else if (action == RAW) {
        startCapture(i, MAX_RAW_BYTES);
      } else if (action == COUNT) {
        codePoints = 0;
        previousWasHighSurrogate = false;
      }
      state = S_STR;
      return i + 1;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      action = handler.onValue(this, c);
      if (action == SCALAR) {
        startCapture(i, MAX_SCALAR_BYTES);
      } else if (action == RAW) {
        startCapture(i, MAX_RAW_BYTES);
      }
      state = S_NUM;
      return i + 1;
    }
    if (c == 't' || c == 'f' || c == 'n') {
      action = handler.onValue(this, c);
      literal = c == 't' ? TRUE : c == 'f' ? FALSE : NULL;
      literalIndex = 1;
      if (action == RAW) {
        startCapture(i, MAX_RAW_BYTES);
      }
      state = S_LIT;
      return i + 1;
    }
    fail("unexpected byte 0x" + Integer.toHexString(c & 0xff), i);
    return i + 1;
  }

  private int closeContainer(int i) {
    depth--;
    valueEnded();
    return i + 1;
  }

  private void valueEnded() {
    state = depth == 0 ? S_DONE : S_AFTER;
  }

  /** Skips the inside of an ignored or raw-captured container; returns the next index. */
  private int skipContainer(byte[] b, int i, int end) {
    while (i < end) {
      byte c = b[i];
      if (c == '"') {
        state = S_SKIP_STR;
        return i + 1;
      }
      if (c == '{' || c == '[') {
        skipDepth++;
      } else if (c == '}' || c == ']') {
        if (--skipDepth == 0) {
          if (action == RAW) {
            handler.onRaw(this, finishCapture(b, i + 1));
          }
          valueEnded();
          return i + 1;
        }
      }
      i++;
    }
    return i;
  }

  private int readString(byte[] b, int i, int end) {
    if (action == COUNT) {
      while (i < end) {
        byte c = b[i];
        if (c == '"') {
          break;
        }
        i++;
        if (c == '\\') {
          codePoints++;
          state = S_STR_ESC;
          return i;
        }
        if ((c & 0xC0) != 0x80) {
          codePoints++;
          previousWasHighSurrogate = false;
        }
      }
    } else {
      while (i < end) {
        byte c = b[i];
        if (c == '"' || c == '\\') {
          break;
        }
        i++;
      }
      if (i < end && b[i] == '\\') {
        stringHasEscape = true;
        state = S_STR_ESC;
        return i + 1;
      }
    }
    if (i >= end) {
      return i;
    }
    // closing quote at i
    if (action == SCALAR) {
      String raw = finishCapture(b, i);
      handler.onScalar(this, KIND_STRING, raw == null ? null : stringHasEscape ? Json.unescape(raw) : raw);
    } else if (action == RAW) {
      handler.onRaw(this, finishCapture(b, i + 1));
    } else if (action == COUNT) {
      handler.onCount(this, codePoints);
    }
    valueEnded();
    return i + 1;
  }

  private void finishNumber(byte[] b, int endExclusive) {
    if (action == SCALAR) {
      handler.onScalar(this, KIND_NUMBER, finishCapture(b, endExclusive));
    } else if (action == RAW) {
      handler.onRaw(this, finishCapture(b, endExclusive));
    }
    valueEnded();
  }

  private void finishLiteral(byte[] b, int endExclusive) {
    int kind = literal == TRUE ? KIND_TRUE : literal == FALSE ? KIND_FALSE : KIND_NULL;
    if (action == SCALAR) {
      handler.onScalar(this, kind, kind == KIND_TRUE ? "true" : kind == KIND_FALSE ? "false" : null);
    } else if (action == RAW) {
      handler.onRaw(this, finishCapture(b, endExclusive));
    }
    valueEnded();
  }

  private void fail(String message, int indexInArray) {
    if (state != S_ERROR) {
      error = message;
      errorOffset = offset + (indexInArray - chunkStart);
      state = S_ERROR;
      capturing = false;
    }
  }

  // ---- capture ----

  private void startCapture(int from, int limit) {
    capturing = true;
    captureFrom = from;
    captureLength = 0;
    captureLimit = limit;
    captureOverflow = false;
  }

  private void appendCapture(byte[] b, int from, int to) {
    int n = to - from;
    if (n <= 0 || captureOverflow) {
      return;
    }
    if (captureLength + n > captureLimit) {
      captureOverflow = true;
      return;
    }
    if (captureLength + n > capture.length) {
      int size = Math.max(captureLength + n, Math.min(captureLimit, Math.max(256, capture.length * 2)));
      byte[] bigger = new byte[size];
      System.arraycopy(capture, 0, bigger, 0, captureLength);
      capture = bigger;
    }
    System.arraycopy(b, from, capture, captureLength, n);
    captureLength += n;
  }

  /** Ends the capture at {@code to} (exclusive) in the current chunk; null when over the limit. */
  private String finishCapture(byte[] b, int to) {
    if (b != null) {
      appendCapture(b, captureFrom, to);
    }
    capturing = false;
    if (captureOverflow) {
      return null;
    }
    return new String(capture, 0, captureLength, Json.UTF_8);
  }

  /**
   * Ends a member name's capture: the shared instance of a name the readers ask about or pass often
   * (no copy per member), else a new string; null when over {@link #MAX_KEY_BYTES}.
   */
  private String finishKey(byte[] b, int to) {
    appendCapture(b, captureFrom, to);
    capturing = false;
    if (captureOverflow) {
      return null;
    }
    if (keyHasEscape) {
      return Json.unescape(new String(capture, 0, captureLength, Json.UTF_8));
    }
    String known = KnownKeys.find(capture, captureLength);
    return known != null ? known : new String(capture, 0, captureLength, Json.UTF_8);
  }

  /**
   * The member names of OpenAI documents that the readers look for or meet on every response, as
   * one instance each: a response then costs no string per member name.
   */
  static final class KnownKeys {
    private static final String[] NAMES = {
      // What the readers look for.
      "id", "object", "model", "service_tier", "system_fingerprint", "status", "type", "code", "url", "duration",
      "status_code", "custom_id", "created", "created_at", "completed_at", "usage", "choices", "error", "response",
      "body", "finish_reason", "stream", "stream_options", "include_usage", "input", "audio", "background",
      "response_format", "stream_format", "session", "item_id", "input_audio_transcription",
      // What they pass on every response, chunk or request.
      "index", "message", "delta", "role", "content", "refusal", "annotations", "logprobs", "messages", "event_id",
      "output", "output_index", "content_index", "sequence_number", "item", "part", "text", "data", "embedding",
      "tool_calls", "function", "name", "arguments", "instructions", "temperature", "max_tokens",
      "max_completion_tokens", "user", "metadata", "tools", "tool_choice", "n", "seed", "top_p", "reasoning",
      "store", "previous_response_id", "voice", "format", "modalities", "prompt", "encoding_format", "dimensions"
    };
    private static final int SIZE = 256; // a power of two, well above twice the names
    private static final byte[][] BYTES = new byte[SIZE][];
    private static final String[] STRINGS = new String[SIZE];

    static {
      for (String name : NAMES) {
        byte[] bytes = name.getBytes(Json.UTF_8);
        int slot = hash(bytes, bytes.length) & (SIZE - 1);
        while (BYTES[slot] != null) {
          slot = (slot + 1) & (SIZE - 1);
        }
        BYTES[slot] = bytes;
        STRINGS[slot] = name;
      }
    }

    /** The shared instance of the name in {@code b[0..length)}, or null when it is not one of them. */
    static String find(byte[] b, int length) {
      int slot = hash(b, length) & (SIZE - 1);
      while (true) {
        byte[] candidate = BYTES[slot];
        if (candidate == null) {
          return null;
        }
        if (equal(candidate, b, length)) {
          return STRINGS[slot];
        }
        slot = (slot + 1) & (SIZE - 1);
      }
    }

    private static int hash(byte[] b, int length) {
      int h = length;
      for (int i = 0; i < length; i++) {
        h = 31 * h + b[i];
      }
      return h ^ (h >>> 16);
    }

    private static boolean equal(byte[] candidate, byte[] b, int length) {
      if (candidate.length != length) {
        return false;
      }
      for (int i = 0; i < length; i++) {
        if (candidate[i] != b[i]) {
          return false;
        }
      }
      return true;
    }

    private KnownKeys() {}
  }

  private static boolean isWhitespace(byte c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
  }

  private static boolean isByteOrderMark(byte c) {
    return c == (byte) 0xEF || c == (byte) 0xBB || c == (byte) 0xBF;
  }

  private static boolean isNumberByte(byte c) {
    return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
  }
}
