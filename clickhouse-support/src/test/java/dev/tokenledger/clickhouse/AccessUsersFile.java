package dev.tokenledger.clickhouse;

import dev.tokenledger.clickhouse.SqlText.Token;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The access-control statements of the migrations (012, 019: roles, users, settings profiles, a
 * quota, row policies, GRANT and REVOKE) as a ClickHouse users file, so that the embedded engine —
 * which reads access entities only from such a file — enforces them. Every privilege is passed on
 * as the migration's own GRANT/REVOKE text (ClickHouse's users file takes GRANT and REVOKE queries
 * without grantees), in the migration's order; profiles, quotas and row policies are carried over
 * element by element. A statement of a shape not handled here fails the translation: a new kind
 * of access statement needs a line here, not a silent gap.
 *
 * <p>libchdb connects every session as the user {@code default}; {@link #xml(String)} makes
 * {@code default} a copy of one migration user (its roles, grants, profile, quota and row policies)
 * so that the engine, restarted with that file, runs everything as that user. One difference is
 * forced by libchdb: it keeps ClickHouse's pre-24.1 access-control defaults, under which a
 * {@code CHANGEABLE_IN_READONLY} constraint cannot be loaded, so it is left out (the bounds stay) and
 * such a setting is not changeable in readonly mode on the engine.
 */
final class AccessUsersFile {

  private final Map<String, List<String>> roleGrants = new LinkedHashMap<>();
  private final Map<String, User> users = new LinkedHashMap<>();
  private final Map<String, List<String>> profiles = new LinkedHashMap<>();
  private final Map<String, String> quotas = new LinkedHashMap<>();
  private final List<Policy> policies = new ArrayList<>();
  private final List<String> otherStatements = new ArrayList<>();
  private final java.util.IdentityHashMap<Token, Integer> offsets = new java.util.IdentityHashMap<>();

  private static final class User {
    final List<String> grants = new ArrayList<>();
    String profile;
    String quota;
    String defaultDatabase;
    boolean hostNone;
  }

  private record Policy(List<String[]> tables, String filter, List<String> grantees) {}

  /** Translates the statements in order. */
  AccessUsersFile(List<String> statements) {
    for (String s : statements) {
      add(s);
    }
  }

  /** The statements that are not about access entities (e.g. a view's SQL SECURITY): run them as SQL. */
  List<String> otherStatements() {
    return otherStatements;
  }

  /** The users file with {@code default} standing for {@code identity} (null: a superuser). */
  String xml(String identity) {
    if (identity != null && !users.containsKey(identity)) {
      throw new IllegalArgumentException("no user " + identity + " in the migrations");
    }
    StringBuilder x = new StringBuilder("<clickhouse>\n  <profiles>\n    <default/>\n");
    profiles.forEach((name, elements) -> {
      x.append("    <").append(name).append(">\n");
      StringBuilder constraints = new StringBuilder();
      for (String e : elements) {
        profileElement(e, x, constraints);
      }
      if (constraints.length() > 0) {
        x.append("      <constraints>\n").append(constraints).append("      </constraints>\n");
      }
      x.append("    </").append(name).append(">\n");
    });
    x.append("  </profiles>\n  <roles>\n");
    roleGrants.forEach((name, grants) -> {
      x.append("    <").append(name).append(">\n");
      grants(x, grants, "      ");
      x.append("    </").append(name).append(">\n");
    });
    x.append("  </roles>\n  <users>\n");
    if (identity == null) {
      x.append("    <default>\n      <password></password>\n      <networks><ip>::/0</ip></networks>\n")
          .append("      <profile>default</profile>\n      <quota>default</quota>\n")
          .append("      <grants><query>GRANT ALL ON *.* WITH GRANT OPTION</query></grants>\n");
      // Under the engine's pre-24.1 defaults a user without a policy on a table that has one sees
      // none of its rows: the superuser gets one that shows all.
      Set<String> tables = new LinkedHashSet<>();
      for (Policy p : policies) {
        for (String[] t : p.tables) {
          tables.add(t[0] + "\u0000" + t[1]);
        }
      }
      if (!tables.isEmpty()) {
        x.append("      <databases>\n");
        for (String key : tables) {
          String[] t = key.split("\u0000");
          x.append("        <").append(t[0]).append("><").append(t[1]).append("><filter>1</filter></").append(t[1])
              .append("></").append(t[0]).append(">\n");
        }
        x.append("      </databases>\n");
      }
      x.append("    </default>\n");
    } else {
      user(x, "default", identity, users.get(identity), true);
    }
    users.forEach((name, u) -> user(x, name, name, u, false));
    x.append("  </users>\n  <quotas>\n    <default/>\n");
    quotas.forEach((name, body) -> x.append("    <").append(name).append(">").append(body).append("</").append(name)
        .append(">\n"));
    x.append("  </quotas>\n</clickhouse>\n");
    return x.toString();
  }

  private void user(StringBuilder x, String element, String name, User u, boolean login) {
    x.append("    <").append(element).append(">\n      <password></password>\n");
    // Only `default` is ever connected as; the others exist as definers and grantees.
    x.append(login && !u.hostNone ? "      <networks><ip>::/0</ip></networks>\n" : "      <networks></networks>\n");
    x.append("      <profile>").append(u.profile == null ? "default" : u.profile).append("</profile>\n");
    x.append("      <quota>").append(u.quota == null ? "default" : u.quota).append("</quota>\n");
    if (u.defaultDatabase != null) {
      x.append("      <default_database>").append(u.defaultDatabase).append("</default_database>\n");
    }
    grants(x, u.grants, "      ");
    Map<String, List<String>> filters = new LinkedHashMap<>();
    Set<String> holders = holders(name);
    for (Policy p : policies) {
      if (p.grantees.stream().anyMatch(holders::contains)) {
        for (String[] t : p.tables) {
          filters.computeIfAbsent(t[0] + "\u0000" + t[1], k -> new ArrayList<>()).add("(" + p.filter + ")");
        }
      }
    }
    if (!filters.isEmpty()) {
      x.append("      <databases>\n");
      filters.forEach((key, f) -> {
        String[] t = key.split("\u0000");
        x.append("        <").append(t[0]).append("><").append(t[1]).append("><filter>")
            .append(escape(String.join(" OR ", f))).append("</filter></").append(t[1]).append("></").append(t[0])
            .append(">\n");
      });
      x.append("      </databases>\n");
    }
    x.append("    </").append(element).append(">\n");
  }

  // The user and every role it holds, directly or through other roles.
  private Set<String> holders(String user) {
    Set<String> out = new LinkedHashSet<>(List.of(user));
    List<String> pending = new ArrayList<>(rolesGrantedIn(users.get(user).grants));
    while (!pending.isEmpty()) {
      String r = pending.remove(pending.size() - 1);
      if (out.add(r) && roleGrants.containsKey(r)) {
        pending.addAll(rolesGrantedIn(roleGrants.get(r)));
      }
    }
    return out;
  }

  private List<String> rolesGrantedIn(List<String> grants) {
    List<String> out = new ArrayList<>();
    for (String g : grants) {
      List<Token> code = SqlText.code(SqlText.tokenize(g));
      if (code.get(0).isWord("GRANT") && !hasTopLevelWord(code, "ON")) {
        for (Token t : code) {
          if (t.identifier() != null && roleGrants.containsKey(t.identifier())) {
            out.add(t.identifier());
          }
        }
      }
    }
    return out;
  }

  private static void grants(StringBuilder x, List<String> grants, String indent) {
    if (grants.isEmpty()) {
      return;
    }
    x.append(indent).append("<grants>\n");
    for (String g : grants) {
      x.append(indent).append("  <query>").append(escape(g)).append("</query>\n");
    }
    x.append(indent).append("</grants>\n");
  }

  // name = value [MIN a] [MAX b] [CONST|READONLY|WRITABLE|CHANGEABLE_IN_READONLY]
  private static void profileElement(String element, StringBuilder x, StringBuilder constraints) {
    List<Token> code = SqlText.code(SqlText.tokenize(element));
    String name = code.get(0).text();
    if (code.size() < 3 || !code.get(1).isSymbol('=')) {
      throw new IllegalArgumentException("settings profile element not handled: " + element);
    }
    x.append("      <").append(name).append(">").append(escape(literal(code.get(2)))).append("</").append(name)
        .append(">\n");
    StringBuilder c = new StringBuilder();
    for (int i = 3; i < code.size(); i++) {
      String w = code.get(i).text().toUpperCase(Locale.ROOT);
      switch (w) {
        case "MIN", "MAX" -> c.append("<").append(w.toLowerCase(Locale.ROOT)).append(">")
            .append(escape(literal(code.get(++i)))).append("</").append(w.toLowerCase(Locale.ROOT)).append(">");
        case "CONST", "READONLY" -> c.append("<const/>");
        case "WRITABLE" -> { }
        case "CHANGEABLE_IN_READONLY" -> { } // not loadable on libchdb (see the class comment)
        default -> throw new IllegalArgumentException("settings profile element not handled: " + element);
      }
    }
    if (c.length() > 0) {
      constraints.append("        <").append(name).append(">").append(c).append("</").append(name).append(">\n");
    }
  }

  private static String literal(Token t) {
    return t.kind() == SqlText.Kind.STRING ? t.text().substring(1, t.text().length() - 1) : t.text();
  }

  private void add(String statement) {
    List<Token> all = SqlText.tokenize(statement);
    offsets.clear();
    int offset = 0;
    for (Token t : all) {
      offsets.put(t, offset);
      offset += t.text().length();
    }
    List<Token> code = SqlText.code(all);
    String sql = statementText(statement);
    String head = words(code, 3);
    if (head.startsWith("CREATE ROLE")) {
      for (String r : names(code, code.get(2).isWord("IF") ? 5 : 2, Set.of())) {
        roleGrants.putIfAbsent(r, new ArrayList<>());
      }
    } else if (head.startsWith("CREATE USER")) {
      int i = code.get(2).isWord("IF") ? 5 : 2;
      User u = users.computeIfAbsent(code.get(i).identifier(), k -> new User());
      for (int k = i + 1; k < code.size(); k++) {
        if (code.get(k).isWord("HOST") && k + 1 < code.size() && code.get(k + 1).isWord("NONE")) {
          u.hostNone = true;
        } else if (code.get(k).isWord("DATABASE") && code.get(k - 1).isWord("DEFAULT")) {
          u.defaultDatabase = code.get(k + 1).identifier();
        } else if (code.get(k).isWord("PROFILE") && code.get(k - 1).isWord("SETTINGS")) {
          u.profile = literal(code.get(k + 1));
        }
      }
    } else if (head.startsWith("CREATE SETTINGS PROFILE") || head.startsWith("ALTER SETTINGS PROFILE")) {
      int i = code.get(3).isWord("IF") ? 6 : 3;
      String name = code.get(i).identifier();
      if (!code.get(i + 1).isWord("SETTINGS")) {
        throw new IllegalArgumentException("settings profile statement not handled: " + sql);
      }
      int from = offsetOf(statement, code.get(i + 1)) + code.get(i + 1).text().length();
      profiles.put(name, splitTopLevel(statement.substring(from)));
    } else if (head.startsWith("CREATE QUOTA")) {
      quota(code, sql);
    } else if (head.startsWith("CREATE ROW POLICY")) {
      policy(statement, code);
    } else if (code.get(0).isWord("GRANT") || code.get(0).isWord("REVOKE")) {
      grantOrRevoke(statement, code);
    } else if (head.startsWith("CREATE") && (code.get(1).isWord("ROLE") || code.get(1).isWord("USER")
        || code.get(1).isWord("QUOTA") || code.get(1).isWord("ROW") || code.get(1).isWord("POLICY")
        || code.get(1).isWord("PROFILE") || code.get(1).isWord("SETTINGS"))
        || head.startsWith("ALTER USER") || head.startsWith("ALTER ROLE") || head.startsWith("ALTER QUOTA")
        || head.startsWith("ALTER ROW") || head.startsWith("DROP USER") || head.startsWith("DROP ROLE")) {
      throw new IllegalArgumentException("access statement not handled by the users-file translation: " + sql);
    } else {
      otherStatements.add(statement);
    }
  }

  private void grantOrRevoke(String statement, List<Token> code) {
    boolean grant = code.get(0).isWord("GRANT");
    String split = grant ? "TO" : "FROM";
    int at = -1;
    int depth = 0;
    for (int i = 0; i < code.size(); i++) {
      if (code.get(i).isSymbol('(')) {
        depth++;
      } else if (code.get(i).isSymbol(')')) {
        depth--;
      } else if (depth == 0 && code.get(i).isWord(split)) {
        at = i;
      }
    }
    if (at < 0) {
      throw new IllegalArgumentException("GRANT/REVOKE without grantees: " + statementText(statement));
    }
    String what = statement.substring(offsetOf(statement, code.get(0)), offsetOf(statement, code.get(at))).strip();
    int withAt = -1;
    for (int i = at + 1; i < code.size(); i++) {
      if (code.get(i).isWord("WITH")) {
        withAt = i;
        break;
      }
    }
    String option = withAt < 0 ? "" : " " + statement.substring(offsetOf(statement, code.get(withAt))).strip();
    for (String grantee : names(code, at + 1, Set.of("WITH"))) {
      List<String> target = roleGrants.containsKey(grantee) ? roleGrants.get(grantee)
          : users.containsKey(grantee) ? users.get(grantee).grants : null;
      if (target == null) {
        throw new IllegalArgumentException("grantee " + grantee + " is neither a role nor a user of the migrations");
      }
      target.add(what + option);
    }
  }

  private void policy(String statement, List<Token> code) {
    int i = code.get(3).isWord("IF") ? 6 : 3;
    i++; // the policy's name
    if (!code.get(i).isWord("ON")) {
      throw new IllegalArgumentException("row policy not handled: " + statementText(statement));
    }
    List<String[]> tables = new ArrayList<>();
    i++;
    while (true) {
      tables.add(new String[] {code.get(i).identifier(), code.get(i + 2).identifier()});
      i += 3;
      if (!code.get(i).isSymbol(',')) {
        break;
      }
      i++;
    }
    int using = -1;
    int to = -1;
    for (int k = i; k < code.size(); k++) {
      if (code.get(k).isWord("USING") && using < 0) {
        using = k;
      } else if (code.get(k).isWord("TO")) {
        to = k;
      }
    }
    if (using < 0 || to < 0 || !words(code.subList(i, using), 2).equals("FOR SELECT")) {
      throw new IllegalArgumentException("row policy not handled: " + statementText(statement));
    }
    String filter = statement.substring(offsetOf(statement, code.get(using)) + 5, offsetOf(statement, code.get(to)))
        .strip();
    policies.add(new Policy(tables, filter, names(code, to + 1, Set.of())));
  }

  // CREATE QUOTA [IF NOT EXISTS] q FOR INTERVAL n unit MAX a = x, b = y TO user
  private void quota(List<Token> code, String sql) {
    int i = code.get(2).isWord("IF") ? 5 : 2;
    String name = code.get(i).identifier();
    if (!words(code.subList(i + 1, code.size()), 2).equals("FOR INTERVAL") || !code.get(i + 5).isWord("MAX")) {
      throw new IllegalArgumentException("quota not handled: " + sql);
    }
    long n = Long.parseLong(code.get(i + 3).text());
    String unit = code.get(i + 4).text().toLowerCase(Locale.ROOT);
    long seconds = n * switch (unit) {
      case "second", "seconds" -> 1;
      case "minute", "minutes" -> 60;
      case "hour", "hours" -> 3600;
      case "day", "days" -> 86400;
      default -> throw new IllegalArgumentException("quota interval not handled: " + sql);
    };
    StringBuilder body = new StringBuilder("<interval><duration>").append(seconds).append("</duration>");
    int k = i + 6;
    while (k + 2 < code.size() && code.get(k + 1).isSymbol('=')) {
      body.append("<").append(code.get(k).text()).append(">").append(code.get(k + 2).text()).append("</")
          .append(code.get(k).text()).append(">");
      k += 3;
      if (k < code.size() && code.get(k).isSymbol(',')) {
        k++;
      }
    }
    body.append("</interval>");
    quotas.put(name, body.toString());
    if (k < code.size() && code.get(k).isWord("TO")) {
      for (String u : names(code, k + 1, Set.of())) {
        users.get(u).quota = name;
      }
    }
  }

  private static List<String> names(List<Token> code, int from, Set<String> stopWords) {
    List<String> out = new ArrayList<>();
    for (int i = from; i < code.size(); i++) {
      Token t = code.get(i);
      if (t.kind() == SqlText.Kind.WORD && stopWords.contains(t.text().toUpperCase(Locale.ROOT))) {
        break;
      }
      if (t.identifier() != null) {
        out.add(t.identifier());
      }
    }
    return out;
  }

  private static boolean hasTopLevelWord(List<Token> code, String word) {
    int depth = 0;
    for (Token t : code) {
      if (t.isSymbol('(')) {
        depth++;
      } else if (t.isSymbol(')')) {
        depth--;
      } else if (depth == 0 && t.isWord(word)) {
        return true;
      }
    }
    return false;
  }

  private static List<String> splitTopLevel(String text) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    int depth = 0;
    for (Token t : SqlText.tokenize(text)) {
      if (t.isSymbol('(')) {
        depth++;
      } else if (t.isSymbol(')')) {
        depth--;
      }
      if (depth == 0 && t.isSymbol(',')) {
        out.add(current.toString().strip());
        current.setLength(0);
      } else if (t.kind() != SqlText.Kind.COMMENT) {
        current.append(t.text());
      }
    }
    if (!current.toString().isBlank()) {
      out.add(current.toString().strip());
    }
    return out;
  }

  private static String words(List<Token> code, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(n, code.size()); i++) {
      sb.append(i == 0 ? "" : " ").append(code.get(i).text().toUpperCase(Locale.ROOT));
    }
    return sb.toString();
  }

  // Character offset of a token of the statement being added.
  private int offsetOf(String statement, Token token) {
    Integer offset = offsets.get(token);
    if (offset == null) {
      throw new IllegalStateException("not a token of " + statement);
    }
    return offset;
  }

  private static String statementText(String statement) {
    return SqlText.join(SqlText.code(SqlText.tokenize(statement)));
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
