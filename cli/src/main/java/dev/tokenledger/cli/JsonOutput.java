package dev.tokenledger.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonpCharacterEscapes;
import com.fasterxml.jackson.core.PrettyPrinter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * The {@code --json} output of the reports, written with Jackson in the layout scripts (and tests)
 * read line by line: the top-level members one per line, each nested object on one line
 * ({@code {"model": "gpt-4o", "requests": 3}}), each array element on its own line.
 * U+2028 and U+2029 are escaped too, so the output can be pasted into JavaScript.
 */
final class JsonOutput {

  /** Writes one document to the generator. */
  interface Document {
    void write(JsonGenerator g) throws IOException;
  }

  private static final JsonFactory FACTORY = new JsonFactory();

  private JsonOutput() {}

  static String write(Document document) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.setPrettyPrinter(new Layout());
      g.setCharacterEscapes(JsonpCharacterEscapes.instance());
      document.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return out.toString();
  }

  /** The rows as an array of objects; numeric columns as JSON numbers (their text as is), NULL as null. */
  static void rows(JsonGenerator g, Table t) throws IOException {
    g.writeStartArray();
    for (List<String> row : t.rows()) {
      g.writeStartObject();
      for (int i = 0; i < row.size(); i++) {
        g.writeFieldName(t.columns().get(i));
        String v = row.get(i);
        if (v == null) {
          g.writeNull();
        } else if (t.numeric(i) && v.matches("-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?")) {
          g.writeNumber(v);
        } else if (t.numeric(i) && (v.equals("nan") || v.equals("inf") || v.equals("-inf"))) {
          g.writeNull();
        } else {
          g.writeString(v);
        }
      }
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  /** Column sums as {@link Reports#totals} gives them: exact decimal literals, or "null". */
  static void totals(JsonGenerator g, Map<String, String> totals) throws IOException {
    g.writeStartObject();
    for (Map.Entry<String, String> e : totals.entrySet()) {
      g.writeFieldName(e.getKey());
      if (e.getValue().equals("null")) {
        g.writeNull();
      } else {
        g.writeNumber(e.getValue());
      }
    }
    g.writeEndObject();
  }

  /**
   * The top-level object spreads over lines, nested objects stay on one line, arrays put each
   * element on a line of its own; two spaces per level, {@code "key": value}, empty ones as
   * {@code {}} and {@code []}.
   */
  private static final class Layout implements PrettyPrinter {
    /** For each open object or array: does it spread over lines. */
    private final Deque<Boolean> spread = new ArrayDeque<>();
    private int indent;

    private void newLine(JsonGenerator g) throws IOException {
      g.writeRaw('\n');
      for (int i = 0; i < indent; i++) {
        g.writeRaw("  ");
      }
    }

    private void open(JsonGenerator g, char bracket, boolean lines) throws IOException {
      spread.push(lines);
      if (lines) {
        indent++;
      }
      g.writeRaw(bracket);
    }

    private void close(JsonGenerator g, char bracket, int entries) throws IOException {
      if (spread.pop()) {
        indent--;
        if (entries > 0) {
          newLine(g);
        }
      }
      g.writeRaw(bracket);
    }

    private void separate(JsonGenerator g) throws IOException {
      if (spread.peek()) {
        g.writeRaw(',');
        newLine(g);
      } else {
        g.writeRaw(", ");
      }
    }

    private void first(JsonGenerator g) throws IOException {
      if (spread.peek()) {
        newLine(g);
      }
    }

    @Override
    public void writeRootValueSeparator(JsonGenerator g) {}

    @Override
    public void writeStartObject(JsonGenerator g) throws IOException {
      open(g, '{', spread.isEmpty());
    }

    @Override
    public void beforeObjectEntries(JsonGenerator g) throws IOException {
      first(g);
    }

    @Override
    public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
      g.writeRaw(": ");
    }

    @Override
    public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
      separate(g);
    }

    @Override
    public void writeEndObject(JsonGenerator g, int entries) throws IOException {
      close(g, '}', entries);
    }

    @Override
    public void writeStartArray(JsonGenerator g) throws IOException {
      open(g, '[', true);
    }

    @Override
    public void beforeArrayValues(JsonGenerator g) throws IOException {
      first(g);
    }

    @Override
    public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
      separate(g);
    }

    @Override
    public void writeEndArray(JsonGenerator g, int values) throws IOException {
      close(g, ']', values);
    }
  }
}
