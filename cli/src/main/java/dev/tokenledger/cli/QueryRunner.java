package dev.tokenledger.cli;

import dev.tokenledger.clickhouse.queries.Query;
import dev.tokenledger.clickhouse.queries.QueryException;
import dev.tokenledger.clickhouse.queries.QueryLibrary;
import java.util.List;
import java.util.Map;

/**
 * Runs queries of the library ({@code clickhouse/queries}) in the session's database: the command
 * answers every question with the library's SQL, never with a copy of it.
 */
final class QueryRunner {

  private final ClickHouseSession session;
  private QueryLibrary library;

  QueryRunner(ClickHouseSession session) {
    this.session = session;
  }

  /** The named query with these parameter values, checked against its declared columns. */
  Table run(String name, Map<String, String> params) throws CliException {
    Query q = query(name);
    String sql;
    try {
      sql = q.render(params, session.database());
    } catch (QueryException e) {
      throw new CliException(CliException.USAGE, e.getMessage());
    }
    Table t = session.query(sql);
    List<String> declared = q.columnNames();
    if (!t.columns().equals(declared)) {
      throw new CliException(CliException.STATEMENT, "Query " + q.fileName() + " returned columns " + t.columns()
          + " but declares " + declared + ": the query library and the database do not match (migrate, or update"
          + " the command).");
    }
    return t;
  }

  Query query(String name) throws CliException {
    try {
      if (library == null) {
        library = QueryLibrary.fromRepository();
      }
      return library.get(name);
    } catch (QueryException e) {
      throw new CliException(CliException.STATEMENT, "The query library cannot answer this: " + e.getMessage());
    }
  }

  /** True when the library has the query (for report sections that are optional). */
  boolean has(String name) {
    try {
      query(name);
      return true;
    } catch (CliException e) {
      return false;
    }
  }
}
