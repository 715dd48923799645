package dev.tokenledger.simulator;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON for the simulator, on Jackson: small request bodies are read into plain maps and lists, and
 * responses are written from maps whose key order the simulator controls (OpenAI puts {@code usage}
 * last, and parsers under test must cope with that order).
 */
public final class Json {

  private Json() {}

  /** Whole-valued doubles are written without a fraction, as OpenAI does for e.g. {"seconds": 42}. */
  private static final class OpenAiDoubles extends StdSerializer<Double> {
    OpenAiDoubles() {
      super(Double.class);
    }

    @Override
    public void serialize(Double d, JsonGenerator gen, SerializerProvider provider) throws IOException {
      if (d.isNaN() || d.isInfinite()) {
        throw new IllegalArgumentException("not representable in JSON: " + d);
      }
      if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        gen.writeNumber(d.longValue());
      } else {
        gen.writeNumber(d.doubleValue());
      }
    }
  }

  private static final ObjectMapper MAPPER = JsonMapper.builder()
      // Integral numbers as Long (BigInteger when they do not fit), others as Double.
      .enable(DeserializationFeature.USE_LONG_FOR_INTS)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .addModule(new SimpleModule("simulator-numbers")
          .addSerializer(Double.class, new OpenAiDoubles())
          .addSerializer(double.class, new OpenAiDoubles()))
      .build();

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

  /** Compact JSON of maps (in their order), lists, float arrays, strings, numbers, booleans and null. */
  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write JSON: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Parses one JSON value. Objects become insertion-ordered maps, arrays lists, integral numbers
   * {@link Long}, other numbers {@link Double}. Malformed text throws IllegalArgumentException.
   */
  public static Object parse(String text) {
    try {
      return MAPPER.readValue(text, Object.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("invalid JSON: " + e.getOriginalMessage(), e);
    }
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
}
