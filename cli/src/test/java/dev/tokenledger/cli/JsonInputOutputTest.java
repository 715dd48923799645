package dev.tokenledger.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Located JSON input (line and column of every value and of every problem) and the --json layout. */
class JsonInputOutputTest {

  @Test
  void valuesKeepWhereTheyStart() throws Exception {
    JsonInput.Node root = JsonInput.parse("\uFEFF{\n  \"a\": 12,\n  \"b\": [\"x\", 1.5e3, null, true]\r\n}\n");
    assertEquals(1, root.line());
    assertEquals(1, root.column());
    JsonInput.Node a = root.object().get("a");
    assertEquals(new BigDecimal("12"), a.value());
    assertEquals(2, a.line());
    assertEquals(8, a.column());
    List<JsonInput.Node> b = root.object().get("b").array();
    assertEquals("x", b.get(0).value());
    assertEquals(9, b.get(0).column());
    assertEquals(1500, ((BigDecimal) b.get(1).value()).longValueExact());
    assertTrue(b.get(2).isNull());
    assertEquals(Boolean.TRUE, b.get(3).value());
  }

  @Test
  void problemsSayWhereAndWhat() {
    assertProblem("{\"a\":1,\n \"a\":2}", 2, 2, "member \"a\" appears twice in one object");
    assertProblem("{\"a\":1}\n\n  {}", 3, 3, "unexpected text after the end of the JSON document");
    assertProblem("{\"a\":1 x}", 1, 8, "not valid JSON: unexpected character ('x'): was expecting comma to separate Object entries");
    assertProblem("[".repeat(205) + "]".repeat(205), 1, 202, "nesting deeper than 200 levels");
    assertProblem("", 1, 1, "the document ends where a value should be (file truncated?)");
    assertProblem("{\"data\":[{\"model\":\"gpt-", 1, 24, "the document ends inside a string (file truncated?)");
    assertProblem("{\"data\":[{\"batch\":tr", 1, 19, "the document ends inside 'true' (file truncated?)");
    assertProblem("{\"data\":[1,2", 1, 13, "the document ends inside an array (file truncated?)");
    assertProblem("{\"data\":12", 1, 11, "the document ends inside an object (file truncated?)");
  }

  private static void assertProblem(String text, int line, int column, String message) {
    InputException e = assertThrows(InputException.class, () -> JsonInput.parse(text));
    assertEquals(message, e.getMessage());
    assertEquals(line + ":" + column, e.line() + ":" + e.column(), message);
  }

  @Test
  void reportsKeepTheirLayout() {
    Table t = new Table(List.of("model", "requests", "cost_usd"), List.of("String", "UInt64", "Nullable(Float64)"),
        List.of(Arrays.asList("gpt-4o \"mini\"\u2028", "3", "0.5"), Arrays.asList("m2", "1e-7", null),
            Arrays.asList("m3", "nan", "inf")));
    Map<String, String> totals = new LinkedHashMap<>();
    totals.put("requests", "12");
    totals.put("cost_usd", "null");
    String json = JsonOutput.write(g -> {
      g.writeStartObject();
      g.writeStringField("database", "tokenledger");
      g.writeNumberField("days", 7);
      g.writeFieldName("totals");
      JsonOutput.totals(g, totals);
      g.writeFieldName("rows");
      JsonOutput.rows(g, t);
      g.writeFieldName("none");
      JsonOutput.rows(g, new Table(t.columns(), t.types(), List.of()));
      g.writeEndObject();
    });
    assertEquals("""
        {
          "database": "tokenledger",
          "days": 7,
          "totals": {"requests": 12, "cost_usd": null},
          "rows": [
            {"model": "gpt-4o \\"mini\\"\\u2028", "requests": 3, "cost_usd": 0.5},
            {"model": "m2", "requests": 1e-7, "cost_usd": null},
            {"model": "m3", "requests": null, "cost_usd": null}
          ],
          "none": []
        }""", json);
  }
}
