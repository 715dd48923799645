package dev.tokenledger.clickhouse.queries;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.PrettyPrinter;
import com.fasterxml.jackson.core.util.Instantiatable;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * The dashboards' JSON layout, so generated files diff cleanly and stay byte for byte what is checked
 * in: maps keep their insertion order, two-space indent, {@code "key": value}, a list of plain values
 * on one line ({@code ["a", "b"]}), empty objects and lists as {@code {}} and {@code []}, and a final
 * newline.
 */
final class DashboardJson {

  private DashboardJson() {}

  private static final ObjectWriter WRITER = JsonMapper.builder().build().writer(new Layout());

  /** Pretty-printed JSON of maps, lists, strings, numbers, booleans and null; ends with a newline. */
  static String write(Object value) {
    try {
      return WRITER.writeValueAsString(value) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not writable as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Jackson's pretty printer for that layout. Whether a list goes on one line depends on its
   * elements, so it is decided when the list starts, from the list itself (the generator's current
   * value), and remembered until it ends.
   */
  private static final class Layout implements PrettyPrinter, Instantiatable<Layout> {
    private final Deque<Boolean> oneLine = new ArrayDeque<>();
    private int depth;

    @Override
    public Layout createInstance() {
      return new Layout();
    }

    private void newLine(JsonGenerator g) throws IOException {
      g.writeRaw('\n');
      for (int i = 0; i < depth; i++) {
        g.writeRaw("  ");
      }
    }

    @Override
    public void writeRootValueSeparator(JsonGenerator g) {}

    @Override
    public void writeStartObject(JsonGenerator g) throws IOException {
      g.writeRaw('{');
      depth++;
    }

    @Override
    public void beforeObjectEntries(JsonGenerator g) throws IOException {
      newLine(g);
    }

    @Override
    public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
      g.writeRaw(": ");
    }

    @Override
    public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
      g.writeRaw(',');
      newLine(g);
    }

    @Override
    public void writeEndObject(JsonGenerator g, int entries) throws IOException {
      depth--;
      if (entries > 0) {
        newLine(g);
      }
      g.writeRaw('}');
    }

    @Override
    public void writeStartArray(JsonGenerator g) throws IOException {
      boolean plain = !(g.currentValue() instanceof List<?> l)
          || l.stream().noneMatch(x -> x instanceof Map || x instanceof List);
      oneLine.push(plain);
      g.writeRaw('[');
      if (!plain) {
        depth++;
      }
    }

    @Override
    public void beforeArrayValues(JsonGenerator g) throws IOException {
      if (!oneLine.peek()) {
        newLine(g);
      }
    }

    @Override
    public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
      if (oneLine.peek()) {
        g.writeRaw(", ");
      } else {
        g.writeRaw(',');
        newLine(g);
      }
    }

    @Override
    public void writeEndArray(JsonGenerator g, int values) throws IOException {
      if (!oneLine.pop()) {
        depth--;
        if (values > 0) {
          newLine(g);
        }
      }
      g.writeRaw(']');
    }
  }
}
