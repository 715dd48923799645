package dev.tokenledger.cli;

import java.util.ArrayList;
import java.util.List;

/** Tables as aligned text and as JSON, for the terminal and for scripts. */
final class TextOutput {

  private TextOutput() {}

  /** An aligned text table: labels left, numbers right, NULL as "-". */
  static String table(Table t) {
    int n = t.columns().size();
    int[] width = new int[n];
    for (int i = 0; i < n; i++) {
      width[i] = t.columns().get(i).length();
    }
    List<List<String>> cells = new ArrayList<>();
    for (List<String> row : t.rows()) {
      List<String> c = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        String v = row.get(i) == null ? "-" : oneLine(row.get(i));
        c.add(v);
        width[i] = Math.max(width[i], v.length());
      }
      cells.add(c);
    }
    StringBuilder sb = new StringBuilder();
    line(sb, t.columns(), width, t, false);
    StringBuilder rule = new StringBuilder();
    for (int i = 0; i < n; i++) {
      rule.append(i == 0 ? "" : "  ").append("-".repeat(width[i]));
    }
    sb.append(rule).append('\n');
    for (List<String> c : cells) {
      line(sb, c, width, t, true);
    }
    return sb.toString();
  }

  private static void line(StringBuilder sb, List<String> values, int[] width, Table t, boolean alignNumbers) {
    StringBuilder l = new StringBuilder();
    for (int i = 0; i < values.size(); i++) {
      String v = values.get(i);
      String pad = " ".repeat(width[i] - v.length());
      l.append(i == 0 ? "" : "  ").append(alignNumbers && t.numeric(i) ? pad + v : v + pad);
    }
    sb.append(l.toString().stripTrailing()).append('\n');
  }

  private static String oneLine(String s) {
    return s.replace('\n', ' ').replace('\r', ' ').replace('\t', ' ');
  }

  /** The rows as a JSON array of objects; numeric columns as JSON numbers, NULL as null. */
  static String jsonRows(Table t) {
    StringBuilder sb = new StringBuilder("[");
    for (int r = 0; r < t.rows().size(); r++) {
      sb.append(r == 0 ? "\n  {" : ",\n  {");
      List<String> row = t.rows().get(r);
      for (int i = 0; i < row.size(); i++) {
        if (i > 0) {
          sb.append(", ");
        }
        quote(sb, t.columns().get(i));
        sb.append(": ");
        String v = row.get(i);
        if (v == null) {
          sb.append("null");
        } else if (t.numeric(i) && v.matches("-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?")) {
          sb.append(v);
        } else if (t.numeric(i) && (v.equals("nan") || v.equals("inf") || v.equals("-inf"))) {
          sb.append("null");
        } else {
          quote(sb, v);
        }
      }
      sb.append('}');
    }
    return sb.append(t.rows().isEmpty() ? "]" : "\n]").toString();
  }

  static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == '\u2028' || c == '\u2029') {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  static String quote(String s) {
    StringBuilder sb = new StringBuilder();
    quote(sb, s);
    return sb.toString();
  }
}
