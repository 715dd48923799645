package dev.tokenledger.simulator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Minimal JSON reader and writer. The simulator must stay JDK-only so any test classpath can carry it,
 * and it only needs to read small request bodies and write responses whose key order it controls
 * (OpenAI puts {@code usage} last, and parsers under test must cope with that order).
 */
public final class Json {

  private Json() {}

  /** Text inserted verbatim by {@link #write}: for payloads that must not be re-encoded. */
  public record Raw(String text) {}

  /** An insertion-ordered object from alternating keys and values. */
  public static Map<String, Object> obj(Object... keysAndValues) {
    if (keysAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("odd number of arguments");
    }
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  public static List<Object> arr(Object... values) {
    List<Object> l = new ArrayList<>(values.length);
    for (Object v : values) {
      l.add(v);
    }
    return l;
  }

  public static String write(Object value) {
    StringBuilder sb = new StringBuilder(256);
    write(sb, value);
    return sb.toString();
  }

  public static void write(StringBuilder sb, Object v) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String s) {
      quote(sb, s);
    } else if (v instanceof Raw r) {
      sb.append(r.text());
    } else if (v instanceof Boolean b) {
      sb.append(b.booleanValue());
    } else if (v instanceof Double d) {
      if (d.isNaN() || d.isInfinite()) {
        throw new IllegalArgumentException("not representable in JSON: " + d);
      }
      // Whole-valued doubles are written without a fraction, as OpenAI does for e.g. {"seconds": 42}.
      if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        sb.append(d.longValue());
      } else {
        sb.append(d.doubleValue());
      }
    } else if (v instanceof Float f) {
      sb.append(f.floatValue());
    } else if (v instanceof Number n) {
      sb.append(n.toString());
    } else if (v instanceof Map<?, ?> m) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        quote(sb, String.valueOf(e.getKey()));
        sb.append(':');
        write(sb, e.getValue());
      }
      sb.append('}');
    } else if (v instanceof List<?> l) {
      sb.append('[');
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        write(sb, l.get(i));
      }
      sb.append(']');
    } else if (v instanceof float[] fa) {
      sb.append('[');
      for (int i = 0; i < fa.length; i++) {
        if (i > 0) {
          sb.append(',');
        }
        sb.append(fa[i]);
      }
      sb.append(']');
    } else {
      throw new IllegalArgumentException("cannot write " + v.getClass());
    }
  }

  static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  /**
   * Parses one JSON value. Objects become insertion-ordered maps, arrays lists, integral numbers
   * {@link Long} (or {@link Double} when they do not fit), other numbers {@link Double}.
   */
  public static Object parse(String text) {
    Parser p = new Parser(text);
    p.ws();
    Object v = p.value();
    p.ws();
    if (p.i != text.length()) {
      throw p.error("trailing characters");
    }
    return v;
  }

  /** Convenience navigation: {@code path(obj, "stream_options", "include_usage")}; null when absent. */
  public static Object path(Object root, String... keys) {
    Object cur = root;
    for (String k : keys) {
      if (!(cur instanceof Map<?, ?> m)) {
        return null;
      }
      cur = m.get(k);
    }
    return cur;
  }

  private static final class Parser {
    private final String s;
    private int i;

    Parser(String s) {
      this.s = s;
    }

    IllegalArgumentException error(String what) {
      return new IllegalArgumentException("invalid JSON at " + i + ": " + what);
    }

    void ws() {
      while (i < s.length()) {
        char c = s.charAt(i);
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
          i++;
        } else {
          break;
        }
      }
    }

    Object value() {
      if (i >= s.length()) {
        throw error("unexpected end");
      }
      char c = s.charAt(i);
      switch (c) {
        case '{':
          return object();
        case '[':
          return array();
        case '"':
          return string();
        case 't':
          literal("true");
          return Boolean.TRUE;
        case 'f':
          literal("false");
          return Boolean.FALSE;
        case 'n':
          literal("null");
          return null;
        default:
          return number();
      }
    }

    void literal(String word) {
      if (!s.startsWith(word, i)) {
        throw error("expected " + word);
      }
      i += word.length();
    }

    Map<String, Object> object() {
      Map<String, Object> m = new LinkedHashMap<>();
      i++;
      ws();
      if (peek() == '}') {
        i++;
        return m;
      }
      while (true) {
        ws();
        if (peek() != '"') {
          throw error("expected key");
        }
        String k = string();
        ws();
        if (peek() != ':') {
          throw error("expected ':'");
        }
        i++;
        ws();
        m.put(k, value());
        ws();
        char c = peek();
        i++;
        if (c == '}') {
          return m;
        }
        if (c != ',') {
          throw error("expected ',' or '}'");
        }
      }
    }

    List<Object> array() {
      List<Object> l = new ArrayList<>();
      i++;
      ws();
      if (peek() == ']') {
        i++;
        return l;
      }
      while (true) {
        ws();
        l.add(value());
        ws();
        char c = peek();
        i++;
        if (c == ']') {
          return l;
        }
        if (c != ',') {
          throw error("expected ',' or ']'");
        }
      }
    }

    char peek() {
      if (i >= s.length()) {
        throw error("unexpected end");
      }
      return s.charAt(i);
    }

    String string() {
      i++; // opening quote
      StringBuilder sb = new StringBuilder();
      while (true) {
        char c = peek();
        i++;
        if (c == '"') {
          return sb.toString();
        }
        if (c == '\\') {
          char e = peek();
          i++;
          switch (e) {
            case '"', '\\', '/' -> sb.append(e);
            case 'n' -> sb.append('\n');
            case 'r' -> sb.append('\r');
            case 't' -> sb.append('\t');
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'u' -> {
              if (i + 4 > s.length()) {
                throw error("bad unicode escape");
              }
              sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
              i += 4;
            }
            default -> throw error("bad escape");
          }
        } else {
          sb.append(c);
        }
      }
    }

    Object number() {
      int start = i;
      boolean integral = true;
      while (i < s.length()) {
        char c = s.charAt(i);
        if ((c >= '0' && c <= '9') || c == '-' || c == '+') {
          i++;
        } else if (c == '.' || c == 'e' || c == 'E') {
          integral = false;
          i++;
        } else {
          break;
        }
      }
      if (start == i) {
        throw error("unexpected character");
      }
      String t = s.substring(start, i);
      try {
        if (integral) {
          try {
            return Long.parseLong(t);
          } catch (NumberFormatException tooBig) {
            return Double.parseDouble(t);
          }
        }
        return Double.parseDouble(t);
      } catch (NumberFormatException e) {
        throw error("bad number " + t);
      }
    }
  }
}
