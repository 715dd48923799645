package dev.tokenledger.clickhouse.queries;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The SQL query library ({@code clickhouse/queries/*.sql}): every question the dashboards and the
 * command line answer, one documented file each (format: {@link Query}). Dashboards and reports
 * read these files; they never hold copies of the SQL.
 *
 * <pre>
 * QueryLibrary lib = QueryLibrary.fromRepository();
 * Query summary = lib.get("summary");
 * String sql = summary.render(Map.of("from", "2026-11-17T00:00:00Z", "to", "2026-11-24T00:00:00Z"));
 * // run sql with any ClickHouse client; columns are summary.columns(), in that order
 * </pre>
 */
public final class QueryLibrary {

  /** Where the files live, relative to the repository root. */
  public static final Path REPOSITORY_DIR = Paths.get("clickhouse", "queries");
  /** Where a jar that packs the files keeps them. */
  public static final String RESOURCE_DIR = "tokenledger/clickhouse/queries";
  /** System property naming the directory explicitly. */
  public static final String DIR_PROPERTY = "tokenledger.queries.dir";

  private final Path dir;
  private final Map<String, Query> queries;

  private QueryLibrary(Path dir, Map<String, Query> queries) {
    this.dir = dir;
    this.queries = Collections.unmodifiableMap(queries);
  }

  /** Loads every {@code *.sql} file of {@code dir} (sorted by file name). */
  public static QueryLibrary load(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new QueryException("query directory " + dir.toAbsolutePath() + " does not exist: it is "
          + REPOSITORY_DIR + " in the TokenLedger repository");
    }
    Map<String, Query> out = new LinkedHashMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files.sorted()::iterator) {
        String file = p.getFileName().toString();
        if (!file.endsWith(".sql")) {
          continue;
        }
        Query q = Query.parse(file, Files.readString(p, StandardCharsets.UTF_8));
        Query before = out.put(q.name(), q);
        if (before != null) {
          throw new QueryException(dir + ": two files define query '" + q.name() + "': " + before.fileName() + " and "
              + file);
        }
      }
    } catch (IOException e) {
      throw new QueryException("cannot read " + dir + ": " + e.getMessage(), e);
    }
    if (out.isEmpty()) {
      throw new QueryException("no .sql files in " + dir.toAbsolutePath());
    }
    return new QueryLibrary(dir, out);
  }

  /**
   * The library of the repository: the directory in system property {@value #DIR_PROPERTY} if set,
   * else {@code clickhouse/queries} in the working directory or the nearest parent that has one,
   * else a copy packed on the classpath under {@value #RESOURCE_DIR}.
   */
  public static QueryLibrary fromRepository() {
    String prop = System.getProperty(DIR_PROPERTY);
    if (prop != null && !prop.isBlank()) {
      return load(Paths.get(prop));
    }
    for (Path d = Paths.get("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path candidate = d.resolve(REPOSITORY_DIR);
      if (Files.isDirectory(candidate)) {
        return load(candidate);
      }
    }
    URL url = QueryLibrary.class.getClassLoader().getResource(RESOURCE_DIR);
    if (url == null) {
      throw new QueryException("cannot find the query library: no " + REPOSITORY_DIR + " in "
          + Paths.get("").toAbsolutePath() + " or its parents; run from the TokenLedger repository or set -D"
          + DIR_PROPERTY + "=<path of clickhouse/queries>");
    }
    try {
      URI uri = url.toURI();
      if ("jar".equals(uri.getScheme())) {
        try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of())) {
          return load(fs.getPath(RESOURCE_DIR));
        }
      }
      return load(Paths.get(uri));
    } catch (URISyntaxException | IOException e) {
      throw new QueryException("cannot read the query library from " + url + ": " + e.getMessage(), e);
    }
  }

  /** The directory the files were read from. */
  public Path dir() {
    return dir;
  }

  /** The query of that name, or a QueryException listing the names that exist. */
  public Query get(String name) {
    Query q = queries.get(name);
    if (q == null) {
      throw new QueryException("no query named '" + name + "' in " + dir + "; known: " + queries.keySet());
    }
    return q;
  }

  /** Every query, in file-name order. */
  public List<Query> all() {
    return List.copyOf(new ArrayList<>(queries.values()));
  }
}
