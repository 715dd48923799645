package dev.tokenledger.cli;

/** A problem in an input file, located by line and column (both 1-based). */
final class InputException extends Exception {

  private final int line;
  private final int column;

  InputException(int line, int column, String message) {
    super(message);
    this.line = line;
    this.column = column;
  }

  int line() {
    return line;
  }

  int column() {
    return column;
  }

  /** {@code file:line:column: message}, the shape editors and compilers use. */
  String describe(String file) {
    return file + ":" + line + ":" + column + ": " + getMessage();
  }
}
