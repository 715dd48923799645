package dev.tokenledger.usage;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed JSON object: insertion-ordered members whose values are {@link JsonObject},
 * {@link List}, {@link String}, {@link Long} or {@link Double}, {@link Boolean}, or null. Remembers
 * where it stood in the text it was parsed from, so {@link #toJson()} gives the provider's text
 * verbatim (the raw usage JSON of the ledger must be what the provider sent, not a re-rendering).
 */
public final class JsonObject {

  private final Map<String, Object> members;
  private String source;
  private final int start;
  private final int end;

  JsonObject(Map<String, Object> members, String source, int start, int end) {
    this.members = members;
    this.source = source;
    this.start = start;
    this.end = end;
  }

  /** An object built in code (no source text); {@link #toJson()} renders it. */
  public JsonObject() {
    this(new LinkedHashMap<String, Object>(), null, 0, 0);
  }

  /** The member's value, or null when absent or JSON null (see {@link #has}). */
  public Object get(String key) {
    return members.get(key);
  }

  /** True when the key is present, even with a null value. */
  public boolean has(String key) {
    return members.containsKey(key);
  }

  /** True when the key is absent or its value is JSON null. */
  public boolean isNull(String key) {
    return members.get(key) == null;
  }

  public JsonObject getObject(String key) {
    Object v = members.get(key);
    return v instanceof JsonObject ? (JsonObject) v : null;
  }

  @SuppressWarnings("unchecked")
  public List<Object> getArray(String key) {
    Object v = members.get(key);
    return v instanceof List ? (List<Object>) v : null;
  }

  public String getString(String key) {
    Object v = members.get(key);
    return v instanceof String ? (String) v : null;
  }

  /**
   * The member as a long: integral numbers as they are, other finite numbers truncated toward zero;
   * {@code dflt} when absent, null, not a number, or out of range.
   */
  public long getLong(String key, long dflt) {
    Object v = members.get(key);
    if (v instanceof Long) {
      return (Long) v;
    }
    if (v instanceof Double) {
      double d = (Double) v;
      if (d != d || d >= 9.2e18 || d <= -9.2e18) {
        return dflt;
      }
      return (long) d;
    }
    return dflt;
  }

  public double getDouble(String key, double dflt) {
    Object v = members.get(key);
    return v instanceof Number ? ((Number) v).doubleValue() : dflt;
  }

  public boolean getBoolean(String key, boolean dflt) {
    Object v = members.get(key);
    return v instanceof Boolean ? (Boolean) v : dflt;
  }

  public Set<String> keys() {
    return Collections.unmodifiableSet(members.keySet());
  }

  public int size() {
    return members.size();
  }

  /** Adds or replaces a member (for objects built in code, e.g. in tests). */
  public JsonObject put(String key, Object value) {
    members.put(key, value);
    source = null; // the source text no longer describes this object
    return this;
  }

  /** The object's source text when it was parsed, else a compact rendering. */
  public String toJson() {
    if (source != null) {
      return source.substring(start, end);
    }
    StringBuilder sb = new StringBuilder();
    write(this, sb);
    return sb.toString();
  }

  Map<String, Object> members() {
    return members;
  }

  @Override
  public String toString() {
    return toJson();
  }

  /** Renders a value compactly (used for objects built in code). */
  private static void write(Object v, StringBuilder sb) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof JsonObject) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<String, Object> e : ((JsonObject) v).members.entrySet()) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        writeString(e.getKey(), sb);
        sb.append(':');
        write(e.getValue(), sb);
      }
      sb.append('}');
    } else if (v instanceof List) {
      sb.append('[');
      boolean first = true;
      for (Object item : (List<?>) v) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        write(item, sb);
      }
      sb.append(']');
    } else if (v instanceof String) {
      writeString((String) v, sb);
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (d != d || Double.isInfinite(d)) {
        sb.append("null");
      } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        sb.append((long) d).append(".0");
      } else {
        sb.append(d);
      }
    } else {
      sb.append(v);
    }
  }

  private static void writeString(String s, StringBuilder sb) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          sb.append("\\\"");
          break;
        case '\\':
          sb.append("\\\\");
          break;
        case '\n':
          sb.append("\\n");
          break;
        case '\r':
          sb.append("\\r");
          break;
        case '\t':
          sb.append("\\t");
          break;
        default:
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
      }
    }
    sb.append('"');
  }
}
