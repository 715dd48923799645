package dev.tokenledger.cli;

/**
 * A failure the user can act on: the message says what is wrong and what to do, and the command
 * exits with {@link #exitCode()} — never with a stack trace.
 */
final class CliException extends Exception {

  /** Exit codes of the command (also listed in its help text). */
  static final int DIFFERENCES = 1;
  static final int USAGE = 2;
  static final int CONNECTION = 3;
  static final int NOT_MIGRATED = 4;
  static final int BAD_INPUT = 5;
  static final int OPENAI_API = 6;
  static final int NOT_FOUND = 7;
  static final int STATEMENT = 8;

  private final int exitCode;

  CliException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  CliException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  static CliException usage(String message) {
    return new CliException(USAGE, message + " (see tokenledger --help)");
  }

  int exitCode() {
    return exitCode;
  }
}
