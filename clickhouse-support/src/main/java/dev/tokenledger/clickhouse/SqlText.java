package dev.tokenledger.clickhouse;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A lexer for ClickHouse SQL scripts that is just good enough to split statements on {@code ;} and
 * to rewrite identifiers, without ever touching the inside of string literals, quoted identifiers or
 * comments. The migration runner needs exactly that (statements are sent one by one: a real server
 * refuses multi-statement requests), and so does the HTTP front (to refuse them too, as a server
 * would).
 *
 * <p>Tokens keep their exact source text, so {@link #join} of a token list reproduces the input
 * byte for byte; rewrites replace single tokens.
 */
public final class SqlText {

  private SqlText() {}

  /** Token kinds. */
  public enum Kind {
    /** Unquoted identifier or keyword. */
    WORD,
    /** {@code `x`} or {@code "x"}. */
    QUOTED_IDENTIFIER,
    /** {@code 'x'}, or a heredoc {@code $tag$…$tag$}. */
    STRING,
    NUMBER,
    /** {@code -- …}, {@code # …} to end of line, or {@code /* … *}{@code /}. */
    COMMENT,
    WHITESPACE,
    /** Any other single character ({@code ;} included). */
    SYMBOL
  }

  /** One token with its exact source text. */
  public record Token(Kind kind, String text) {

    /** True for a WORD equal to {@code word}, ignoring case (keywords). */
    public boolean isWord(String word) {
      return kind == Kind.WORD && text.equalsIgnoreCase(word);
    }

    /** True for the symbol {@code c}. */
    public boolean isSymbol(char c) {
      return kind == Kind.SYMBOL && text.length() == 1 && text.charAt(0) == c;
    }

    /** True for whitespace and comments. */
    public boolean isTrivia() {
      return kind == Kind.WHITESPACE || kind == Kind.COMMENT;
    }

    /** The identifier this token names (unquoted), or null when it is not an identifier. */
    public String identifier() {
      if (kind == Kind.WORD) {
        return text;
      }
      if (kind == Kind.QUOTED_IDENTIFIER) {
        return unquote(text);
      }
      return null;
    }
  }

  /** Splits {@code sql} into tokens. Unterminated quotes or comments run to the end of the input. */
  public static List<Token> tokenize(String sql) {
    List<Token> out = new ArrayList<>();
    scan(sql, out::add);
    return out;
  }

  /**
   * Hands the tokens of {@code sql} to {@code visitor} one at a time, as {@link #tokenize} would list
   * them, without keeping them: for long texts (an INSERT's VALUES rows) read once.
   */
  public static void scan(String sql, java.util.function.Consumer<Token> visitor) {
    int n = sql.length();
    int i = 0;
    while (i < n) {
      char c = sql.charAt(i);
      int start = i;
      Kind kind;
      if (Character.isWhitespace(c)) {
        while (i < n && Character.isWhitespace(sql.charAt(i))) {
          i++;
        }
        kind = Kind.WHITESPACE;
      } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-' || c == '#' && isHashComment(sql, i)) {
        while (i < n && sql.charAt(i) != '\n') {
          i++;
        }
        kind = Kind.COMMENT;
      } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
        // ClickHouse nests block comments.
        int depth = 0;
        while (i < n) {
          if (sql.startsWith("/*", i)) {
            depth++;
            i += 2;
          } else if (sql.startsWith("*/", i)) {
            depth--;
            i += 2;
            if (depth == 0) {
              break;
            }
          } else {
            i++;
          }
        }
        kind = Kind.COMMENT;
      } else if (c == '\'' || c == '"' || c == '`') {
        i = skipQuoted(sql, i, c);
        kind = c == '\'' ? Kind.STRING : Kind.QUOTED_IDENTIFIER;
      } else if (c == '$' && heredocTagEnd(sql, i) > 0) {
        int tagEnd = heredocTagEnd(sql, i);
        String tag = sql.substring(i, tagEnd);
        int close = sql.indexOf(tag, tagEnd);
        i = close < 0 ? n : close + tag.length();
        kind = Kind.STRING;
      } else if (Character.isLetter(c) || c == '_') {
        while (i < n && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_' || sql.charAt(i) == '$')) {
          i++;
        }
        kind = Kind.WORD;
      } else if (Character.isDigit(c)) {
        while (i < n && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '.' || sql.charAt(i) == '_')) {
          i++;
        }
        kind = Kind.NUMBER;
      } else {
        i++;
        kind = Kind.SYMBOL;
      }
      visitor.accept(new Token(kind, sql.substring(start, i)));
    }
  }

  /** One statement of a script and the 1-based line its code starts on. */
  public record Statement(String text, int line) {}

  /**
   * Splits a script into statements on {@code ;} outside strings, quoted identifiers and comments.
   * Each statement keeps the comments that precede it (they can carry hints) and loses the
   * terminating {@code ;}; statements that are only whitespace and comments are dropped.
   */
  public static List<String> splitStatements(String script) {
    List<String> out = new ArrayList<>();
    for (Statement s : split(script)) {
      out.add(s.text());
    }
    return out;
  }

  /** {@link #splitStatements}, with the line each statement's code starts on. */
  public static List<Statement> split(String script) {
    List<Statement> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    int line = 1;
    int codeLine = -1;
    for (Token t : tokenize(script)) {
      if (t.isSymbol(';')) {
        if (codeLine > 0) {
          out.add(new Statement(current.toString().strip(), codeLine));
        }
        current.setLength(0);
        codeLine = -1;
      } else {
        current.append(t.text());
        if (codeLine < 0 && !t.isTrivia()) {
          codeLine = line;
        }
      }
      for (int i = 0; i < t.text().length(); i++) {
        if (t.text().charAt(i) == '\n') {
          line++;
        }
      }
    }
    if (codeLine > 0) {
      out.add(new Statement(current.toString().strip(), codeLine));
    }
    return out;
  }

  /** Concatenates token texts. */
  public static String join(List<Token> tokens) {
    StringBuilder sb = new StringBuilder();
    for (Token t : tokens) {
      sb.append(t.text());
    }
    return sb.toString();
  }

  /** The tokens that are not whitespace or comments. */
  public static List<Token> code(List<Token> tokens) {
    List<Token> out = new ArrayList<>();
    for (Token t : tokens) {
      if (!t.isTrivia()) {
        out.add(t);
      }
    }
    return out;
  }

  /** The first keyword of a statement, upper case ("" when there is none); leading '(' skipped. */
  public static String firstKeyword(String sql) {
    for (Token t : tokenize(sql)) {
      if (t.isTrivia() || t.isSymbol('(')) {
        continue;
      }
      return t.kind() == Kind.WORD ? t.text().toUpperCase(Locale.ROOT) : "";
    }
    return "";
  }

  /**
   * Renames identifiers: every unquoted or quoted identifier token whose name is a key of
   * {@code renames} is replaced by the value (quoted the same way). Strings and comments are left
   * alone, so attribute names such as 'tokenledger.usage.input_tokens' never change.
   */
  public static String renameIdentifiers(String sql, Map<String, String> renames) {
    if (renames.isEmpty()) {
      return sql;
    }
    List<Token> tokens = tokenize(sql);
    StringBuilder sb = new StringBuilder(sql.length());
    for (Token t : tokens) {
      String id = t.identifier();
      String to = id == null ? null : renames.get(id);
      if (to == null) {
        sb.append(t.text());
      } else if (t.kind() == Kind.WORD) {
        sb.append(to);
      } else {
        char q = t.text().charAt(0);
        sb.append(q).append(to.replace(String.valueOf(q), "\\" + q)).append(q);
      }
    }
    return sb.toString();
  }

  /** Quotes a string literal for ClickHouse SQL. */
  public static String quoteString(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('\'');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\'' -> sb.append("\\'");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\0' -> sb.append("\\0");
        default -> sb.append(c);
      }
    }
    return sb.append('\'').toString();
  }

  /** Quotes an identifier with backticks when it is not a plain word. */
  public static String quoteIdentifier(String id) {
    if (id.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      return id;
    }
    return '`' + id.replace("\\", "\\\\").replace("`", "\\`") + '`';
  }

  private static String unquote(String quoted) {
    if (quoted.length() < 2) {
      return quoted;
    }
    char q = quoted.charAt(0);
    String inner = quoted.substring(1, quoted.length() - 1);
    StringBuilder sb = new StringBuilder(inner.length());
    for (int i = 0; i < inner.length(); i++) {
      char c = inner.charAt(i);
      if (c == '\\' && i + 1 < inner.length()) {
        sb.append(inner.charAt(++i));
      } else if (c == q && i + 1 < inner.length() && inner.charAt(i + 1) == q) {
        sb.append(q);
        i++;
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static int skipQuoted(String sql, int i, char q) {
    int n = sql.length();
    i++;
    while (i < n) {
      char c = sql.charAt(i);
      if (c == '\\') {
        i += 2;
      } else if (c == q) {
        if (i + 1 < n && sql.charAt(i + 1) == q) {
          i += 2; // doubled quote inside the literal
        } else {
          return i + 1;
        }
      } else {
        i++;
      }
    }
    return n;
  }

  // '#' starts a comment in ClickHouse only when followed by whitespace or '!' (and at line start).
  private static boolean isHashComment(String sql, int i) {
    return i + 1 >= sql.length() || Character.isWhitespace(sql.charAt(i + 1)) || sql.charAt(i + 1) == '!';
  }

  // $tag$ heredoc: returns the index after the opening tag, or -1.
  private static int heredocTagEnd(String sql, int i) {
    int j = i + 1;
    while (j < sql.length() && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '_')) {
      j++;
    }
    return j < sql.length() && sql.charAt(j) == '$' ? j + 1 : -1;
  }
}
