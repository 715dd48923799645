package dev.tokenledger.clickhouse;

import java.sql.Connection;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A database of the tests' own on the {@link ClickHouseTarget}, with every migration applied (as
 * {@link ClickHouseTarget#options} has it: the users file left out), dropped afterwards.
 *
 * <p>Register it with {@code @RegisterExtension}. On a static field one database serves the whole
 * class: it is made before the class's {@code @BeforeAll} methods run (so they can seed it) and
 * dropped after its {@code @AfterAll} methods. On an instance field every test gets a fresh one,
 * made before the {@code @BeforeEach} methods and dropped after the {@code @AfterEach} methods.
 */
final class MigratedDatabase implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
    AfterEachCallback {

  private final String prefix;
  private boolean perClass;
  private ClickHouseTarget target;
  private String db;

  /** A database named {@code prefix} and a unique suffix. */
  MigratedDatabase(String prefix) {
    this.prefix = prefix;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    perClass = true;
    create();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    drop();
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    if (!perClass) {
      create();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (!perClass) {
      drop();
    }
  }

  private void create() throws Exception {
    target = ClickHouseTarget.get();
    db = ClickHouseTarget.uniqueDatabase(prefix);
    try (Connection c = target.connect()) {
      new Migrations(Migrations.loadDefault(), target.options(db)).apply(c);
    }
  }

  private void drop() {
    if (target != null && db != null) {
      target.dropDatabase(db);
    }
    db = null;
  }

  /** The ClickHouse the database is on. */
  ClickHouseTarget target() {
    return target;
  }

  /** The database's name. */
  String db() {
    return db;
  }

  /** The database's name as an identifier in SQL text, quoted where it needs to be. */
  String q() {
    return SqlText.quoteIdentifier(db);
  }

  /** A new connection to the target (the database is named in each statement, not selected). */
  Connection connect() throws MigrationException {
    return target.connect();
  }
}
