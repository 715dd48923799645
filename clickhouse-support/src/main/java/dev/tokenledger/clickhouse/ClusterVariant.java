package dev.tokenledger.clickhouse;

import dev.tokenledger.clickhouse.SqlText.Kind;
import dev.tokenledger.clickhouse.SqlText.Token;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Derives the cluster variant of the single-node migrations, statement by statement, so there is
 * one set of files (docs/clickhouse.md#cluster-variant):
 *
 * <ul>
 *   <li>every DDL statement (CREATE/ALTER/DROP of databases, tables, views, users, roles, profiles,
 *       quotas; GRANT/REVOKE) gets {@code ON CLUSTER <name>};
 *   <li>a {@code *MergeTree} table becomes {@code Replicated*MergeTree}. By default it is
 *       <em>sharded</em>: the table is created as {@code <name>_local} (replication path
 *       {@code /clickhouse/tables/{uuid}/{shard}}, replica {@code {replica}}), and a
 *       {@code Distributed} table with the original name is put over it, so the exporter, views
 *       and readers keep using the original names. The sharding key comes from a
 *       {@code -- cluster: sharding_key = <expr>} comment before the statement ({@code rand()}
 *       otherwise); it should be deterministic so that a retried batch splits into the same
 *       per-shard blocks and is de-duplicated there;
 *   <li>a table marked {@code -- cluster: replicate_everywhere} (small reference tables: prices,
 *       key map, imports, schema_migrations) is replicated to every node instead (one replication
 *       path for the whole cluster, {@code /clickhouse/tables/all/{database}/{table}}), with no
 *       Distributed table: every node reads its full local copy;
 *   <li>materialized views run on each node from local source to local target: their references to
 *       sharded tables are rewritten to the {@code _local} tables (an insert through the
 *       Distributed table fires the MV on the shard that receives the rows);
 *   <li>plain views keep reading the Distributed tables; GRANTs on a sharded table are repeated for
 *       its {@code _local} table; ALTER/DROP/TRUNCATE/OPTIMIZE of a sharded table act on the local
 *       table (a column change must also be written for the Distributed table, as its own
 *       statement), and a DROP drops its Distributed table too;
 *   <li>{@code CREATE TABLE x AS y ENGINE = …MergeTree} with a sharded {@code y} copies the structure
 *       of {@code y}'s local table;
 *   <li>a statement marked {@code -- cluster: one_node} is left as it is: no ON CLUSTER, the
 *       Distributed tables named as written. It runs once, on the node the migration runs against
 *       (the rollup's automatic correction, which must run once for the whole cluster).
 * </ul>
 * Requires the macros {@code {shard}} and {@code {replica}} (unique per node across the cluster)
 * and ClickHouse Keeper, as every replicated setup does.
 */
final class ClusterVariant {

  private static final Pattern HINT_EVERYWHERE = Pattern.compile("(?m)^\\s*--\\s*cluster:\\s*replicate_everywhere\\s*$");
  private static final Pattern HINT_KEY = Pattern.compile("(?m)^\\s*--\\s*cluster:\\s*sharding_key\\s*=\\s*(.+?)\\s*$");
  private static final Pattern HINT_ONE_NODE = Pattern.compile("(?m)^\\s*--\\s*cluster:\\s*one_node\\s*$");
  private static final String SHARDED_PATH = "'/clickhouse/tables/{uuid}/{shard}', '{replica}'";
  private static final String EVERYWHERE_PATH = "'/clickhouse/tables/all/{database}/{table}', '{replica}'";

  private final String cluster;
  private final Set<String> sharded = new HashSet<>();

  /**
   * @param cluster the cluster name (as in remote_servers)
   * @param allStatements every statement of every migration (rendered for this database), so that
   *     tables created in one file are known as sharded in the files after it
   */
  ClusterVariant(String cluster, List<String> allStatements) {
    this.cluster = cluster;
    for (String s : allStatements) {
      Create c = Create.parse(s);
      if (c != null && c.kind.equals("TABLE") && c.engineIndex >= 0 && isPlainMergeTree(c.engine)
          && !HINT_EVERYWHERE.matcher(s).find()) {
        sharded.add(c.name);
      }
    }
  }

  /** Names ({@code db.table}) of the tables the variant shards. */
  Set<String> shardedTables() {
    return Set.copyOf(sharded);
  }

  /** The statements that replace {@code statement} in the cluster variant. */
  List<String> derive(String statement) {
    List<Token> tokens = SqlText.tokenize(statement);
    List<Integer> code = codeIndexes(tokens);
    if (code.isEmpty()) {
      return List.of(statement);
    }
    if (HINT_ONE_NODE.matcher(statement).find()) {
      return List.of(statement); // for the whole cluster, once: on the node the migration runs against
    }
    String first = upper(tokens.get(code.get(0)));
    List<String> out = new ArrayList<>();
    switch (first) {
      case "CREATE", "ATTACH" -> deriveCreate(statement, tokens, code, out);
      case "GRANT", "REVOKE" -> {
        out.add(insertAfter(tokens, code.get(0), onCluster()));
        String local = withLocalReferences(tokens);
        if (!local.equals(SqlText.join(tokens))) {
          out.add(insertAfter(SqlText.tokenize(local), code.get(0), onCluster()));
        }
      }
      case "ALTER", "DROP", "TRUNCATE", "OPTIMIZE", "RENAME", "EXCHANGE", "UNDROP", "DETACH" -> {
        int nameEnd = nameEndAfterKind(tokens, code);
        if (first.equals("DROP") && nameEnd >= 0 && droppedName(tokens, code) != null
            && sharded.contains(droppedName(tokens, code))) {
          out.add(insertAfter(tokens, nameEnd, onCluster())); // the Distributed table, then the local one
        }
        List<Token> local = SqlText.tokenize(withLocalReferences(tokens));
        out.add(nameEnd < 0 ? SqlText.join(local) : insertAfter(local, nameEnd, onCluster()));
      }
      default -> out.add(statement); // INSERT, SELECT, SYSTEM …: unchanged
    }
    return out;
  }

  private void deriveCreate(String statement, List<Token> tokens, List<Integer> code, List<String> out) {
    Create c = Create.parse(statement);
    if (c == null || c.nameEnd < 0) {
      out.add(statement);
      return;
    }
    switch (c.kind) {
      case "TABLE" -> {
        if (c.engineIndex < 0 || !isPlainMergeTree(c.engine)) {
          out.add(insertAfter(tokens, c.nameEnd, onCluster()));
          return;
        }
        boolean everywhere = HINT_EVERYWHERE.matcher(statement).find();
        List<Token> t = new ArrayList<>(tokens);
        // Engine first (later index), then the name, so indexes stay valid.
        replaceEngine(t, c, everywhere ? EVERYWHERE_PATH : SHARDED_PATH);
        if (!everywhere) {
          Token tableToken = t.get(c.nameEnd);
          t.set(c.nameEnd, renamed(tableToken, c.table + "_local"));
        }
        String local = insertAfter(t, c.nameEnd, onCluster());
        // CREATE TABLE x AS y: a sharded y's structure is its local table's.
        out.add(everywhere ? local : withLocalReferences(SqlText.tokenize(local)));
        if (!everywhere) {
          Matcher key = HINT_KEY.matcher(statement);
          String shardingKey = key.find() ? key.group(1) : "rand()";
          String db = c.database == null ? "currentDatabase()" : SqlText.quoteString(c.database);
          String qualified = (c.database == null ? "" : SqlText.quoteIdentifier(c.database) + ".");
          out.add("CREATE TABLE IF NOT EXISTS " + qualified + SqlText.quoteIdentifier(c.table) + onCluster()
              + " AS " + qualified + SqlText.quoteIdentifier(c.table + "_local")
              + " ENGINE = Distributed(" + SqlText.quoteString(cluster) + ", " + db + ", "
              + SqlText.quoteString(c.table + "_local") + ", " + shardingKey + ")");
        }
      }
      case "MATERIALIZED VIEW" -> {
        List<Token> local = SqlText.tokenize(withLocalReferences(tokens));
        out.add(insertAfter(local, c.nameEnd, onCluster()));
      }
      default -> out.add(insertAfter(tokens, c.nameEnd, onCluster()));
    }
  }

  private String onCluster() {
    return " ON CLUSTER " + SqlText.quoteIdentifier(cluster);
  }

  // Rewrites db.table references to sharded tables into db.table_local.
  private String withLocalReferences(List<Token> tokens) {
    List<Token> t = new ArrayList<>(tokens);
    for (int i = 0; i + 2 < t.size(); i++) {
      String db = t.get(i).identifier();
      if (db == null || !t.get(i + 1).isSymbol('.')) {
        continue;
      }
      String table = t.get(i + 2).identifier();
      if (table != null && sharded.contains(db + "." + table)) {
        t.set(i + 2, renamed(t.get(i + 2), table + "_local"));
      }
    }
    return SqlText.join(t);
  }

  private static void replaceEngine(List<Token> t, Create c, String pathArgs) {
    String replicated = "Replicated" + c.engine;
    int after = nextCode(t, c.engineIndex + 1);
    if (after >= 0 && t.get(after).isSymbol('(')) {
      int close = nextCode(t, after + 1);
      boolean empty = close >= 0 && t.get(close).isSymbol(')');
      t.set(c.engineIndex, new Token(Kind.WORD, replicated));
      t.set(after, new Token(Kind.SYMBOL, "(" + pathArgs + (empty ? "" : ", ")));
    } else {
      t.set(c.engineIndex, new Token(Kind.WORD, replicated + "(" + pathArgs + ")"));
    }
  }

  private static boolean isPlainMergeTree(String engine) {
    return engine != null && engine.endsWith("MergeTree") && !engine.startsWith("Replicated")
        && !engine.startsWith("Shared");
  }

  private static Token renamed(Token original, String name) {
    if (original.kind() == Kind.QUOTED_IDENTIFIER) {
      return new Token(Kind.QUOTED_IDENTIFIER, "`" + name.replace("`", "\\`") + "`");
    }
    return new Token(Kind.WORD, SqlText.quoteIdentifier(name));
  }

  private static String insertAfter(List<Token> tokens, int index, String text) {
    List<Token> t = new ArrayList<>(tokens);
    t.add(index + 1, new Token(Kind.WHITESPACE, text));
    return SqlText.join(t);
  }

  // For ALTER TABLE x / DROP [TABLE|VIEW|…] [IF EXISTS] x …: the index of the name's last token.
  private static int nameEndAfterKind(List<Token> tokens, List<Integer> code) {
    int i = 1;
    if (i < code.size() && upper(tokens.get(code.get(i))).equals("TEMPORARY")) {
      return -1;
    }
    while (i < code.size() && isKindWord(upper(tokens.get(code.get(i))))) {
      i++;
    }
    if (i + 1 < code.size() && upper(tokens.get(code.get(i))).equals("IF")) {
      i += 2; // IF EXISTS
    }
    return i < code.size() ? nameEnd(tokens, code, i) : -1;
  }

  // For DROP [TABLE|…] [IF EXISTS] [db.]name: the name as db.table (null without a database).
  private static String droppedName(List<Token> tokens, List<Integer> code) {
    int i = 1;
    while (i < code.size() && isKindWord(upper(tokens.get(code.get(i))))) {
      i++;
    }
    if (i + 1 < code.size() && upper(tokens.get(code.get(i))).equals("IF")) {
      i += 2;
    }
    if (i + 2 < code.size() && tokens.get(code.get(i + 1)).isSymbol('.')) {
      return tokens.get(code.get(i)).identifier() + "." + tokens.get(code.get(i + 2)).identifier();
    }
    return null;
  }

  private static boolean isKindWord(String w) {
    return Set.of("TABLE", "VIEW", "DATABASE", "DICTIONARY", "USER", "ROLE", "QUOTA", "PROFILE", "SETTINGS",
        "ROW", "POLICY", "MATERIALIZED", "FUNCTION", "TABLES").contains(w);
  }

  // Index (in tokens) of the last token of a possibly qualified name starting at code[i].
  private static int nameEnd(List<Token> tokens, List<Integer> code, int i) {
    int end = code.get(i);
    if (i + 2 < code.size() && tokens.get(code.get(i + 1)).isSymbol('.')) {
      end = code.get(i + 2);
    }
    return end;
  }

  private static List<Integer> codeIndexes(List<Token> tokens) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < tokens.size(); i++) {
      if (!tokens.get(i).isTrivia()) {
        out.add(i);
      }
    }
    return out;
  }

  private static int nextCode(List<Token> t, int from) {
    for (int i = from; i < t.size(); i++) {
      if (!t.get(i).isTrivia()) {
        return i;
      }
    }
    return -1;
  }

  private static String upper(Token t) {
    return t.text().toUpperCase(Locale.ROOT);
  }

  /** The parts of a CREATE statement the derivation needs. */
  private static final class Create {
    String kind;
    String database;
    String table;
    String name;
    int nameEnd = -1;
    String engine;
    int engineIndex = -1;

    static Create parse(String statement) {
      List<Token> tokens = SqlText.tokenize(statement);
      List<Integer> code = codeIndexes(tokens);
      if (code.size() < 3) {
        return null;
      }
      String first = upper(tokens.get(code.get(0)));
      if (!first.equals("CREATE") && !first.equals("ATTACH")) {
        return null;
      }
      int i = 1;
      if (upper(tokens.get(code.get(i))).equals("OR") && i + 1 < code.size()) {
        i += 2; // OR REPLACE
      }
      Create c = new Create();
      String w = upper(tokens.get(code.get(i)));
      if (w.equals("TEMPORARY")) {
        return null;
      }
      if ((w.equals("MATERIALIZED") || w.equals("SETTINGS") || w.equals("ROW")) && i + 1 < code.size()) {
        c.kind = w + " " + upper(tokens.get(code.get(i + 1)));
        i += 2;
      } else {
        c.kind = w;
        i += 1;
      }
      if (i + 2 < code.size() && upper(tokens.get(code.get(i))).equals("IF")) {
        i += 3; // IF NOT EXISTS
      }
      if (i >= code.size()) {
        return c;
      }
      String a = tokens.get(code.get(i)).identifier();
      if (i + 2 < code.size() && tokens.get(code.get(i + 1)).isSymbol('.')) {
        c.database = a;
        c.table = tokens.get(code.get(i + 2)).identifier();
        c.nameEnd = code.get(i + 2);
        c.name = c.database + "." + c.table;
      } else {
        c.table = a;
        c.nameEnd = code.get(i);
        c.name = a;
      }
      // ENGINE = Name at parenthesis depth 0.
      int depth = 0;
      for (int k = 0; k < code.size(); k++) {
        Token t = tokens.get(code.get(k));
        if (t.isSymbol('(')) {
          depth++;
        } else if (t.isSymbol(')')) {
          depth--;
        } else if (depth == 0 && t.isWord("ENGINE") && k + 2 < code.size()
            && tokens.get(code.get(k + 1)).isSymbol('=') && tokens.get(code.get(k + 2)).kind() == Kind.WORD) {
          c.engineIndex = code.get(k + 2);
          c.engine = tokens.get(c.engineIndex).text();
          break;
        }
      }
      return c;
    }
  }
}
