package dev.tokenledger.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Charts as inline SVG, generated here so the HTML report needs no script, font or file from
 * anywhere else. Every text that comes from data is escaped ({@link Html#escape}).
 */
final class SvgChart {

  static final String[] PALETTE = {"#3b6fb6", "#e08a2c", "#4b9e5f", "#c2464b", "#8a6bbf", "#7a7a7a", "#2aa5a0",
      "#c5b335"};

  private SvgChart() {}

  /**
   * Vertical bars, one per category, stacked by series; {@code unit} formats the axis ("tokens",
   * "USD", "requests").
   */
  static String stackedBars(List<String> categories, Map<String, double[]> series, String unit) {
    int w = 860;
    int h = 300;
    int left = 78;
    int right = 16;
    int top = 16;
    int bottom = 64;
    double max = 0;
    for (int i = 0; i < categories.size(); i++) {
      double sum = 0;
      for (double[] v : series.values()) {
        sum += Math.max(0, v[i]);
      }
      max = Math.max(max, sum);
    }
    double scaleMax = niceCeiling(max);
    StringBuilder sb = svgOpen(w, h + 24 * ((series.size() + 3) / 4));
    int plotW = w - left - right;
    int plotH = h - top - bottom;
    for (int k = 0; k <= 4; k++) {
      double v = scaleMax * k / 4;
      int y = top + plotH - (int) Math.round(plotH * k / 4.0);
      sb.append("<line x1=\"").append(left).append("\" y1=\"").append(y).append("\" x2=\"").append(w - right)
          .append("\" y2=\"").append(y).append("\" stroke=\"#ddd\"/>");
      sb.append("<text x=\"").append(left - 6).append("\" y=\"").append(y + 4)
          .append("\" text-anchor=\"end\" class=\"ax\">").append(Html.escape(format(v, unit))).append("</text>");
    }
    int n = Math.max(1, categories.size());
    double slot = (double) plotW / n;
    double barW = Math.max(2, Math.min(48, slot * 0.7));
    int labelEvery = Math.max(1, (int) Math.ceil(n / 14.0));
    for (int i = 0; i < categories.size(); i++) {
      double x = left + slot * i + (slot - barW) / 2;
      double y = top + plotH;
      int s = 0;
      for (Map.Entry<String, double[]> e : series.entrySet()) {
        double v = Math.max(0, e.getValue()[i]);
        double bh = scaleMax == 0 ? 0 : plotH * v / scaleMax;
        y -= bh;
        sb.append("<rect x=\"").append(fmt(x)).append("\" y=\"").append(fmt(y)).append("\" width=\"").append(fmt(barW))
            .append("\" height=\"").append(fmt(bh)).append("\" fill=\"").append(PALETTE[s % PALETTE.length])
            .append("\"><title>").append(Html.escape(categories.get(i) + " · " + e.getKey() + ": " + format(v, unit)))
            .append("</title></rect>");
        s++;
      }
      if (i % labelEvery == 0) {
        double lx = left + slot * i + slot / 2;
        sb.append("<text x=\"").append(fmt(lx)).append("\" y=\"").append(top + plotH + 14)
            .append("\" text-anchor=\"end\" class=\"ax\" transform=\"rotate(-35 ").append(fmt(lx)).append(' ')
            .append(top + plotH + 14).append(")\">").append(Html.escape(shorten(categories.get(i), 18))).append("</text>");
      }
    }
    sb.append("<line x1=\"").append(left).append("\" y1=\"").append(top + plotH).append("\" x2=\"").append(w - right)
        .append("\" y2=\"").append(top + plotH).append("\" stroke=\"#888\"/>");
    legend(sb, new ArrayList<>(series.keySet()), left, h + 4);
    return sb.append("</svg>").toString();
  }

  /** Horizontal bars, one per label, largest first as given. */
  static String horizontalBars(List<String> labels, double[] values, String unit) {
    int w = 860;
    int rowH = 24;
    int left = 240;
    int right = 110;
    int h = Math.max(1, labels.size()) * rowH + 12;
    double max = 0;
    for (double v : values) {
      max = Math.max(max, v);
    }
    StringBuilder sb = svgOpen(w, h);
    for (int i = 0; i < labels.size(); i++) {
      int y = 6 + i * rowH;
      double bw = max == 0 ? 0 : (w - left - right) * Math.max(0, values[i]) / max;
      sb.append("<text x=\"").append(left - 8).append("\" y=\"").append(y + 15).append("\" text-anchor=\"end\" class=\"lb\">")
          .append(Html.escape(shorten(labels.get(i), 34))).append("<title>").append(Html.escape(labels.get(i)))
          .append("</title></text>");
      sb.append("<rect x=\"").append(left).append("\" y=\"").append(y + 3).append("\" width=\"").append(fmt(bw))
          .append("\" height=\"").append(rowH - 8).append("\" fill=\"").append(PALETTE[i % PALETTE.length]).append("\"/>");
      sb.append("<text x=\"").append(fmt(left + bw + 6)).append("\" y=\"").append(y + 15).append("\" class=\"lb\">")
          .append(Html.escape(format(values[i], unit))).append("</text>");
    }
    return sb.append("</svg>").toString();
  }

  /** One stacked 100 % bar: how a total splits into parts (modality, cache status). */
  static String split(Map<String, Double> parts, String unit) {
    int w = 860;
    int h = 44;
    double total = 0;
    for (double v : parts.values()) {
      total += Math.max(0, v);
    }
    StringBuilder sb = svgOpen(w, h + 24 * ((parts.size() + 3) / 4));
    double x = 0;
    int i = 0;
    for (Map.Entry<String, Double> e : parts.entrySet()) {
      double bw = total == 0 ? 0 : w * Math.max(0, e.getValue()) / total;
      String pct = total == 0 ? "0 %" : String.format(Locale.ROOT, "%.1f %%", 100 * e.getValue() / total);
      sb.append("<rect x=\"").append(fmt(x)).append("\" y=\"4\" width=\"").append(fmt(bw)).append("\" height=\"32\" fill=\"")
          .append(PALETTE[i % PALETTE.length]).append("\"><title>")
          .append(Html.escape(e.getKey() + ": " + format(e.getValue(), unit) + " (" + pct + ")")).append("</title></rect>");
      if (bw > 70) {
        sb.append("<text x=\"").append(fmt(x + 6)).append("\" y=\"25\" class=\"in\">").append(Html.escape(pct)).append("</text>");
      }
      x += bw;
      i++;
    }
    List<String> names = new ArrayList<>();
    parts.forEach((k, v) -> names.add(k + " " + format(v, unit)));
    legend(sb, names, 0, h + 2);
    return sb.append("</svg>").toString();
  }

  private static StringBuilder svgOpen(int w, int h) {
    return new StringBuilder("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ").append(w).append(' ').append(h)
        .append("\" width=\"100%\" role=\"img\" preserveAspectRatio=\"xMinYMin meet\">");
  }

  private static void legend(StringBuilder sb, List<String> names, int x0, int y0) {
    for (int i = 0; i < names.size(); i++) {
      int x = x0 + (i % 4) * 200;
      int y = y0 + (i / 4) * 22;
      sb.append("<rect x=\"").append(x).append("\" y=\"").append(y + 4).append("\" width=\"12\" height=\"12\" fill=\"")
          .append(PALETTE[i % PALETTE.length]).append("\"/><text x=\"").append(x + 18).append("\" y=\"").append(y + 15)
          .append("\" class=\"lb\">").append(Html.escape(shorten(names.get(i), 28))).append("</text>");
    }
  }

  /** Values as people read them: 1.2M tokens, $0.0312, 42 requests. */
  static String format(double v, String unit) {
    if ("USD".equals(unit)) {
      if (v == 0) {
        return "$0";
      }
      return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "$%,.0f", v)
          : Math.abs(v) >= 1 ? String.format(Locale.ROOT, "$%,.2f", v) : String.format(Locale.ROOT, "$%.4f", v);
    }
    if ("ratio".equals(unit)) {
      return String.format(Locale.ROOT, "%.1f %%", 100 * v);
    }
    double a = Math.abs(v);
    if (a >= 1e9) {
      return String.format(Locale.ROOT, "%.2fG", v / 1e9);
    }
    if (a >= 1e6) {
      return String.format(Locale.ROOT, "%.2fM", v / 1e6);
    }
    if (a >= 1e4) {
      return String.format(Locale.ROOT, "%.1fk", v / 1e3);
    }
    return v == Math.rint(v) ? String.format(Locale.ROOT, "%,d", (long) v) : String.format(Locale.ROOT, "%.2f", v);
  }

  private static double niceCeiling(double v) {
    if (v <= 0) {
      return 1;
    }
    double mag = Math.pow(10, Math.floor(Math.log10(v)));
    for (double f : new double[] {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) {
      if (f * mag >= v) {
        return f * mag;
      }
    }
    return 10 * mag;
  }

  private static String shorten(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }

  private static String fmt(double d) {
    return String.format(Locale.ROOT, "%.1f", d);
  }

  /** Series in insertion order. */
  static Map<String, double[]> series() {
    return new LinkedHashMap<>();
  }
}
