package dev.tokenledger.clickhouse.queries;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The block subset of YAML that Grafana provisioning files use — nested maps by indentation, lists
 * of maps or scalars ({@code - }), plain or quoted scalars, {@code #} comments — parsed strictly: a
 * line it cannot place is an error, so a malformed file fails the test. Scalars stay strings.
 */
final class MiniYaml {

  private record Line(int indent, String text, int number) {}

  private final List<Line> lines = new ArrayList<>();
  private int pos;

  private MiniYaml(String text) {
    String[] raw = text.split("\n", -1);
    for (int i = 0; i < raw.length; i++) {
      String l = stripComment(raw[i]).stripTrailing();
      if (l.isBlank()) {
        continue;
      }
      if (l.contains("\t")) {
        throw new IllegalArgumentException("line " + (i + 1) + ": tab in indentation");
      }
      int indent = l.length() - l.stripLeading().length();
      lines.add(new Line(indent, l.strip(), i + 1));
    }
  }

  static Object parse(String text) {
    MiniYaml y = new MiniYaml(text);
    Object v = y.block(0);
    if (y.pos != y.lines.size()) {
      throw new IllegalArgumentException("line " + y.lines.get(y.pos).number() + ": unexpected indentation");
    }
    return v;
  }

  private static String stripComment(String l) {
    boolean single = false;
    boolean dbl = false;
    for (int i = 0; i < l.length(); i++) {
      char c = l.charAt(i);
      if (c == '\'' && !dbl) {
        single = !single;
      } else if (c == '"' && !single) {
        dbl = !dbl;
      } else if (c == '#' && !single && !dbl && (i == 0 || Character.isWhitespace(l.charAt(i - 1)))) {
        return l.substring(0, i);
      }
    }
    return l;
  }

  private Object block(int indent) {
    if (pos >= lines.size()) {
      return null;
    }
    Line first = lines.get(pos);
    if (first.indent() != indent) {
      throw new IllegalArgumentException("line " + first.number() + ": expected indentation " + indent);
    }
    if (first.text().startsWith("- ") || first.text().equals("-")) {
      List<Object> list = new ArrayList<>();
      while (pos < lines.size() && lines.get(pos).indent() == indent && lines.get(pos).text().startsWith("-")) {
        Line l = lines.get(pos);
        String rest = l.text().substring(1).strip();
        if (rest.contains(": ") || rest.endsWith(":")) {
          // "- key: value" opens a map whose further keys sit under the key
          lines.set(pos, new Line(indent + 2, rest, l.number()));
          list.add(block(indent + 2));
        } else {
          pos++;
          list.add(scalar(rest, l));
        }
      }
      return list;
    }
    Map<String, Object> map = new LinkedHashMap<>();
    while (pos < lines.size() && lines.get(pos).indent() == indent && !lines.get(pos).text().startsWith("-")) {
      Line l = lines.get(pos++);
      int colon = l.text().indexOf(':');
      if (colon <= 0 || colon + 1 < l.text().length() && l.text().charAt(colon + 1) != ' ') {
        throw new IllegalArgumentException("line " + l.number() + ": expected 'key: value'");
      }
      String key = l.text().substring(0, colon).strip();
      String rest = l.text().substring(colon + 1).strip();
      Object value;
      if (!rest.isEmpty()) {
        value = scalar(rest, l);
      } else if (pos < lines.size() && lines.get(pos).indent() > indent) {
        value = block(lines.get(pos).indent());
      } else if (pos < lines.size() && lines.get(pos).indent() == indent && lines.get(pos).text().startsWith("-")) {
        value = block(indent); // a list at the key's own indentation
      } else {
        value = null;
      }
      if (map.put(key, value) != null) {
        throw new IllegalArgumentException("line " + l.number() + ": duplicate key " + key);
      }
    }
    return map;
  }

  private static Object scalar(String s, Line l) {
    if (s.startsWith("\"") || s.startsWith("'")) {
      char q = s.charAt(0);
      if (s.length() < 2 || s.charAt(s.length() - 1) != q) {
        throw new IllegalArgumentException("line " + l.number() + ": unterminated quoted scalar");
      }
      return s.substring(1, s.length() - 1);
    }
    if (s.startsWith("{") || s.startsWith("[") || s.startsWith("&") || s.startsWith("*") || s.startsWith("|")
        || s.startsWith(">")) {
      throw new IllegalArgumentException("line " + l.number() + ": flow/anchor/block scalars are not expected here");
    }
    return s;
  }
}
