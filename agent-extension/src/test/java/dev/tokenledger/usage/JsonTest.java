package dev.tokenledger.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void parsesEveryKindOfValue() {
    JsonObject o = Json.parseObject(
        " {\"s\":\"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\",\"i\":42,\"neg\":-7,\"d\":1.5e2,\"big\":123456789012345678901,"
            + "\"t\":true,\"f\":false,\"n\":null,\"a\":[1,[2],{}],\"o\":{\"k\":\"v\"}} ");
    assertEquals("a\"b\\c\né😀", o.getString("s"));
    assertEquals(42L, o.get("i"));
    assertEquals(-7, o.getLong("neg", 0));
    assertEquals(150.0, o.getDouble("d", 0));
    assertEquals(150, o.getLong("d", 0));
    assertTrue(o.get("big") instanceof Double);
    assertTrue(o.getBoolean("t", false));
    assertFalse(o.getBoolean("f", true));
    assertTrue(o.has("n"));
    assertTrue(o.isNull("n"));
    assertNull(o.get("n"));
    assertFalse(o.has("missing"));
    assertEquals(-1, o.getLong("missing", -1));
    assertEquals(-1, o.getLong("s", -1));
    assertEquals(3, o.getArray("a").size());
    assertEquals(List.of(2L), o.getArray("a").get(1));
    assertEquals("v", o.getObject("o").getString("k"));
    assertNull(o.getObject("a"));
    assertEquals(10, o.size());
  }

  @Test
  void toJsonIsTheSourceText() {
    String text = "{\"usage\": {\"prompt_tokens\": 5,\n  \"x\": [1, 2]},\"b\":1}";
    JsonObject o = Json.parseObject(text);
    assertEquals("{\"prompt_tokens\": 5,\n  \"x\": [1, 2]}", o.getObject("usage").toJson());
    assertEquals(text, o.toJson());
    JsonObject built = new JsonObject().put("a", "x\"y").put("b", 1L).put("c", List.of(true, 2.5)).put("d", null);
    assertEquals("{\"a\":\"x\\\"y\",\"b\":1,\"c\":[true,2.5],\"d\":null}", built.toJson());
    o.getObject("usage").put("z", 1L);
    assertTrue(o.getObject("usage").toJson().endsWith(",\"z\":1}"), "a changed object is rendered");
  }

  @Test
  void rejectsMalformedInput() {
    String[] bad = {"", "{", "{\"a\"}", "{\"a\":}", "[1,]", "{\"a\":1,}", "tru", "\"abc", "{\"a\":1} x",
        "{\"a\":\"\\x\"}", "{'a':1}", "-", "{\"a\":\"\u0001\"}", "{\"a\":\"\\u12\"}"};
    for (String b : bad) {
      assertThrows(JsonException.class, () -> Json.parse(b), b);
    }
    assertThrows(JsonException.class, () -> Json.parseObject("[1]"));
    assertThrows(JsonException.class, () -> Json.parse((String) null));
  }

  @Test
  void nestingIsBounded() {
    String deep = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
    Json.parse(deep);
    String tooDeep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
    JsonException e = assertThrows(JsonException.class, () -> Json.parse(tooDeep));
    assertTrue(e.getMessage().contains("nesting"));
    String hostile = "[".repeat(100_000);
    assertThrows(JsonException.class, () -> Json.parse(hostile));
  }

  @Test
  void parsesBytes() {
    byte[] b = "xx{\"k\":\"é\"}yy".getBytes(StandardCharsets.UTF_8);
    assertEquals("é", ((JsonObject) Json.parse(b, 2, b.length - 4)).getString("k"));
  }
}
