package dev.tokenledger.clickhouse;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The columns of a TokenLedger table or view as the server has them ({@code system.columns}), for
 * code that needs "every token field of this table": the token vocabulary is defined once (the
 * agent's {@code UsageField}) and carried by the migrations, so code outside the agent reads it
 * from the schema instead of typing it out again. TokenVocabularyTest checks that every field of
 * the vocabulary matches {@link #TOKEN_NAME} and that every table and view carries exactly the
 * vocabulary.
 */
public final class TableColumns {

  /** The shape of a token field's name: {@code input_…tokens} or {@code output_…tokens}. */
  public static final Pattern TOKEN_NAME = Pattern.compile("(input|output)_[a-z_]*tokens");

  /** One column: its name and its ClickHouse type, e.g. {@code UInt64}. */
  public record Column(String name, String type) {}

  private TableColumns() {}

  /** True when {@code column} is named like a token field. */
  public static boolean isToken(String column) {
    return TOKEN_NAME.matcher(column).matches();
  }

  /** The columns of {@code database.table} in their order; empty when there is no such table. */
  public static List<Column> read(Connection connection, String database, String table) throws SQLException {
    List<Column> out = new ArrayList<>();
    try (Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery("SELECT name, type FROM system.columns WHERE database = "
            + SqlText.quoteString(database) + " AND table = " + SqlText.quoteString(table) + " ORDER BY position")) {
      while (rs.next()) {
        out.add(new Column(rs.getString(1), rs.getString(2)));
      }
    }
    return out;
  }

  /** The token columns of {@code database.table}, in the table's order. */
  public static List<String> tokens(Connection connection, String database, String table) throws SQLException {
    List<String> out = new ArrayList<>();
    for (Column c : read(connection, database, table)) {
      if (isToken(c.name())) {
        out.add(c.name());
      }
    }
    return out;
  }
}
