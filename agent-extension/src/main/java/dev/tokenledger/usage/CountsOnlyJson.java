package dev.tokenledger.usage;

/**
 * Reduces a usage object's JSON text to its counts: number members are kept with their text as the
 * provider sent it, object members are kept with the same reduction applied inside them, and every
 * other member (strings, booleans, nulls, arrays) is dropped. A usage object holds counts; anything
 * else in it is not needed to replay a mapping, and a string is exactly where a compatible server
 * could echo a prompt or a completion, which the ledger must never hold. Dropping a null or an
 * unknown member changes no field: the parser treats an absent member and a null one alike and reads
 * only numbers.
 *
 * <p>A text with nothing to drop is returned as it is, whitespace included; otherwise the result is
 * compact.
 */
final class CountsOnlyJson {

  private final String text;
  private int pos;
  private boolean dropped;

  private CountsOnlyJson(String text) {
    this.text = text;
  }

  /** The counts of a JSON object's text, or null when the text is not one JSON object. */
  static String of(String json) {
    if (json == null) {
      return null;
    }
    try {
      CountsOnlyJson f = new CountsOnlyJson(json);
      f.skipWhitespace();
      if (f.peek() != '{') {
        return null;
      }
      // A first pass only checks (a usage object of counts, the usual one, is returned as it is,
      // without a copy); a second one writes the reduced text when something is to be dropped.
      int start = f.pos;
      f.object(null, 1);
      f.skipWhitespace();
      if (f.pos != json.length()) {
        return null;
      }
      if (!f.dropped) {
        return json;
      }
      StringBuilder out = new StringBuilder(json.length());
      f.pos = start;
      f.object(out, 1);
      return out.toString();
    } catch (RuntimeException malformed) {
      return null;
    }
  }

  /** Reads an object at {@code pos}; writes its reduction to {@code out} unless null (a checking pass). */
  private void object(StringBuilder out, int depth) {
    if (depth > Json.MAX_DEPTH) {
      throw new JsonException("nesting deeper than " + Json.MAX_DEPTH, pos);
    }
    pos++; // '{'
    if (out != null) {
      out.append('{');
    }
    boolean first = true;
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      if (out != null) {
        out.append('}');
      }
      return;
    }
    while (true) {
      skipWhitespace();
      int keyStart = pos;
      skipString();
      int keyEnd = pos;
      skipWhitespace();
      expect(':');
      skipWhitespace();
      char c = peek();
      if (c == '{' || c == '-' || (c >= '0' && c <= '9')) {
        if (out != null) {
          if (!first) {
            out.append(',');
          }
          out.append(text, keyStart, keyEnd).append(':');
        }
        first = false;
        if (c == '{') {
          object(out, depth + 1);
        } else {
          int start = pos;
          skipNumber();
          if (out != null) {
            out.append(text, start, pos);
          }
        }
      } else {
        skipValue(depth);
        dropped = true;
      }
      skipWhitespace();
      char next = peek();
      pos++;
      if (next == '}') {
        if (out != null) {
          out.append('}');
        }
        return;
      }
      if (next != ',') {
        throw new JsonException("expected ',' or '}'", pos - 1);
      }
    }
  }

  /** Skips any value: used for the members that are dropped. */
  private void skipValue(int depth) {
    if (depth > Json.MAX_DEPTH) {
      throw new JsonException("nesting deeper than " + Json.MAX_DEPTH, pos);
    }
    char c = peek();
    if (c == '"') {
      skipString();
    } else if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      pos++;
      skipWhitespace();
      if (peek() == close) {
        pos++;
        return;
      }
      while (true) {
        skipWhitespace();
        if (c == '{') {
          skipString();
          skipWhitespace();
          expect(':');
          skipWhitespace();
        }
        skipValue(depth + 1);
        skipWhitespace();
        char next = peek();
        pos++;
        if (next == close) {
          return;
        }
        if (next != ',') {
          throw new JsonException("expected ',' or '" + close + "'", pos - 1);
        }
      }
    } else if (c == 't' || c == 'f' || c == 'n') {
      String literal = c == 't' ? "true" : c == 'f' ? "false" : "null";
      if (!text.startsWith(literal, pos)) {
        throw new JsonException("unexpected literal", pos);
      }
      pos += literal.length();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      skipNumber();
    } else {
      throw new JsonException("unexpected character", pos);
    }
  }

  private void skipString() {
    expect('"');
    while (true) {
      char c = peek();
      pos++;
      if (c == '"') {
        return;
      }
      if (c == '\\') {
        peek();
        pos++; // the escaped character; a \\u escape's hex digits are plain characters
      }
    }
  }

  private void skipNumber() {
    int start = pos;
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
        pos++;
      } else {
        break;
      }
    }
    if (pos == start) {
      throw new JsonException("malformed number", start);
    }
  }

  private void expect(char c) {
    if (peek() != c) {
      throw new JsonException("expected '" + c + "'", pos);
    }
    pos++;
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
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }
}
