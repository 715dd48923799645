package dev.tokenledger.cli;

/** HTML escaping: every value from data goes through {@link #escape} before it is written. */
final class Html {

  private Html() {}

  /** Text and attribute values: {@code & < > " '} become entities. */
  static String escape(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> sb.append("&amp;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&#39;");
        default -> {
          if (c < 0x20 && c != '\n' && c != '\t') {
            sb.append(' ');
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.toString();
  }
}
