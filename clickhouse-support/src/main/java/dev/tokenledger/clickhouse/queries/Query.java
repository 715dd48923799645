package dev.tokenledger.clickhouse.queries;

import dev.tokenledger.clickhouse.SqlText;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One query of the library: a documented SQL file of {@code clickhouse/queries/}.
 *
 * <p>File format — a header of {@code --} comment lines, then one SELECT:
 *
 * <pre>
 * -- Title line: what question the query answers.
 * -- More description lines (units, caveats).
 * --
 * -- &#64;param from | DateTime('UTC') | now() - INTERVAL 7 DAY | $__fromTime | start of the range (inclusive)
 * -- &#64;param services | Array(String) | [] | service | services to include; empty = all
 * -- &#64;column model | LowCardinality(String) | | the billed model
 * -- &#64;column input_tokens | UInt64 | tokens | input tokens, cached included
 * SELECT … WHERE hour >= {from:DateTime('UTC')} AND (empty({services:Array(String)}) OR has({services:Array(String)}, ServiceName))
 * </pre>
 *
 * <p>{@code @param} fields: name | ClickHouse type | default (a SQL expression of that type; empty
 * = required) | what a Grafana panel puts in its place (a macro such as {@code $__fromTime}, or
 * the name of a dashboard variable for {@code Array(String)} filters; empty = the default or a
 * value the panel fixes) | description. {@code @column} fields: name | ClickHouse type as
 * returned | unit ({@code tokens}, {@code USD}, {@code ratio}, {@code requests}, {@code seconds},
 * {@code count} or empty) | description. The body uses ClickHouse query-parameter syntax
 * {@code {name:Type}}, so the file also runs as it is in clickhouse-client with
 * {@code --param_name=…}.
 *
 * <p>Binding: {@link #render} substitutes every parameter with a quoted, typed literal —
 * {@code CAST('value', 'Type')} — after checking the value against the type in Java; nothing a
 * caller passes is ever pasted into the SQL unquoted. The result is plain SQL for any client
 * (JDBC statement, HTTP), no driver support for query parameters needed.
 */
public final class Query {

  /** A declared parameter. {@code defaultSql} is null when the parameter is required. */
  public record Parameter(String name, String type, String defaultSql, String grafana, String description) {

    public boolean required() {
      return defaultSql == null;
    }

    public boolean isArray() {
      return type.startsWith("Array(");
    }
  }

  /** A declared result column. {@code unit} is empty when the column is a label. */
  public record Column(String name, String type, String unit, String description) {}

  /** {@code {name:Type}} in SQL code (not {@code ${var:format}}, a Grafana variable; strings and comments are skipped by the caller). */
  static final Pattern PLACEHOLDER = Pattern.compile("(?<!\\$)\\{([A-Za-z_][A-Za-z0-9_]*):([^{}]+)}");
  private static final Set<String> UNITS = Set.of("", "tokens", "USD", "ratio", "requests", "seconds", "count");
  private static final DateTimeFormatter CH_SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
  private static final DateTimeFormatter CH_NANOS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSSSS");

  private final String name;
  private final String fileName;
  private final String title;
  private final String description;
  private final List<Parameter> parameters;
  private final List<Column> columns;
  private final String sql;

  private Query(String name, String fileName, String title, String description, List<Parameter> parameters,
      List<Column> columns, String sql) {
    this.name = name;
    this.fileName = fileName;
    this.title = title;
    this.description = description;
    this.parameters = List.copyOf(parameters);
    this.columns = List.copyOf(columns);
    this.sql = sql;
  }

  /** The query's name: the file name without its number prefix and {@code .sql}. */
  public String name() {
    return name;
  }

  /** The file name, e.g. {@code 01_summary.sql}. */
  public String fileName() {
    return fileName;
  }

  /** The first header line. */
  public String title() {
    return title;
  }

  /** The whole description (title line first), without the {@code @param}/{@code @column} lines. */
  public String description() {
    return description;
  }

  public List<Parameter> parameters() {
    return parameters;
  }

  /** The declared parameter, or a {@link QueryException} naming the ones that exist. */
  public Parameter parameter(String parameterName) {
    for (Parameter p : parameters) {
      if (p.name().equals(parameterName)) {
        return p;
      }
    }
    throw new QueryException("query " + name + " has no parameter '" + parameterName + "'; its parameters: "
        + parameterNames());
  }

  public List<Column> columns() {
    return columns;
  }

  /** The column names in result order. */
  public List<String> columnNames() {
    List<String> out = new ArrayList<>();
    for (Column c : columns) {
      out.add(c.name());
    }
    return out;
  }

  /** The SQL body as written in the file (with {@code {name:Type}} placeholders, no header). */
  public String sql() {
    return sql;
  }

  /**
   * Executable SQL: every placeholder replaced by {@code CAST(<quoted value>, '<Type>')}; parameters
   * without a value take their default. Values are strings: numbers as digits, {@code Bool} as
   * true/false, dates as {@code YYYY-MM-DD}, date-times as {@code YYYY-MM-DD hh:mm:ss[.fff]} (UTC)
   * or an ISO-8601 instant ({@code 2026-11-24T10:00:00Z}, any offset), {@code Array(String)} as a
   * comma-separated list (empty string = empty array).
   *
   * @throws QueryException for an unknown parameter, a missing required one, or a value that does
   *     not fit its type (the message names the parameter, the value and the expected form)
   */
  public String render(Map<String, String> values) {
    Map<String, String> literals = new LinkedHashMap<>();
    for (String key : values.keySet()) {
      parameter(key); // unknown names are a caller's mistake worth reporting
    }
    for (Parameter p : parameters) {
      literals.put(p.name(), literalFor(p, values.get(p.name())));
    }
    return replacePlaceholders(sql, (param, type) -> literals.get(param));
  }

  /** The SQL that stands for the parameter: the value as a typed literal, else the default. */
  String literalFor(Parameter p, String value) {
    if (value != null) {
      return literal(p, value);
    }
    if (p.required()) {
      throw new QueryException("query " + name + " needs a value for parameter '" + p.name() + "' (" + p.type()
          + "): " + p.description());
    }
    return "CAST(" + p.defaultSql() + ", " + SqlText.quoteString(p.type()) + ")";
  }

  /** {@link #render(Map)}, with the tables of {@code database} instead of {@code tokenledger}. */
  public String render(Map<String, String> values, String database) {
    String out = render(values);
    if (database == null || database.equals("tokenledger")) {
      return out;
    }
    return SqlText.renameIdentifiers(out, Map.of("tokenledger", database));
  }

  @Override
  public String toString() {
    return name + " (" + fileName + ")";
  }

  // ---------------------------------------------------------------- parsing

  /** Parses one query file. */
  static Query parse(String fileName, String text) {
    if (!fileName.endsWith(".sql")) {
      throw new QueryException(fileName + ": a query file must end in .sql");
    }
    String name = fileName.substring(0, fileName.length() - 4).replaceFirst("^[0-9]+_", "");
    if (!name.matches("[a-z][a-z0-9_]*")) {
      throw new QueryException(fileName + ": the query name '" + name + "' must be lower case letters, digits and _");
    }
    String[] lines = text.replace("\r\n", "\n").split("\n", -1);
    List<String> desc = new ArrayList<>();
    List<Parameter> params = new ArrayList<>();
    List<Column> cols = new ArrayList<>();
    int i = 0;
    for (; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      if (!line.startsWith("--")) {
        break;
      }
      String c = line.substring(2).strip();
      if (c.startsWith("@param ")) {
        params.add(parseParameter(fileName, i + 1, c.substring(7)));
      } else if (c.startsWith("@column ")) {
        cols.add(parseColumn(fileName, i + 1, c.substring(8)));
      } else if (c.startsWith("@")) {
        throw new QueryException(fileName + ":" + (i + 1) + ": unknown header tag '" + c.split("\\s")[0]
            + "' (known: @param, @column)");
      } else {
        desc.add(c);
      }
    }
    StringJoiner body = new StringJoiner("\n");
    for (int j = i; j < lines.length; j++) {
      body.add(lines[j]);
    }
    String sql = body.toString().strip();
    if (sql.endsWith(";")) {
      sql = sql.substring(0, sql.length() - 1).strip();
    }
    while (!desc.isEmpty() && desc.get(desc.size() - 1).isEmpty()) {
      desc.remove(desc.size() - 1);
    }
    if (desc.isEmpty() || desc.get(0).isEmpty()) {
      throw new QueryException(fileName + ": the header must start with a comment line saying what the query answers");
    }
    if (cols.isEmpty()) {
      throw new QueryException(fileName + ": no @column lines: declare every column the query returns");
    }
    if (sql.isEmpty()) {
      throw new QueryException(fileName + ": no SQL after the header");
    }
    if (SqlText.splitStatements(sql).size() != 1) {
      throw new QueryException(fileName + ": one statement per file");
    }
    checkUnique(fileName, "parameter", params.stream().map(Parameter::name).toList());
    checkUnique(fileName, "column", cols.stream().map(Column::name).toList());
    Query q = new Query(name, fileName, desc.get(0), String.join("\n", desc), params, cols, sql);
    q.checkPlaceholders();
    return q;
  }

  private static Parameter parseParameter(String file, int line, String spec) {
    String[] f = fields(file, line, spec, 5, "@param name | type | default | grafana | description");
    String type = f[1];
    if (type.startsWith("DateTime") && !type.contains("'UTC'")) {
      throw new QueryException(file + ":" + line + ": date-time parameter '" + f[0] + "' must be declared in UTC"
          + " (DateTime('UTC') or DateTime64(n, 'UTC')) so values mean the same instant on every server");
    }
    if (type.startsWith("Array(") && !type.equals("Array(String)")) {
      throw new QueryException(file + ":" + line + ": array parameters are Array(String) only");
    }
    return new Parameter(f[0], type, f[2].isEmpty() ? null : f[2], f[3], f[4]);
  }

  private static Column parseColumn(String file, int line, String spec) {
    String[] f = fields(file, line, spec, 4, "@column name | type | unit | description");
    if (!UNITS.contains(f[2])) {
      throw new QueryException(file + ":" + line + ": unknown unit '" + f[2] + "' for column " + f[0] + "; known: "
          + new java.util.TreeSet<>(UNITS));
    }
    return new Column(f[0], f[1], f[2], f[3]);
  }

  private static String[] fields(String file, int line, String spec, int n, String form) {
    String[] f = spec.split("\\|", n);
    if (f.length != n) {
      throw new QueryException(file + ":" + line + ": expected " + form);
    }
    for (int k = 0; k < n; k++) {
      f[k] = f[k].strip();
    }
    if (!f[0].matches("[A-Za-z_][A-Za-z0-9_]*") || f[1].isEmpty()) {
      throw new QueryException(file + ":" + line + ": expected " + form);
    }
    return f;
  }

  private static void checkUnique(String file, String what, List<String> names) {
    Set<String> seen = new HashSet<>();
    for (String n : names) {
      if (!seen.add(n)) {
        throw new QueryException(file + ": " + what + " '" + n + "' declared twice");
      }
    }
  }

  private void checkPlaceholders() {
    Set<String> used = new HashSet<>();
    replacePlaceholders(sql, (param, type) -> {
      Parameter p;
      try {
        p = parameter(param);
      } catch (QueryException e) {
        throw new QueryException(fileName + ": {" + param + ":" + type + "} is not declared with @param");
      }
      if (!p.type().equals(type)) {
        throw new QueryException(fileName + ": {" + param + ":" + type + "} does not match the declared type " + p.type());
      }
      used.add(param);
      return "";
    });
    for (Parameter p : parameters) {
      if (!used.contains(p.name())) {
        throw new QueryException(fileName + ": parameter '" + p.name() + "' is declared but never used");
      }
    }
  }

  /** Replacer of one placeholder: parameter name and type in, SQL out. */
  interface PlaceholderReplacer {
    String replace(String param, String type);
  }

  /** Replaces {@code {name:Type}} placeholders in SQL code, never inside strings or comments. */
  static String replacePlaceholders(String sql, PlaceholderReplacer replacer) {
    StringBuilder out = new StringBuilder(sql.length());
    for (SqlText.Token t : codeChunks(sql)) {
      if (t.kind() != SqlText.Kind.WORD) { // strings and comments, kept as they are
        out.append(t.text());
        continue;
      }
      Matcher m = PLACEHOLDER.matcher(t.text());
      int last = 0;
      while (m.find()) {
        out.append(t.text(), last, m.start()).append(replacer.replace(m.group(1), m.group(2).strip()));
        last = m.end();
      }
      out.append(t.text(), last, t.text().length());
    }
    return out.toString();
  }

  /**
   * The SQL cut into chunks: runs of code (kind WORD, used here to mean "code") and single string or
   * comment tokens. A placeholder never spans a string, so matching inside code runs is enough.
   */
  private static List<SqlText.Token> codeChunks(String sql) {
    List<SqlText.Token> out = new ArrayList<>();
    StringBuilder code = new StringBuilder();
    for (SqlText.Token t : SqlText.tokenize(sql)) {
      if (t.kind() == SqlText.Kind.STRING || t.kind() == SqlText.Kind.COMMENT) {
        // A quoted 'UTC' inside a placeholder type is part of the code run.
        if (t.kind() == SqlText.Kind.STRING && insidePlaceholder(code)) {
          code.append(t.text());
          continue;
        }
        if (code.length() > 0) {
          out.add(new SqlText.Token(SqlText.Kind.WORD, code.toString()));
          code.setLength(0);
        }
        out.add(t);
      } else {
        code.append(t.text());
      }
    }
    if (code.length() > 0) {
      out.add(new SqlText.Token(SqlText.Kind.WORD, code.toString()));
    }
    return out;
  }

  // True when the code so far ends inside "{name:Type(" — an open placeholder.
  private static boolean insidePlaceholder(StringBuilder code) {
    int open = code.lastIndexOf("{");
    return open >= 0 && code.indexOf("}", open) < 0 && code.substring(open).matches("\\{[A-Za-z_][A-Za-z0-9_]*:[^{}]*");
  }

  // ---------------------------------------------------------------- values

  private String literal(Parameter p, String value) {
    String type = p.type();
    String sqlType = SqlText.quoteString(type);
    if (p.isArray()) {
      StringJoiner j = new StringJoiner(", ", "[", "]");
      if (!value.isBlank()) {
        for (String v : value.split(",", -1)) {
          j.add(SqlText.quoteString(v.strip()));
        }
      }
      return "CAST(" + j + ", " + sqlType + ")";
    }
    return "CAST(" + SqlText.quoteString(checked(p, value)) + ", " + sqlType + ")";
  }

  /** The value in the form ClickHouse parses for the type, or a QueryException saying what is expected. */
  private String checked(Parameter p, String value) {
    String base = p.type().replaceFirst("^(Nullable|LowCardinality)\\((.*)\\)$", "$2");
    String v = value.strip();
    try {
      if (base.matches("U?Int(8|16|32|64|128|256)")) {
        BigInteger n = new BigInteger(v);
        if (base.startsWith("U") && n.signum() < 0) {
          throw new NumberFormatException();
        }
        return n.toString();
      }
      if (base.matches("Float(32|64)|Decimal.*")) {
        return new BigDecimal(v).toPlainString();
      }
      if (base.equals("Bool")) {
        if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
          throw new IllegalArgumentException();
        }
        return v.toLowerCase(Locale.ROOT);
      }
      if (base.equals("Date") || base.equals("Date32")) {
        return LocalDate.parse(v).toString();
      }
      if (base.startsWith("DateTime")) {
        return format(dateTime(v));
      }
    } catch (IllegalArgumentException | DateTimeParseException e) {
      throw new QueryException("query " + name + ": parameter '" + p.name() + "' is " + p.type() + ", but the value '"
          + value + "' is not " + expected(base));
    }
    return value; // String and anything else: passed as a quoted string, ClickHouse converts
  }

  private static LocalDateTime dateTime(String v) {
    if (v.matches("\\d{4}-\\d{2}-\\d{2}")) {
      return LocalDate.parse(v).atStartOfDay();
    }
    if (v.endsWith("Z") || v.matches(".*[+-]\\d{2}:\\d{2}$")) {
      return LocalDateTime.ofInstant(OffsetDateTime.parse(v).toInstant(), ZoneOffset.UTC);
    }
    return LocalDateTime.parse(v.replace(' ', 'T'));
  }

  private static String expected(String base) {
    if (base.startsWith("UInt")) {
      return "a whole number >= 0";
    }
    if (base.startsWith("Int")) {
      return "a whole number";
    }
    if (base.equals("Bool")) {
      return "true or false";
    }
    if (base.startsWith("Date") && !base.startsWith("DateTime")) {
      return "a date YYYY-MM-DD";
    }
    if (base.startsWith("DateTime")) {
      return "a date-time YYYY-MM-DD hh:mm:ss (UTC) or an ISO-8601 instant such as 2026-11-24T10:00:00Z";
    }
    return "a number";
  }

  /** Formats an instant as the library's date-time parameters take it. */
  public static String dateTimeValue(Instant instant) {
    return format(LocalDateTime.ofInstant(instant, ZoneOffset.UTC));
  }

  private static String format(LocalDateTime t) {
    return (t.getNano() == 0 ? CH_SECONDS : CH_NANOS).format(t);
  }

  private List<String> parameterNames() {
    List<String> out = new ArrayList<>();
    for (Parameter p : parameters) {
      out.add(p.name());
    }
    return Collections.unmodifiableList(out);
  }
}
