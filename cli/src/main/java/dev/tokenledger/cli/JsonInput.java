package dev.tokenledger.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonEOFException;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a JSON input file with Jackson's strict (RFC 8259) streaming parser and remembers where every
 * value starts, so an import can say "line 12, column 30: input_tokens is not a whole number" rather
 * than just "bad JSON". Objects become {@code Map<String, Node>}, arrays {@code List<Node>}, numbers
 * {@link BigDecimal}. Malformed JSON is reported at its line and column too, truncation as such.
 */
final class JsonInput {

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

  private static final int MAX_DEPTH = 200;
  private static final JsonFactory FACTORY = new JsonFactory();

  private JsonInput() {}

  /** Parses one JSON document; anything but whitespace after it is an error. */
  static Node parse(String text) throws InputException {
    String body = text.startsWith("\uFEFF") ? text.substring(1) : text;
    try (JsonParser p = FACTORY.createParser(body)) {
      try {
        if (p.nextToken() == null) {
          throw at(p.currentLocation(), "the document ends where a value should be (file truncated?)");
        }
        Node root = value(p, 0);
        rejectTrailingText(body, p.currentLocation());
        return root;
      } catch (JsonProcessingException e) {
        throw malformed(body, p, e);
      }
    } catch (IOException e) {
      // Only closing can get here, and a parser over a string has nothing to close.
      throw new InputException(1, 1, "cannot read the document: " + e.getMessage());
    }
  }

  private static Node value(JsonParser p, int depth) throws IOException, InputException {
    JsonLocation start = p.currentTokenLocation();
    if (depth > MAX_DEPTH) {
      throw at(start, "nesting deeper than " + MAX_DEPTH + " levels");
    }
    Object v = switch (p.currentToken()) {
      case START_OBJECT -> {
        Map<String, Node> m = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          JsonLocation name = p.currentTokenLocation();
          String key = p.currentName();
          if (m.containsKey(key)) {
            throw at(name, "member \"" + key + "\" appears twice in one object");
          }
          p.nextToken();
          m.put(key, value(p, depth + 1));
        }
        yield m;
      }
      case START_ARRAY -> {
        List<Node> list = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          list.add(value(p, depth + 1));
        }
        yield list;
      }
      case VALUE_STRING -> p.getText();
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getDecimalValue();
      case VALUE_TRUE -> Boolean.TRUE;
      case VALUE_FALSE -> Boolean.FALSE;
      case VALUE_NULL -> null;
      default -> throw at(start, "unexpected " + p.currentToken() + " where a value should be");
    };
    return new Node(v, start.getLineNr(), start.getColumnNr());
  }

  /** Only whitespace may follow the document, from {@code end} (just after it) on. */
  private static void rejectTrailingText(String body, JsonLocation end) throws InputException {
    int line = end.getLineNr();
    int column = end.getColumnNr();
    for (int i = (int) end.getCharOffset(); i < body.length(); i++) {
      char ch = body.charAt(i);
      if (ch == '\n') {
        line++;
        column = 1;
      } else if (ch == ' ' || ch == '\t' || ch == '\r') {
        column++;
      } else {
        throw new InputException(line, column, "unexpected text after the end of the JSON document");
      }
    }
  }

  /**
   * Jackson's complaint, at its location: a document that stops early says so (with what it stopped
   * in), anything else is Jackson's own description of what it found.
   */
  private static InputException malformed(String body, JsonParser p, JsonProcessingException e) {
    JsonLocation loc = e.getLocation() != null ? e.getLocation() : p.currentLocation();
    long offset = loc.getCharOffset();
    String rest = offset >= 0 && offset <= body.length() ? body.substring((int) offset).strip() : "";
    for (String literal : new String[] {"true", "false", "null"}) {
      if (!rest.isEmpty() && literal.startsWith(rest)) {
        return at(loc, "the document ends inside '" + literal + "' (file truncated?)");
      }
    }
    if (e instanceof JsonEOFException || rest.isEmpty()) {
      boolean inString = e instanceof JsonEOFException eof && eof.getTokenBeingDecoded() == JsonToken.VALUE_STRING;
      JsonStreamContext ctx = p.getParsingContext();
      String where = inString ? "inside a string"
          : ctx != null && ctx.inObject() ? "inside an object"
          : ctx != null && ctx.inArray() ? "inside an array"
          : "where a value should be";
      return at(loc, "the document ends " + where + " (file truncated?)");
    }
    // e.g. "Unexpected character ('x' (code 120)): was expecting comma to separate Object entries"
    String what = e.getOriginalMessage().replaceAll(" \\(code \\d+\\)", "");
    return at(loc, "not valid JSON: " + what.substring(0, 1).toLowerCase(Locale.ROOT) + what.substring(1));
  }

  private static InputException at(JsonLocation loc, String message) {
    return new InputException(Math.max(1, loc.getLineNr()), Math.max(1, loc.getColumnNr()), message);
  }
}
