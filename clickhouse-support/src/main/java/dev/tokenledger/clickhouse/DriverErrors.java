package dev.tokenledger.clickhouse;

/**
 * Reading clickhouse-jdbc's exceptions: the cause chain, and the server's own "Code: N. DB::Exception"
 * line inside the driver's wrapping. Shared by the migration runner and the command line, which both
 * turn a driver error into what is wrong and what to do.
 */
public final class DriverErrors {

  /** The first cause in the chain that is one of {@code types}, or null. */
  @SafeVarargs
  public static Throwable findCause(Throwable t, Class<? extends Throwable>... types) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      for (Class<? extends Throwable> type : types) {
        if (type.isInstance(c)) {
          return c;
        }
      }
    }
    return null;
  }

  /** Every message of the cause chain, one line each with its exception class. */
  public static String fullMessage(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      sb.append(c.getClass().getName()).append(": ").append(c.getMessage()).append('\n');
    }
    return sb.toString();
  }

  /** The "Code: N. DB::Exception: …" line of a driver message when there is one, else its first line. */
  public static String serverMessage(String text) {
    int i = text.indexOf("Code: ");
    if (i < 0) {
      return firstLine(text);
    }
    int end = text.indexOf('\n', i);
    return text.substring(i, end < 0 ? text.length() : end);
  }

  /** The text up to its first line break; empty for null. */
  public static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private DriverErrors() {}
}
