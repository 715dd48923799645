package dev.tokenledger.usage;

import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON tree parser for small documents (usage objects, Realtime control events). Objects
 * become {@link JsonObject}, arrays {@link List}, numbers {@link Long} when integral and in range
 * else {@link Double}, plus {@link String}, {@link Boolean} and null. Large bodies never come here:
 * they go through the streaming scanner, which hands over only the small subtrees worth parsing.
 */
public final class Json {

  /** Deepest nesting accepted; provider payloads we parse are a handful of levels deep. */
  public static final int MAX_DEPTH = 64;

  static final Charset UTF_8 = Charset.forName("UTF-8");

  private final String text;
  private int pos;

  private Json(String text) {
    this.text = text;
  }

  /** Parses one JSON value (surrounding whitespace allowed). */
  public static Object parse(String text) {
    if (text == null) {
      throw new JsonException("no input", 0);
    }
    Json p = new Json(text);
    p.skipWhitespace();
    Object value = p.readValue(0);
    p.skipWhitespace();
    if (p.pos != text.length()) {
      throw new JsonException("unexpected data after the JSON value", p.pos);
    }
    return value;
  }

  /** Parses UTF-8 bytes. */
  public static Object parse(byte[] bytes, int offset, int length) {
    return parse(new String(bytes, offset, length, UTF_8));
  }

  /** Parses text that must be a JSON object. */
  public static JsonObject parseObject(String text) {
    Object v = parse(text);
    if (!(v instanceof JsonObject)) {
      throw new JsonException("not a JSON object", 0);
    }
    return (JsonObject) v;
  }

  private Object readValue(int depth) {
    if (pos >= text.length()) {
      throw new JsonException("unexpected end of input", pos);
    }
    char c = text.charAt(pos);
    switch (c) {
      case '{':
        return readObject(depth + 1);
      case '[':
        return readArray(depth + 1);
      case '"':
        return readString(false);
      case 't':
        expectLiteral("true");
        return Boolean.TRUE;
      case 'f':
        expectLiteral("false");
        return Boolean.FALSE;
      case 'n':
        expectLiteral("null");
        return null;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return readNumber();
        }
        throw new JsonException("unexpected character '" + printable(c) + "'", pos);
    }
  }

  private JsonObject readObject(int depth) {
    if (depth > MAX_DEPTH) {
      throw new JsonException("nesting deeper than " + MAX_DEPTH, pos);
    }
    int start = pos;
    pos++; // '{'
    Map<String, Object> members = new LinkedHashMap<String, Object>();
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      return new JsonObject(members, text, start, pos);
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"') {
        throw new JsonException("expected a member name", pos);
      }
      String key = readString(true);
      skipWhitespace();
      if (peek() != ':') {
        throw new JsonException("expected ':'", pos);
      }
      pos++;
      skipWhitespace();
      members.put(key, readValue(depth));
      skipWhitespace();
      char c = peek();
      pos++;
      if (c == '}') {
        return new JsonObject(members, text, start, pos);
      }
      if (c != ',') {
        throw new JsonException("expected ',' or '}'", pos - 1);
      }
    }
  }

  private List<Object> readArray(int depth) {
    if (depth > MAX_DEPTH) {
      throw new JsonException("nesting deeper than " + MAX_DEPTH, pos);
    }
    pos++; // '['
    List<Object> items = new ArrayList<Object>();
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      return items;
    }
    while (true) {
      skipWhitespace();
      items.add(readValue(depth));
      skipWhitespace();
      char c = peek();
      pos++;
      if (c == ']') {
        return items;
      }
      if (c != ',') {
        throw new JsonException("expected ',' or ']'", pos - 1);
      }
    }
  }

  /** A string at {@code pos}; a member {@code name} that is a usual usage member is the shared instance. */
  private String readString(boolean name) {
    pos++; // opening quote
    int runStart = pos;
    StringBuilder sb = null;
    while (true) {
      if (pos >= text.length()) {
        throw new JsonException("unterminated string", pos);
      }
      char c = text.charAt(pos);
      if (c == '"') {
        String s;
        if (sb != null) {
          s = sb.append(text, runStart, pos).toString();
        } else {
          String known = name ? MemberNames.find(text, runStart, pos) : null;
          s = known != null ? known : text.substring(runStart, pos);
        }
        pos++;
        return s;
      }
      if (c == '\\') {
        if (sb == null) {
          sb = new StringBuilder();
        }
        sb.append(text, runStart, pos);
        pos++;
        if (pos >= text.length()) {
          throw new JsonException("unterminated escape", pos);
        }
        char e = text.charAt(pos++);
        int simple = simpleEscape(e);
        if (simple >= 0) {
          sb.append((char) simple);
          runStart = pos;
          continue;
        }
        switch (e) {
          case 'u':
            if (pos + 4 > text.length()) {
              throw new JsonException("truncated \\u escape", pos);
            }
            int cp = 0;
            for (int i = 0; i < 4; i++) {
              int h = Character.digit(text.charAt(pos + i), 16);
              if (h < 0) {
                throw new JsonException("bad \\u escape", pos + i);
              }
              cp = (cp << 4) | h;
            }
            pos += 4;
            sb.append((char) cp);
            break;
          default:
            throw new JsonException("bad escape '\\" + printable(e) + "'", pos - 1);
        }
        runStart = pos;
      } else if (c < 0x20) {
        throw new JsonException("control character in string", pos);
      } else {
        pos++;
      }
    }
  }

  private Object readNumber() {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    boolean integral = true;
    int digits = 0;
    long value = 0;
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c >= '0' && c <= '9') {
        digits++;
        value = value * 10 + (c - '0');
      } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
        integral = false;
      } else {
        break;
      }
      pos++;
    }
    if (digits == 0) {
      throw new JsonException("malformed number", start);
    }
    if (integral && digits <= 18) {
      // The usual count: read as it was scanned, without a copy of its text.
      return text.charAt(start) == '-' ? -value : value;
    }
    String s = text.substring(start, pos);
    try {
      if (integral && s.length() <= 18) {
        return Long.parseLong(s);
      }
      if (integral) {
        try {
          return Long.parseLong(s);
        } catch (NumberFormatException overflow) {
          return Double.parseDouble(s);
        }
      }
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      throw new JsonException("malformed number", start);
    }
  }

  private void expectLiteral(String literal) {
    if (!text.startsWith(literal, pos)) {
      throw new JsonException("unexpected literal", pos);
    }
    pos += literal.length();
  }

  private char peek() {
    if (pos >= text.length()) {
      throw new JsonException("unexpected end of input", pos);
    }
    return text.charAt(pos);
  }

  private void skipWhitespace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        pos++;
      } else {
        return;
      }
    }
  }

  private static String printable(char c) {
    return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c);
  }

  /** The character a one-letter JSON escape stands for ({@code \\n} → newline), or -1. */
  private static int simpleEscape(char e) {
    switch (e) {
      case '"':
      case '\\':
      case '/':
        return e;
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      default:
        return -1;
    }
  }

  /** Decodes the escapes of a JSON string body (the text between the quotes). Lenient. */
  static String unescape(String body) {
    if (body.indexOf('\\') < 0) {
      return body;
    }
    StringBuilder sb = new StringBuilder(body.length());
    int i = 0;
    while (i < body.length()) {
      char c = body.charAt(i++);
      if (c != '\\' || i >= body.length()) {
        sb.append(c);
        continue;
      }
      char e = body.charAt(i++);
      int simple = simpleEscape(e);
      if (simple >= 0) {
        sb.append((char) simple);
        continue;
      }
      switch (e) {
        case 'u':
          if (i + 4 <= body.length()) {
            try {
              sb.append((char) Integer.parseInt(body.substring(i, i + 4), 16));
              i += 4;
              break;
            } catch (NumberFormatException ignored) {
              // fall through to keeping the text as it was
            }
          }
          sb.append('\\').append(e);
          break;
        default:
          sb.append(e);
      }
    }
    return sb.toString();
  }

  /**
   * The member names of usage objects (every shape the parser reads), one instance each: a usage
   * object is parsed on every response, and its names are always these.
   */
  static final class MemberNames {
    private static final String[] NAMES = {
      "prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details", "completion_tokens_details",
      "input_tokens", "output_tokens", "input_tokens_details", "output_tokens_details", "input_token_details",
      "output_token_details", "cached_tokens", "cache_write_tokens", "cache_creation_tokens", "audio_tokens",
      "text_tokens", "image_tokens", "reasoning_tokens", "accepted_prediction_tokens", "rejected_prediction_tokens",
      "cached_tokens_details", "type", "seconds", "duration", "tokens"
    };
    private static final int SIZE = 64; // a power of two, well above twice the names
    private static final String[] TABLE = new String[SIZE];

    static {
      for (String name : NAMES) {
        int slot = hash(name, 0, name.length()) & (SIZE - 1);
        while (TABLE[slot] != null) {
          slot = (slot + 1) & (SIZE - 1);
        }
        TABLE[slot] = name;
      }
    }

    /** The shared instance of {@code text[start..end)}, or null when it is not one of the names. */
    static String find(String text, int start, int end) {
      int length = end - start;
      int slot = hash(text, start, end) & (SIZE - 1);
      while (true) {
        String candidate = TABLE[slot];
        if (candidate == null) {
          return null;
        }
        if (candidate.length() == length && text.regionMatches(start, candidate, 0, length)) {
          return candidate;
        }
        slot = (slot + 1) & (SIZE - 1);
      }
    }

    private static int hash(String text, int start, int end) {
      int h = 0;
      for (int i = start; i < end; i++) {
        h = 31 * h + text.charAt(i);
      }
      return h ^ (h >>> 16);
    }

    private MemberNames() {}
  }
}
