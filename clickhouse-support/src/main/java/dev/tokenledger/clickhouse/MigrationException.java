package dev.tokenledger.clickhouse;

/**
 * Why migrations could not be applied, worded as what is wrong and what to do about it.
 */
public final class MigrationException extends Exception {

  /** What kind of problem it is (drives the command line's exit code). */
  public enum Kind {
    /** ClickHouse cannot be reached at the URL. */
    UNREACHABLE,
    /** ClickHouse refused the credentials. */
    AUTHENTICATION,
    /** An applied migration file was changed afterwards. */
    CHECKSUM,
    /** A statement failed. */
    STATEMENT,
    /** Wrong options, missing files or secrets. */
    CONFIGURATION
  }

  private final Kind kind;

  public MigrationException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public MigrationException(Kind kind, String message) {
    this(kind, message, null);
  }

  public Kind kind() {
    return kind;
  }
}
