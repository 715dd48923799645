package dev.tokenledger.cli;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON parser (RFC 8259) that remembers where every value starts, so an import can say
 * "line 12, column 30: input_tokens is not a whole number" rather than just "bad JSON". Objects
 * become {@code Map<String, Node>}, arrays {@code List<Node>}, numbers {@link BigDecimal}.
 */
final class JsonReader {

  /** A value and where it starts. */
  record Node(Object value, int line, int column) {

    @SuppressWarnings("unchecked")
    Map<String, Node> object() {
      return (Map<String, Node>) value;
    }

    @SuppressWarnings("unchecked")
    List<Node> array() {
      return (List<Node>) value;
    }

    boolean isNull() {
      return value == null;
    }

    InputException error(String message) {
      return new InputException(line, column, message);
    }
  }

  private final String text;
  private int pos;
  private int line = 1;
  private int lineStart;

  private JsonReader(String text) {
    this.text = text;
  }

  /** Parses one JSON document; anything but whitespace after it is an error. */
  static Node parse(String text) throws InputException {
    JsonReader r = new JsonReader(text);
    if (text.startsWith("\uFEFF")) {
      r.pos = 1;
      r.lineStart = 1;
    }
    r.skipWhitespace();
    Node n = r.value(0);
    r.skipWhitespace();
    if (r.pos < text.length()) {
      throw r.error("unexpected text after the end of the JSON document");
    }
    return n;
  }

  private Node value(int depth) throws InputException {
    if (depth > 200) {
      throw error("nesting deeper than 200 levels");
    }
    if (pos >= text.length()) {
      throw error("the document ends where a value should be (file truncated?)");
    }
    int l = line;
    int c = column();
    char ch = text.charAt(pos);
    switch (ch) {
      case '{' -> {
        pos++;
        Map<String, Node> m = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
          pos++;
          return new Node(m, l, c);
        }
        while (true) {
          skipWhitespace();
          if (peek() != '"') {
            throw error(pos >= text.length() ? "the document ends inside an object (file truncated?)"
                : "expected a quoted member name");
          }
          int kl = line;
          int kc = column();
          String key = string();
          if (m.containsKey(key)) {
            throw new InputException(kl, kc, "member \"" + key + "\" appears twice in one object");
          }
          skipWhitespace();
          expect(':', "':' after a member name");
          skipWhitespace();
          m.put(key, value(depth + 1));
          skipWhitespace();
          if (peek() == ',') {
            pos++;
            continue;
          }
          expect('}', "',' or '}' in an object");
          return new Node(m, l, c);
        }
      }
      case '[' -> {
        pos++;
        List<Node> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
          pos++;
          return new Node(list, l, c);
        }
        while (true) {
          skipWhitespace();
          list.add(value(depth + 1));
          skipWhitespace();
          if (peek() == ',') {
            pos++;
            continue;
          }
          expect(']', "',' or ']' in an array");
          return new Node(list, l, c);
        }
      }
      case '"' -> {
        return new Node(string(), l, c);
      }
      case 't' -> {
        literal("true");
        return new Node(Boolean.TRUE, l, c);
      }
      case 'f' -> {
        literal("false");
        return new Node(Boolean.FALSE, l, c);
      }
      case 'n' -> {
        literal("null");
        return new Node(null, l, c);
      }
      default -> {
        if (ch == '-' || (ch >= '0' && ch <= '9')) {
          return new Node(number(), l, c);
        }
        throw error("unexpected character '" + printable(ch) + "' where a value should be");
      }
    }
  }

  private String string() throws InputException {
    pos++; // opening quote
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= text.length()) {
        throw error("the document ends inside a string (file truncated?)");
      }
      char ch = text.charAt(pos);
      if (ch == '"') {
        pos++;
        return sb.toString();
      }
      if (ch < 0x20) {
        throw error("unescaped control character in a string");
      }
      if (ch == '\\') {
        if (pos + 1 >= text.length()) {
          throw error("the document ends inside a string (file truncated?)");
        }
        char e = text.charAt(pos + 1);
        switch (e) {
          case '"', '\\', '/' -> sb.append(e);
          case 'b' -> sb.append('\b');
          case 'f' -> sb.append('\f');
          case 'n' -> sb.append('\n');
          case 'r' -> sb.append('\r');
          case 't' -> sb.append('\t');
          case 'u' -> {
            if (pos + 6 > text.length()) {
              throw error("the document ends inside a \\u escape (file truncated?)");
            }
            try {
              sb.append((char) Integer.parseInt(text.substring(pos + 2, pos + 6), 16));
            } catch (NumberFormatException bad) {
              throw error("invalid \\u escape");
            }
            pos += 4;
          }
          default -> throw error("invalid escape \\" + printable(e));
        }
        pos += 2;
        continue;
      }
      sb.append(ch);
      pos++;
    }
  }

  private BigDecimal number() throws InputException {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    if (!digit()) {
      throw error("a number needs digits");
    }
    if (text.charAt(pos) == '0') {
      pos++;
    } else {
      while (digit()) {
        pos++;
      }
    }
    if (peek() == '.') {
      pos++;
      if (!digit()) {
        throw error("a number needs digits after the decimal point");
      }
      while (digit()) {
        pos++;
      }
    }
    if (peek() == 'e' || peek() == 'E') {
      pos++;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!digit()) {
        throw error("a number needs digits in its exponent");
      }
      while (digit()) {
        pos++;
      }
    }
    return new BigDecimal(text.substring(start, pos));
  }

  private boolean digit() {
    return pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9';
  }

  private void literal(String word) throws InputException {
    if (!text.startsWith(word, pos)) {
      if (word.startsWith(text.substring(pos))) {
        throw error("the document ends inside '" + word + "' (file truncated?)");
      }
      throw error("unexpected text where a value should be");
    }
    pos += word.length();
  }

  private void expect(char ch, String what) throws InputException {
    if (pos >= text.length()) {
      throw error("the document ends where " + what + " should be (file truncated?)");
    }
    if (text.charAt(pos) != ch) {
      throw error("expected " + what + ", found '" + printable(text.charAt(pos)) + "'");
    }
    pos++;
  }

  private char peek() {
    return pos < text.length() ? text.charAt(pos) : '\0';
  }

  private void skipWhitespace() {
    while (pos < text.length()) {
      char ch = text.charAt(pos);
      if (ch == '\n') {
        line++;
        lineStart = pos + 1;
      } else if (ch != ' ' && ch != '\t' && ch != '\r') {
        return;
      }
      pos++;
    }
  }

  private int column() {
    return pos - lineStart + 1;
  }

  private InputException error(String message) {
    return new InputException(line, column(), message);
  }

  private static String printable(char ch) {
    return ch < 0x20 ? String.format("\\u%04x", (int) ch) : String.valueOf(ch);
  }
}
