package dev.tokenledger.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.simulator.ExportTokens;
import dev.tokenledger.simulator.UsageExport;
import dev.tokenledger.usage.UsageField;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The token vocabulary has one definition, the agent's {@link UsageField}; this test holds
 * everything else to it (docs/adding-a-token-field.md):
 * <ul>
 *   <li>every table and view of the migrated schema that has token columns has exactly the
 *       vocabulary, in its order, with one integer type (input_characters shares it, audio_seconds
 *       is Float64) — except the two shaped like OpenAI's usage export, which have exactly the fields
 *       OpenAI's export has (those of openai_usage_import, all of them ours), and usage_cost_hourly,
 *       which has the totals only, as since 010;
 *   <li>a usage record carrying every field reaches the ledger, the rollup, the priced views and the
 *       export view with each field under its own name, and a record with every field malformed
 *       counts each of them in malformed_fields; the parity view compares exactly the export's fields;
 *   <li>what Java code derives from the schema equals it: the measures of the rollup rebuild and the
 *       token columns of the usage import;
 *   <li>the simulator, our model of OpenAI, speaks the vocabulary and models the same export.
 * </ul>
 */
class TokenVocabularyTest {

  /** The vocabulary, in its order. */
  static final List<String> VOCABULARY = Arrays.stream(UsageField.values()).map(UsageField::exportName).toList();

  /** Relations shaped like OpenAI's completions usage export. */
  static final Set<String> OPENAI_SHAPED = Set.of("openai_usage_import", "openai_usage_imported", "usage_daily_openai");

  /** Relations with a declared part of the vocabulary. */
  static final Map<String, List<String>> PARTIAL = Map.of("usage_cost_hourly", List.of("input_tokens", "output_tokens"));

  @RegisterExtension
  static final MigratedDatabase ch = new MigratedDatabase("tl_vocab");

  @Test
  void everyFieldIsNamedLikeATokenColumn() {
    for (String f : VOCABULARY) {
      assertTrue(TableColumns.isToken(f), f + " does not match " + TableColumns.TOKEN_NAME
          + ": code that finds token columns by name would miss it");
    }
    assertEquals(VOCABULARY.size(), new LinkedHashSet<>(VOCABULARY).size(), "a field is defined twice");
  }

  @Test
  void everyTableAndViewCarriesExactlyTheVocabulary() throws Exception {
    Map<String, Map<String, String>> relations = new TreeMap<>();
    try (Connection c = ch.connect()) {
      for (List<String> row : ClickHouseTarget.rows(c, "SELECT table, name, type FROM system.columns WHERE database = "
          + SqlText.quoteString(ch.db()) + " ORDER BY table, position")) {
        relations.computeIfAbsent(row.get(0), t -> new LinkedHashMap<>()).put(row.get(1), row.get(2));
      }
    }
    List<String> export = tokens(relations.get("openai_usage_import"));
    assertFalse(export.isEmpty());
    assertTrue(VOCABULARY.containsAll(export), "OpenAI's export fields " + export + " must be fields of the vocabulary");

    List<String> problems = new ArrayList<>();
    Set<String> ledgerShaped = new LinkedHashSet<>();
    for (Map.Entry<String, Map<String, String>> r : relations.entrySet()) {
      String name = r.getKey();
      Map<String, String> columns = r.getValue();
      List<String> tokens = tokens(columns);
      if (tokens.isEmpty()) {
        continue;
      }
      Set<String> types = new LinkedHashSet<>();
      tokens.forEach(t -> types.add(columns.get(t)));
      if (types.size() != 1 || !types.iterator().next().matches("U?Int64")) {
        problems.add(name + ": token columns of types " + types + ", expected one of UInt64 or Int64");
      }
      if (OPENAI_SHAPED.contains(name)) {
        if (!Set.copyOf(tokens).equals(Set.copyOf(export)) || tokens.size() != export.size()) {
          problems.add(name + ": has " + tokens + ", OpenAI's export has " + export);
        }
      } else if (PARTIAL.containsKey(name)) {
        if (!tokens.equals(PARTIAL.get(name))) {
          problems.add(name + ": has " + tokens + ", expected " + PARTIAL.get(name));
        }
      } else {
        ledgerShaped.add(name);
        if (!tokens.equals(VOCABULARY)) {
          List<String> missing = new ArrayList<>(VOCABULARY);
          missing.removeAll(tokens);
          List<String> extra = new ArrayList<>(tokens);
          extra.removeAll(VOCABULARY);
          problems.add(name + ": lacks " + missing + ", has besides " + extra
              + (missing.isEmpty() && extra.isEmpty() ? " (order differs: " + tokens + ")" : ""));
        }
        if (!types.contains(columns.get("input_characters"))) {
          problems.add(name + ": input_characters is " + columns.get("input_characters") + ", the token columns "
              + types);
        }
        if (!"Float64".equals(columns.get("audio_seconds"))) {
          problems.add(name + ": audio_seconds is " + columns.get("audio_seconds") + ", expected Float64");
        }
      }
    }
    assertEquals(List.of(), problems);
    // The tables and views that carry the whole vocabulary: the ledger, the rollup, their views.
    assertEquals(Set.of("usage_events", "usage_records", "usage_records_mv", "usage_hourly", "usage_hourly_mv",
        "usage_hourly_correction", "usage_priced", "usage_hourly_priced", "usage_events_priced"), ledgerShaped);
    assertEquals("UInt64", relations.get("usage_events").get("input_tokens"), "the ledger counts");
    assertEquals("Int64", relations.get("usage_hourly").get("input_tokens"), "the rollup is signed (013)");
    assertEquals("UInt64", relations.get("openai_usage_import").get("input_tokens"));
  }

  @Test
  void everyFieldFlowsFromTheLogRecordToEveryViewUnderItsOwnName() throws Exception {
    // One record with a distinct count per field, one with every field malformed.
    Map<String, String> good = usageAttributes();
    Map<String, Long> expected = new LinkedHashMap<>();
    for (int i = 0; i < VOCABULARY.size(); i++) {
      expected.put(VOCABULARY.get(i), 1001L + i);
      good.put("tokenledger.usage." + VOCABULARY.get(i), String.valueOf(1001L + i));
    }
    good.put("tokenledger.usage.audio_seconds", "12.5");
    good.put("tokenledger.usage.input_characters", "77");
    good.put("openai.project", "proj_v");
    Map<String, String> bad = usageAttributes();
    for (String f : VOCABULARY) {
      bad.put("tokenledger.usage." + f, "1x");
    }
    bad.put("tokenledger.usage.audio_seconds", "x");
    bad.put("tokenledger.usage.input_characters", "-");
    bad.put("openai.project", "proj_bad");
    try (Connection c = ch.connect()) {
      ClickHouseTarget.exec(c, "INSERT INTO " + ch.q() + ".otel_logs (" + UsageFixture.LOG_COLUMNS + ") VALUES "
          + UsageFixture.otherLogRow(Instant.parse("2026-11-24T10:15:00Z"), "tokenledger.usage", good) + ", "
          + UsageFixture.otherLogRow(Instant.parse("2026-11-24T10:16:00Z"), "tokenledger.usage", bad));
      // The same fields as OpenAI would report them, for the parity view.
      List<String> export = TableColumns.tokens(c, ch.db(), "openai_usage_import");
      StringBuilder imp = new StringBuilder("INSERT INTO " + ch.q() + ".openai_usage_import (start_time, end_time,"
          + " project_id, model, num_model_requests, " + String.join(", ", export) + ") VALUES ('2026-11-24 00:00:00',"
          + " '2026-11-25 00:00:00', 'proj_v', 'gpt-4o', 1");
      export.forEach(f -> imp.append(", ").append(expected.get(f)));
      ClickHouseTarget.exec(c, imp.append(')').toString());

      String where = " WHERE project_id = 'proj_v'";
      String[][] sources = {{"usage_events", where}, {"usage_hourly", where}, {"usage_events_priced", where},
          {"usage_hourly_priced", where}, {"usage_priced", where + " AND grain = 'event'"},
          {"usage_priced", where + " AND grain = 'hour'"}, {"usage_daily_openai", where}};
      for (String[] s : sources) {
        List<String> fields = TableColumns.tokens(c, ch.db(), s[0]);
        StringBuilder sql = new StringBuilder("SELECT ");
        fields.forEach(f -> sql.append("toString(sum(").append(f).append(")), "));
        sql.append("1 FROM ").append(ch.q()).append('.').append(s[0]).append(s[1]);
        List<String> row = ClickHouseTarget.rows(c, sql.toString()).get(0);
        Map<String, Long> actual = new LinkedHashMap<>();
        for (int i = 0; i < fields.size(); i++) {
          actual.put(fields.get(i), Long.parseLong(row.get(i)));
        }
        Map<String, Long> want = new LinkedHashMap<>(expected);
        want.keySet().retainAll(fields);
        assertEquals(want, actual, s[0] + s[1]);
      }
      for (String relation : List.of("usage_events", "usage_hourly", "usage_events_priced", "usage_hourly_priced")) {
        assertEquals("12.5\t77", String.join("\t", ClickHouseTarget.rows(c, "SELECT toString(sum(audio_seconds)),"
            + " toString(sum(input_characters)) FROM " + ch.q() + "." + relation + where).get(0)), relation);
      }
      assertEquals(String.valueOf(VOCABULARY.size() + 2), ClickHouseTarget.scalar(c, "SELECT malformed_fields FROM "
          + ch.q() + ".usage_events WHERE project_id = 'proj_bad'"), "every field malformed is counted once");

      List<String> compared = new ArrayList<>();
      ClickHouseTarget.rows(c, "SELECT field, state FROM " + ch.q() + ".usage_parity_daily WHERE project_id = 'proj_v'"
          + " ORDER BY field").forEach(r -> compared.add(r.get(0) + "=" + r.get(1)));
      List<String> wanted = new ArrayList<>();
      List<String> fields = new ArrayList<>(export);
      fields.add("num_model_requests");
      fields.stream().sorted().forEach(f -> wanted.add(f + "=match"));
      assertEquals(wanted, compared, "the parity view compares the export's fields, each with its counterpart");
    }
  }

  @Test
  void whatJavaDerivesFromTheSchemaIsTheVocabulary() throws Exception {
    try (Connection c = ch.connect()) {
      List<String> tokens = new ArrayList<>();
      List<String> others = new ArrayList<>();
      for (RollupRebuild.Measure m : RollupRebuild.measures(c, ch.db())) {
        (TableColumns.isToken(m.name()) ? tokens : others).add(m.name() + (m.floating() ? " (float)" : ""));
      }
      assertEquals(VOCABULARY, tokens, "the rollup rebuild's token measures");
      assertEquals(List.of("audio_seconds (float)", "input_characters", "malformed_fields"), others);

      // The usage import reads and stores the token columns of openai_usage_import: OpenAI's export
      // fields, every one of them a field of the vocabulary, the same as the simulator's export has.
      List<String> imported = TableColumns.tokens(c, ch.db(), "openai_usage_import");
      assertFalse(imported.isEmpty());
      assertTrue(VOCABULARY.containsAll(imported), "the usage import's token columns " + imported);
      assertEquals(Set.copyOf(UsageExport.TOKEN_COLUMNS), Set.copyOf(imported),
          "the simulator's model of OpenAI's export and openai_usage_import");
    }
    assertTrue(VOCABULARY.containsAll(ExportTokens.FIELDS), "the simulator's fields " + ExportTokens.FIELDS);
  }

  private static List<String> tokens(Map<String, String> columns) {
    return columns.keySet().stream().filter(TableColumns::isToken).toList();
  }

  private static Map<String, String> usageAttributes() {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("gen_ai.provider.name", "openai");
    a.put("gen_ai.request.model", "gpt-4o");
    a.put("tokenledger.api", "chat.completions");
    a.put("tokenledger.status", "ok");
    a.put("tokenledger.usage.source", "reported");
    a.put("tokenledger.usage.split", "reported");
    return a;
  }
}
