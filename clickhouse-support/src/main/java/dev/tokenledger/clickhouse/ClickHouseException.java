package dev.tokenledger.clickhouse;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An error reported by the ClickHouse engine, carrying ClickHouse's own error code, its symbolic
 * name and message ({@code Code: 60. DB::Exception: … (UNKNOWN_TABLE)}), so callers and the HTTP
 * front can react to the code exactly as they would to a server's.
 */
public final class ClickHouseException extends RuntimeException {

  private static final Pattern CODE = Pattern.compile("Code: (\\d+)\\. ");
  private static final Pattern NAME = Pattern.compile("\\(([A-Z][A-Z0-9_]+)\\)(?:\\s*\\(version [^)]*\\))?\\.?\\s*$");
  // libchdb wraps some errors a second time: "Code: 115. DB::Exception: Code: 115. DB::Exception: …".
  private static final Pattern DOUBLED = Pattern.compile("^(Code: \\d+\\. DB::Exception: )(?=Code: \\d+\\. DB::Exception: )");

  private final int code;
  private final String errorName;

  public ClickHouseException(int code, String errorName, String message) {
    super(message);
    this.code = code;
    this.errorName = errorName;
  }

  /** Parses an engine error text; code 1000 (POCO_EXCEPTION-like "unknown") when it has none. */
  public static ClickHouseException fromEngineMessage(String raw) {
    String msg = raw == null ? "" : raw.strip();
    msg = DOUBLED.matcher(msg).replaceFirst("");
    Matcher c = CODE.matcher(msg);
    int code = c.find() ? Integer.parseInt(c.group(1)) : 1000;
    Matcher n = NAME.matcher(msg);
    String name = n.find() ? n.group(1) : "UNKNOWN_EXCEPTION";
    if (!msg.startsWith("Code: ")) {
      msg = "Code: " + code + ". DB::Exception: " + msg;
    }
    // Trailing " (version …)" the engine may add inside a wrapped message is kept as is.
    return new ClickHouseException(code, name, msg);
  }

  /** ClickHouse's numeric error code (e.g. 60 for UNKNOWN_TABLE). */
  public int code() {
    return code;
  }

  /** ClickHouse's symbolic error name (e.g. UNKNOWN_TABLE), or UNKNOWN_EXCEPTION. */
  public String errorName() {
    return errorName;
  }
}
