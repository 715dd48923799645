package dev.tokenledger.clickhouse.queries;

/**
 * A query file that does not follow the library's format, an unknown query name, or a parameter
 * value that does not fit its declared type. The message says which file, query or parameter is
 * wrong and what is expected, so a command line can show it to the user as it is.
 */
public final class QueryException extends RuntimeException {

  public QueryException(String message) {
    super(message);
  }

  public QueryException(String message, Throwable cause) {
    super(message, cause);
  }
}
