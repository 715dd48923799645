package dev.tokenledger.cli;

import java.util.ArrayList;
import java.util.List;

/** Tables as aligned text, for the terminal (scripts get JSON: {@link JsonOutput}). */
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
}
