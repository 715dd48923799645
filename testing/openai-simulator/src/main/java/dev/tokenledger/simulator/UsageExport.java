package dev.tokenledger.simulator;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The simulator's own OpenAI-style usage export: ground truth rolled up like OpenAI's completions
 * usage export (docs/token-vocabulary.md#the-usage-export), UTC day buckets grouped by project, model, batch and
 * service tier. It is what "the provider's bill" says about the simulated traffic, for comparison with
 * the ledger's {@code usage_daily_openai} view.
 */
public final class UsageExport {

  private UsageExport() {}

  /** The CSV columns of OpenAI's completions export, then {@code input_cache_write_tokens}. */
  public static final List<String> CSV_COLUMNS = List.of(
      "start_time", "end_time", "start_time_iso", "end_time_iso", "project_id",
      "num_model_requests", "user_id", "api_key_id", "model", "batch", "service_tier",
      "input_tokens", "output_tokens", "input_cached_tokens", "input_uncached_tokens",
      "input_text_tokens", "output_text_tokens", "input_cached_text_tokens", "input_audio_tokens",
      "input_cached_audio_tokens", "output_audio_tokens", "input_image_tokens",
      "input_cached_image_tokens", "output_image_tokens", "input_cache_write_tokens");

  /** The export's token columns: {@link #CSV_COLUMNS} from input_tokens on. */
  public static final List<String> TOKEN_COLUMNS = CSV_COLUMNS.subList(CSV_COLUMNS.indexOf("input_tokens"),
      CSV_COLUMNS.size());

  /**
   * APIs OpenAI reports under the completions usage endpoint. Realtime responses are there too (that
   * is why the export has audio columns); the input-audio transcriptions of a Realtime session are
   * billed at the transcription model's prices and are not.
   */
  public static final Set<String> COMPLETIONS_APIS =
      Set.of("chat.completions", "responses", "completions", "batch.output", "realtime");

  /**
   * The default selection: completions-family APIs, answered with a body (any usage source but
   * {@code none}, so requests whose usage went missing still count as requests).
   */
  public static final Predicate<GroundTruth> COMPLETIONS =
      g -> COMPLETIONS_APIS.contains(g.api()) && !g.usageSource().equals("none");

  /**
   * One export row. {@code userId} and {@code apiKeyId} are always null: the simulator does not know
   * OpenAI's ids for them.
   */
  public record Row(
      Instant startTime,
      Instant endTime,
      String projectId,
      long numModelRequests,
      String model,
      boolean batch,
      String serviceTier,
      Map<String, Long> tokens) {}

  /** Daily rows for the records {@code include} selects, ordered by day, project, model, batch, tier. */
  public static List<Row> daily(List<GroundTruth> truth, Predicate<GroundTruth> include) {
    record Key(Instant day, String project, String model, boolean batch, String tier) {}
    Comparator<Key> order = Comparator.comparing(Key::day)
        .thenComparing(Key::project, Comparator.nullsFirst(Comparator.naturalOrder()))
        .thenComparing(Key::model, Comparator.nullsFirst(Comparator.naturalOrder()))
        .thenComparing(Key::batch)
        .thenComparing(Key::tier, Comparator.nullsFirst(Comparator.naturalOrder()));
    Map<Key, long[]> sums = new TreeMap<>(order);
    Map<Key, Long> requests = new TreeMap<>(order);
    for (GroundTruth g : truth) {
      if (!include.test(g)) {
        continue;
      }
      Instant day = g.time().atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS).toInstant();
      Key k = new Key(day, g.project(), g.model(), g.batch(), g.serviceTier());
      long[] s = sums.computeIfAbsent(k, x -> new long[ExportTokens.FIELDS.size()]);
      for (int i = 0; i < s.length; i++) {
        s[i] += g.token(ExportTokens.FIELDS.get(i));
      }
      requests.merge(k, 1L, Long::sum);
    }
    List<Row> rows = new ArrayList<>();
    sums.forEach((k, s) -> {
      Map<String, Long> t = new LinkedHashMap<>();
      for (int i = 0; i < s.length; i++) {
        t.put(ExportTokens.FIELDS.get(i), s[i]);
      }
      rows.add(new Row(k.day(), k.day().plus(1, ChronoUnit.DAYS), k.project(), requests.get(k),
          k.model(), k.batch(), k.tier(), t));
    });
    return rows;
  }

  /** {@link #daily} with the {@link #COMPLETIONS} selection. */
  public static List<Row> completionsDaily(List<GroundTruth> truth) {
    return daily(truth, COMPLETIONS);
  }

  /** The rows as CSV with {@link #CSV_COLUMNS} (nulls as empty cells), header first. */
  public static String toCsv(List<Row> rows) {
    StringBuilder sb = new StringBuilder(String.join(",", CSV_COLUMNS)).append('\n');
    for (Row r : rows) {
      List<String> cells = new ArrayList<>();
      cells.add(String.valueOf(r.startTime().getEpochSecond()));
      cells.add(String.valueOf(r.endTime().getEpochSecond()));
      cells.add(r.startTime().toString());
      cells.add(r.endTime().toString());
      cells.add(csv(r.projectId()));
      cells.add(String.valueOf(r.numModelRequests()));
      cells.add("");
      cells.add("");
      cells.add(csv(r.model()));
      cells.add(String.valueOf(r.batch()));
      cells.add(csv(r.serviceTier()));
      for (String c : CSV_COLUMNS.subList(11, CSV_COLUMNS.size())) {
        cells.add(String.valueOf(Objects.requireNonNull(r.tokens().get(c), c)));
      }
      sb.append(String.join(",", cells)).append('\n');
    }
    return sb.toString();
  }

  private static String csv(String v) {
    if (v == null) {
      return "";
    }
    if (v.contains(",") || v.contains("\"") || v.contains("\n")) {
      return '"' + v.replace("\"", "\"\"") + '"';
    }
    return v;
  }
}
