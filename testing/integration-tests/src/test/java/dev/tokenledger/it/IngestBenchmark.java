package dev.tokenledger.it;

import dev.tokenledger.clickhouse.ClickHouseHttpFront;
import dev.tokenledger.clickhouse.EmbeddedClickHouse;
import dev.tokenledger.clickhouse.Migrations;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * A printed benchmark, not a test: the ingest ceiling of the pipeline — usage records per second
 * that the real Collector, with its production configuration (collector-production.yaml: TLS and a
 * bearer token on the receivers, the persistent sending queue with fsync, batching in the exporter),
 * writes into ClickHouse with none lost. ClickHouse is the embedded engine behind its HTTP front,
 * in this JVM.
 *
 * <p>The load comes from telemetrygen, the contrib project's OTLP load generator (installed by
 * {@code telemetrygen.sh}), over OTLP/HTTP like the agent. Each generator process sends log records
 * shaped like the agent's {@code tokenledger.usage} events (the same attributes, about 40; counts as
 * integers) with its own model, project, API key fingerprint and service, so the ledger sees
 * several series. telemetrygen cannot set a log record's EventName nor a per-record attribute, so:
 * the records have an empty EventName and carry {@code tokenledger.usage.source}, which is what the
 * ledger's view accepts as a usage record in that case (migration 005); and they carry no
 * {@code tokenledger.record.id} (one value per generator would make every record of it one
 * record), so the ledger identifies each by the hash of migration 016 (time to the nanosecond,
 * service, …). One worker per generator keeps the times of one service distinct.
 *
 * <p>Steps at increasing rates; each runs its generators for a fixed time, then waits until the
 * ledger ({@code usage_events}) holds every record sent. A step is sustained when the generators
 * reached ≥ 95 % of the asked rate with no export failing, the ledger holds exactly the records
 * sent, and it had them within {@value #DRAIN_LIMIT_SECONDS} s of the generators' end (no backlog
 * left in the Collector's queue). The rate steps stop at the first one not sustained; then one step
 * runs the generators flat out (no rate limit: the Collector takes records into its persistent queue
 * as fast as it can, and the time the ledger needs after the end shows whether the exporter and
 * the engine kept up). For
 * every step it prints the CPU each process used over the steady part of the step (the Collector,
 * this JVM split into the engine's and HTTP front's threads and the JVM's own (GC, JIT), the
 * generators, and everything else on the machine: other work on a shared machine shows there), the
 * Collector's own metrics (queue size, failed sends, refused records), the CPU per record of each
 * over the whole step (until the ledger is complete), and the busiest threads of this JVM. Then a
 * profile round, flat out, with the same Collector linked with its symbol table
 * ({@code profiling-collector.sh}): {@code perf} on the Collector (top functions and the share of
 * each stage: receiver, persistent queue, exporter, garbage collector) and on this JVM, and a JFR
 * recording of this JVM. The summary gives the highest sustained rate, the CPU per record of each
 * process and what they make on a server where the generators run elsewhere.
 *
 * <pre>IngestBenchmark [rates=2500,5000,10000,20000,30000] [seconds=20] [per-generator=5000]
 *     [flat-out-generators=4] [batch=512] [profile=true]</pre>
 */
public final class IngestBenchmark {

  static final double TARGET = 20_000;
  static final int DRAIN_LIMIT_SECONDS = 15;
  private static final Pattern LOGS_GENERATED = Pattern.compile("logs generated.*\"logs\":\\s*(\\d+)");
  private static final long TICKS_PER_SECOND = 100; // USER_HZ on Linux
  private static final String[] MODELS = {"gpt-4o-mini", "gpt-4.1", "o4-mini", "gpt-4o-2024-08-06", "gpt-4.1-nano",
      "gpt-5-mini"};
  private static final String[] APIS = {"chat.completions", "responses"};

  private IngestBenchmark() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>();
    for (String a : args) {
      int eq = a.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("arguments are name=value: rates, seconds, per-generator, batch, profile");
      }
      opts.put(a.substring(0, eq), a.substring(eq + 1));
    }
    List<Integer> rates = Stream.of(opts.getOrDefault("rates", "2500,5000,10000,20000,30000").split(","))
        .map(String::trim).map(Integer::parseInt).toList();
    int seconds = Integer.parseInt(opts.getOrDefault("seconds", "20"));
    int perGenerator = Integer.parseInt(opts.getOrDefault("per-generator", "5000"));
    int batch = Integer.parseInt(opts.getOrDefault("batch", "512"));
    boolean profile = Boolean.parseBoolean(opts.getOrDefault("profile", "true"));
    int flatOut = Integer.parseInt(opts.getOrDefault("flat-out-generators", "4"));

    Path out = Paths.get(System.getProperty("tokenledger.it.dir", "target/it")).toAbsolutePath().getParent()
        .resolve("ingest-benchmark");
    Files.createDirectories(out);
    EmbeddedClickHouse engine = EmbeddedClickHouse.shared();
    String db = "tl_ingest_bench";
    try (ClickHouseHttpFront front = ClickHouseHttpFront.start(engine)) {
      try (Connection c = Migrations.connect(front.url(), front.user(), front.password())) {
        new Migrations(Migrations.loadDefault(), new Migrations.Options().database(db).skipAccessControl(true).log(null))
            .apply(c);
      }
      Path binary = Collector.build(out.resolve("collector-build.log"));
      Path telemetrygen = installTelemetrygen(out.resolve("telemetrygen-install.log"));
      Path queue = Files.createTempDirectory("tokenledger-ingest-queue-");
      Step lastSustained = null;
      Step flatOutStep = null;
      Integer firstFailedRate = null;
      try (Collector collector = Collector.startProduction(binary, front.url(), front.user(), front.password(), db,
          queue, out.resolve("collector.log"), TimeUnit.SECONDS.toMillis(30))) {
        Bench bench = new Bench(front, db, collector, telemetrygen, out, seconds, perGenerator, batch, flatOut);
        System.out.printf(Locale.ROOT, "INGEST-BENCH %d cores; Collector pid %d (collector-production.yaml), engine and"
            + " HTTP front in this JVM (pid %d); telemetrygen %s, OTLP/HTTP over TLS, batches of %d, one worker per"
            + " generator, at most %d records/s each; %d s per step%n", Runtime.getRuntime().availableProcessors(),
            collector.pid(), ProcessHandle.current().pid(), telemetrygen, batch, perGenerator, seconds);
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < rates.size(); i++) {
          Step s = bench.run("s" + i, rates.get(i), false);
          steps.add(s);
          s.print();
          if (!s.sustained()) {
            firstFailedRate = rates.get(i);
            break;
          }
          lastSustained = s;
        }
        if (flatOut > 0) {
          // As fast as the generators can send: the receiver and the persistent queue set the pace.
          Step s = bench.run("max", 0, false);
          s.print();
          flatOutStep = s;
        }
      }
      if (profile) {
        // The same Collector linked with its symbol table (the shipped binary is stripped), with the
        // same configuration and a fresh queue, so that perf can name its functions.
        Path symbols = profilingCollector(out.resolve("profiling-collector-build.log"));
        int rate = flatOut > 0 ? 0 : firstFailedRate != null ? firstFailedRate : rates.get(rates.size() - 1);
        try (Collector collector = Collector.startProduction(symbols, front.url(), front.user(), front.password(), db,
            Files.createTempDirectory("tokenledger-ingest-queue-"), out.resolve("collector-profiled.log"),
            TimeUnit.SECONDS.toMillis(30))) {
          System.out.printf(Locale.ROOT, "INGEST-BENCH profile round, %s (the Collector linked with its"
              + " symbols: %s):%n", rate <= 0 ? "as fast as the generators can" : rate + " records/s", symbols);
          Bench bench = new Bench(front, db, collector, telemetrygen, out, seconds, perGenerator, batch, flatOut);
          bench.run("p", rate, true).print();
        }
      }
      summary(lastSustained, flatOutStep, firstFailedRate);
    } finally {
      engine.close();
    }
  }

  private static void summary(Step lastSustained, Step flatOut, Integer firstFailedRate) {
    System.out.println("INGEST-BENCH ---- summary");
    Step best = lastSustained;
    if (flatOut != null && flatOut.sustained() && (best == null || flatOut.ledgerRate() > best.ledgerRate())) {
      best = flatOut;
    }
    double rate = best == null ? 0 : best.ledgerRate();
    if (best == null) {
      System.out.println("INGEST-BENCH sustained: no step (see the reasons above)");
    } else {
      System.out.printf(Locale.ROOT, "INGEST-BENCH sustained: %.0f usage records/s (step %s, asked %s, %d records sent,"
          + " %d in the ledger, none lost)%s%n", rate, best.tag, best.asked(), best.sent, best.ledgerRows,
          firstFailedRate != null ? "; a rate step not sustained: " + firstFailedRate + "/s" : "");
    }
    if (flatOut != null) {
      System.out.printf(Locale.ROOT, "INGEST-BENCH flat out: the Collector took %.0f records/s from the generators; the"
          + " ledger had all %d of them %.1f s after the generators ended (%.0f records/s end to end)%n",
          flatOut.achievedSendRate(), flatOut.ledgerRows, flatOut.drainSeconds, flatOut.ledgerRate());
    }
    // CPU per record from the sustained step, else from the flat-out step (the most records).
    Step ref = best != null ? best : flatOut;
    if (ref != null) {
      double collector = ref.micros("collector");
      double engine = ref.micros("engine") + ref.micros("jvm");
      double generators = ref.micros("generators");
      System.out.printf(Locale.ROOT, "INGEST-BENCH CPU per record (step %s): Collector %.1f µs, engine JVM %.1f µs (engine"
          + " and front threads %.1f, the JVM's own %.1f), generators %.1f µs; others on the machine took %.2f of 2"
          + " cores%n", ref.tag, collector, engine, ref.micros("engine"), ref.micros("jvm"), generators,
          ref.cores("others"));
      System.out.printf(Locale.ROOT, "INGEST-BENCH baseline: the generators alone cost %.1f µs per record; everything on"
          + " these 2 cores makes at most %.0f records/s; without the generators (they run on the applications'"
          + " machines) %.0f records/s%n", generators, 2e6 / (collector + engine + generators),
          2e6 / (collector + engine));
      System.out.printf(Locale.ROOT, "INGEST-BENCH estimate for a server: the Collector makes %.0f records/s per core"
          + " (%.0f on 2 cores of its own, %.1f cores for %.0f/s); the embedded engine %.0f records/s per core%n",
          1e6 / collector, 2e6 / collector, TARGET * collector / 1e6, TARGET, 1e6 / engine);
    }
    // The figure: the highest sustained step; without one, the flat-out step end to end when it lost nothing.
    double figure = rate;
    String what = "sustained";
    if (best == null && flatOut != null && flatOut.ledgerRows == flatOut.sent && flatOut.generatorsOk) {
      figure = flatOut.ledgerRate();
      what = "flat out, end to end, none lost";
    }
    System.out.printf(Locale.ROOT, "INGEST-BENCH figure: %.0f usage records/s (%s); target >= %.0f sustained on this"
        + " machine: %s (ratio %.2f)%n", figure, what, TARGET, rate >= TARGET ? "met" : "not met", figure / TARGET);
  }

  private static Path profilingCollector(Path log) throws IOException, InterruptedException {
    return runScript(Collector.REPO.resolve("testing/integration-tests/profiling-collector.sh"), log);
  }

  private static Path installTelemetrygen(Path log) throws IOException, InterruptedException {
    String given = System.getProperty("tokenledger.it.telemetrygen");
    if (given != null && !given.isBlank()) {
      return Paths.get(given);
    }
    return runScript(Collector.REPO.resolve("testing/integration-tests/telemetrygen.sh"), log);
  }

  /** Runs a script that prints a path on its last line of stdout; its stderr goes to {@code log}. */
  private static Path runScript(Path script, Path log) throws IOException, InterruptedException {
    Path stdout = Files.createTempFile("telemetrygen-install", ".out");
    try {
      Process p = new ProcessBuilder("bash", script.toString()).redirectOutput(stdout.toFile())
          .redirectError(log.toFile()).start();
      if (!p.waitFor(15, TimeUnit.MINUTES) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException(script.getFileName() + " failed; its log (" + log + "):\n"
            + Files.readString(log, StandardCharsets.UTF_8));
      }
      String[] lines = Files.readString(stdout, StandardCharsets.UTF_8).strip().split("\n");
      return Paths.get(lines[lines.length - 1].strip());
    } finally {
      Files.deleteIfExists(stdout);
    }
  }

  /** One step's results. CPU figures are cores (CPU seconds per second) over the steady window. */
  record Step(String tag, int target, int generators, long sent, double sendSeconds, boolean generatorsOk,
      long ledgerRows, long otelLogsRows, double drainSeconds, Map<String, Double> cpu, Map<String, Double> perRecord,
      double queueBytesMax,
      double queueBytesLast, double sendFailed, double refused, double enqueueFailed, String problems) {

    double achievedSendRate() {
      return sent / sendSeconds;
    }

    /** Records per second into the ledger: the rows over the time from the first send to the last row seen. */
    double ledgerRate() {
      return ledgerRows / (sendSeconds + drainSeconds);
    }

    double cores(String who) {
      return cpu.getOrDefault(who, 0.0);
    }

    /** CPU µs per record of one process group over the whole step. */
    double micros(String who) {
      return perRecord.getOrDefault(who, 0.0);
    }

    String asked() {
      return target <= 0 ? "as fast as the generators can" : target + " records/s";
    }

    boolean sustained() {
      return generatorsOk && (target <= 0 || achievedSendRate() >= 0.95 * target) && ledgerRows == sent
          && drainSeconds <= DRAIN_LIMIT_SECONDS && sendFailed == 0 && refused == 0 && enqueueFailed == 0;
    }

    void print() {
      System.out.printf(Locale.ROOT, "INGEST-BENCH step %s: asked %s from %d generators; sent %d in %.1f s"
          + " (%.0f/s); ledger rows %d (otel_logs %d), missing %d; last row %.1f s after the generators ended; %s%n",
          tag, asked(), generators, sent, sendSeconds, achievedSendRate(), ledgerRows, otelLogsRows, sent - ledgerRows,
          drainSeconds, sustained() ? "SUSTAINED" : "NOT SUSTAINED" + (problems.isEmpty() ? "" : " (" + problems + ")"));
      System.out.printf(Locale.ROOT, "INGEST-BENCH   CPU in the steady window (cores of 2): Collector %.2f, engine and"
          + " front threads %.2f, the JVM's own threads %.2f, generators %.2f, others on the machine %.2f, idle %.2f%n",
          cores("collector"), cores("engine"), cores("jvm"), cores("generators"), cores("others"), cores("idle"));
      System.out.printf(Locale.ROOT, "INGEST-BENCH   CPU per record over the whole step: Collector %.1f µs, engine and"
          + " front %.1f µs, the JVM's own %.1f µs, generators %.1f µs; Collector queue max %.0f KiB, at the end %.0f KiB; send failed %.0f, refused %.0f,"
          + " enqueue failed %.0f%n", micros("collector"), micros("engine"), micros("jvm"), micros("generators"),
          queueBytesMax / 1024, queueBytesLast / 1024, sendFailed, refused, enqueueFailed);
      System.out.printf(Locale.ROOT, "INGEST-BENCH   busiest threads of this JVM (cores): %s%n", cpu.entrySet().stream()
          .filter(e -> e.getKey().startsWith("thread:"))
          .map(e -> String.format(Locale.ROOT, "%s %.2f", e.getKey().substring(7), e.getValue()))
          .collect(java.util.stream.Collectors.joining(", ")));
    }
  }

  private static final class Bench {
    private final ClickHouseHttpFront front;
    private final String db;
    private Collector collector;
    private final Path telemetrygen;
    private final Path out;
    private final int seconds;
    private final int perGenerator;
    private final int batch;
    private final int flatOutGenerators;

    Bench(ClickHouseHttpFront front, String db, Collector collector, Path telemetrygen, Path out, int seconds,
        int perGenerator, int batch, int flatOutGenerators) {
      this.flatOutGenerators = flatOutGenerators;
      this.front = front;
      this.db = db;
      this.collector = collector;
      this.telemetrygen = telemetrygen;
      this.out = out;
      this.seconds = seconds;
      this.perGenerator = perGenerator;
      this.batch = batch;
    }

    Step run(String tag, int rate, boolean profile) throws Exception {
      int generators = rate <= 0 ? flatOutGenerators : Math.max(2, (rate + perGenerator - 1) / perGenerator);
      double each = rate <= 0 ? 0 : (double) rate / generators;
      double failed0 = metric("otelcol_exporter_send_failed_log_records");
      double refused0 = metric("otelcol_receiver_refused_log_records");
      double enqueue0 = metric("otelcol_exporter_enqueue_failed_log_records");
      List<Process> procs = new ArrayList<>();
      List<Path> logs = new ArrayList<>();
      CpuSnapshot whole = CpuSnapshot.take(collector.pid(), List.of());
      long start = System.nanoTime();
      for (int g = 0; g < generators; g++) {
        Path log = out.resolve("telemetrygen-" + tag + "-" + g + ".log");
        logs.add(log);
        procs.add(new ProcessBuilder(generatorCommand(tag, g, each)).redirectErrorStream(true)
            .redirectOutput(log.toFile()).start());
      }
      // The steady window: after the start (connections, the JIT) and before the generators stop.
      long windowStart = start + TimeUnit.SECONDS.toNanos(Math.min(4, seconds / 4));
      long windowEnd = start + TimeUnit.SECONDS.toNanos(seconds) - TimeUnit.MILLISECONDS.toNanos(1500);
      sleepUntil(windowStart);
      List<Long> generatorPids = procs.stream().map(Process::pid).toList();
      CpuSnapshot a = CpuSnapshot.take(collector.pid(), generatorPids);
      Profiles profiles = profile ? Profiles.start(collector.pid(), (windowEnd - System.nanoTime()) / 1e9, out) : null;
      double queueMax = 0;
      double queueLast = 0;
      while (System.nanoTime() < windowEnd - TimeUnit.MILLISECONDS.toNanos(1000)) {
        Thread.sleep(1000);
        queueLast = Math.max(0, metric("otelcol_exporter_queue_size"));
        queueMax = Math.max(queueMax, queueLast);
      }
      sleepUntil(windowEnd);
      CpuSnapshot b = CpuSnapshot.take(collector.pid(), generatorPids);
      Map<String, Double> cpu = b.minus(a);
      long sent = 0;
      boolean ok = true;
      StringBuilder problems = new StringBuilder();
      for (int g = 0; g < generators; g++) {
        Process p = procs.get(g);
        if (!p.waitFor(seconds + 120L, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
        String text = Files.readString(logs.get(g), StandardCharsets.UTF_8);
        Matcher m = LOGS_GENERATED.matcher(text);
        boolean counted = false;
        while (m.find()) {
          sent += Long.parseLong(m.group(1));
          counted = true;
        }
        if (p.exitValue() != 0 || !counted) {
          ok = false;
          problems.append("generator ").append(g).append(" exit ").append(p.exitValue())
              .append(" (an export failed: the Collector pushed back); ");
        }
      }
      long generatorsEnd = System.nanoTime();
      double sendSeconds = (generatorsEnd - start) / 1e9;
      if (profiles != null) {
        profiles.finish();
      }
      // Until the ledger holds every record sent, or nothing new arrived for 30 s.
      long rows = -1;
      long lastChange = System.nanoTime();
      long lastRowSeen = generatorsEnd;
      while (rows < sent && System.nanoTime() - lastChange < TimeUnit.SECONDS.toNanos(30)) {
        long n = count("usage_events", tag);
        if (n != rows) {
          rows = n;
          lastChange = System.nanoTime();
          lastRowSeen = lastChange;
        }
        if (rows < sent) {
          Thread.sleep(250);
        }
      }
      double drain = Math.max(0, (lastRowSeen - generatorsEnd) / 1e9);
      long otelLogs = count("otel_logs", tag);
      collector.saveSelfMetrics(out.resolve("collector-metrics-" + tag + ".txt"));
      Map<String, Double> perRecord = CpuSnapshot.take(collector.pid(), List.of()).microsPerRecord(whole, rows);
      Step s = new Step(tag, rate, generators, sent, sendSeconds, ok, rows, otelLogs, drain, cpu, perRecord, queueMax,
          queueLast,
          metric("otelcol_exporter_send_failed_log_records") - failed0,
          metric("otelcol_receiver_refused_log_records") - refused0,
          metric("otelcol_exporter_enqueue_failed_log_records") - enqueue0, problems.toString());
      if (ok && rate > 0 && s.achievedSendRate() < 0.95 * rate) {
        problems.append("the generators reached only ").append(Math.round(s.achievedSendRate())).append("/s; ");
      }
      if (rows != sent) {
        problems.append(sent - rows).append(" records not in the ledger; ");
      }
      if (s.refused() > 0 || s.sendFailed() > 0 || s.enqueueFailed() > 0) {
        problems.append(String.format(Locale.ROOT, "the Collector refused %.0f records (the generators sent them again),"
            + " failed to send %.0f, to enqueue %.0f; ", s.refused(), s.sendFailed(), s.enqueueFailed()));
      }
      if (drain > DRAIN_LIMIT_SECONDS) {
        problems.append("backlog: the ledger caught up ").append(Math.round(drain)).append(" s after the end; ");
      }
      return new Step(s.tag(), s.target(), s.generators(), s.sent(), s.sendSeconds(), s.generatorsOk(), s.ledgerRows(),
          s.otelLogsRows(), s.drainSeconds(), s.cpu(), s.perRecord(), s.queueBytesMax(), s.queueBytesLast(), s.sendFailed(),
          s.refused(), s.enqueueFailed(), problems.toString().replaceAll("; $", ""));
    }

    /** One generator: its own service, model, project, key and usage, shaped like the agent's ledger event. */
    private List<String> generatorCommand(String tag, int g, double rate) {
      String model = MODELS[g % MODELS.length];
      String api = APIS[g % APIS.length];
      long input = 800 + 137L * g;
      long cached = 256L * (g % 3);
      long output = 120 + 31L * g;
      long reasoning = model.startsWith("o") || model.startsWith("gpt-5") ? 64 : 0;
      Map<String, Object> attrs = new LinkedHashMap<>();
      attrs.put("gen_ai.provider.name", "openai");
      attrs.put("gen_ai.operation.name", api.equals("responses") ? "responses" : "chat");
      attrs.put("tokenledger.api", api);
      attrs.put("tokenledger.batch", "false");
      attrs.put("tokenledger.status", "completed");
      attrs.put("gen_ai.request.model", model.replaceAll("-20\\d\\d-\\d\\d-\\d\\d$", ""));
      attrs.put("gen_ai.response.model", model);
      attrs.put("gen_ai.response.id", (api.equals("responses") ? "resp_" : "chatcmpl-") + "bench" + tag + g);
      attrs.put("gen_ai.request.stream", g % 2 == 0);
      attrs.put("openai.response.service_tier", "default");
      attrs.put("openai.response.system_fingerprint", "fp_bench" + g);
      attrs.put("openai.request.id", "req_bench" + tag + g);
      attrs.put("openai.project", "proj_bench" + (g % 4));
      attrs.put("openai.organization", "org-bench");
      attrs.put("tokenledger.api_key.fingerprint", String.format(Locale.ROOT, "%016x", 0x5eed0000L + g));
      attrs.put("tokenledger.use_case", g % 3 == 0 ? "support-bot" : "search");
      attrs.put("server.address", "api.openai.com");
      attrs.put("server.port", 443);
      attrs.put("http.response.status_code", 200);
      attrs.put("tokenledger.usage.source", "reported");
      attrs.put("tokenledger.usage.split", "reported");
      attrs.put("tokenledger.usage.input_tokens", input);
      attrs.put("tokenledger.usage.output_tokens", output);
      attrs.put("tokenledger.usage.input_cached_tokens", cached);
      attrs.put("tokenledger.usage.input_cache_write_tokens", 0);
      attrs.put("tokenledger.usage.input_uncached_tokens", input - cached);
      attrs.put("tokenledger.usage.input_text_tokens", input - cached);
      attrs.put("tokenledger.usage.input_audio_tokens", 0);
      attrs.put("tokenledger.usage.input_image_tokens", 0);
      attrs.put("tokenledger.usage.input_cached_text_tokens", cached);
      attrs.put("tokenledger.usage.input_cached_audio_tokens", 0);
      attrs.put("tokenledger.usage.input_cached_image_tokens", 0);
      attrs.put("tokenledger.usage.output_text_tokens", output);
      attrs.put("tokenledger.usage.output_audio_tokens", 0);
      attrs.put("tokenledger.usage.output_image_tokens", 0);
      attrs.put("tokenledger.usage.output_reasoning_tokens", reasoning);
      attrs.put("tokenledger.usage.raw", String.format(Locale.ROOT, "{\"prompt_tokens\":%d,\"completion_tokens\":%d,"
          + "\"total_tokens\":%d,\"prompt_tokens_details\":{\"cached_tokens\":%d,\"audio_tokens\":0},"
          + "\"completion_tokens_details\":{\"reasoning_tokens\":%d,\"audio_tokens\":0}}", input, output,
          input + output, cached, reasoning));
      List<String> cmd = new ArrayList<>(List.of(telemetrygen.toString(), "logs",
          "--otlp-http", "--otlp-endpoint", "127.0.0.1:" + collector.otlpHttpPort,
          "--ca-cert", collector.tls.certificate().toString(),
          "--otlp-header", "Authorization=\"Bearer " + collector.token + "\"",
          "--service", "ingest-bench-" + tag + "-" + g,
          "--otlp-attributes", "telemetry.sdk.language=\"java\"",
          "--workers", "1", "--rate", String.format(Locale.ROOT, "%.1f", rate), // 0: no limit
          "--duration", seconds + "s", "--batch", "--batch-size", String.valueOf(batch),
          "--body", "", "--severity-text", "INFO", "--severity-number", "9"));
      for (Map.Entry<String, Object> e : attrs.entrySet()) {
        Object v = e.getValue();
        cmd.add("--telemetry-attributes");
        cmd.add(e.getKey() + "=" + (v instanceof String ? "\"" + v + "\"" : String.valueOf(v)));
      }
      return cmd;
    }

    /** A counter or gauge of the Collector's own metrics; 0 before the series exists. */
    private double metric(String prefix) {
      return Math.max(0, collector.selfMetric(prefix));
    }

    private long count(String table, String tag) throws Exception {
      try (Connection c = Migrations.connect(front.url(), front.user(), front.password());
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT count() FROM " + db + "." + table + " WHERE ServiceName LIKE"
              + " 'ingest-bench-" + tag + "-%'")) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** CPU ticks of the processes in the pipeline, this JVM's threads, and the machine's. */
  private record CpuSnapshot(long nanos, long collector, long jvmTotal, long children, Map<String, Long> threads,
      Map<String, String> threadNames, long generators, long machineBusy, long machineTotal) {

    static CpuSnapshot take(long collectorPid, List<Long> generatorPids) {
      long generators = 0;
      for (long pid : generatorPids) {
        generators += ticks(Paths.get("/proc/" + pid + "/stat"));
      }
      Map<String, Long> threads = new HashMap<>();
      Map<String, String> kinds = new HashMap<>();
      try (Stream<Path> tasks = Files.list(Paths.get("/proc/self/task"))) {
        for (Path task : tasks.toList()) {
          try {
            String comm = Files.readString(task.resolve("comm"), StandardCharsets.UTF_8).strip();
            String tid = task.getFileName().toString();
            threads.put(tid, ticks(task.resolve("stat")));
            kinds.put(tid, comm);
          } catch (IOException threadEnded) {
            // A thread that ended between the listing and the read.
          }
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      long busy = 0;
      long total = 0;
      try {
        String[] f = Files.readAllLines(Paths.get("/proc/stat")).get(0).trim().split("\\s+");
        for (int i = 1; i < f.length && i <= 8; i++) {
          long v = Long.parseLong(f[i]);
          total += v;
          if (i != 4 && i != 5) { // idle, iowait
            busy += v;
          }
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return new CpuSnapshot(System.nanoTime(), ticks(Paths.get("/proc/" + collectorPid + "/stat")),
          ticks(Paths.get("/proc/self/stat")), childTicks(), threads, kinds, generators, busy, total);
    }

    Map<String, Double> minus(CpuSnapshot a) {
      double seconds = (nanos - a.nanos) / 1e9;
      Map<String, Double> cores = new LinkedHashMap<>();
      cores.put("collector", cores(collector - a.collector, seconds));
      // Per thread alive at the end; the time of threads that ended within the window is in the
      // process's total only, and counted with the engine's threads (the JVM's and the front's live on).
      Map<String, Long> byKind = new HashMap<>();
      Map<String, Long> byName = new HashMap<>();
      long perThread = 0;
      for (Map.Entry<String, Long> t : threads.entrySet()) {
        long d = t.getValue() - a.threads.getOrDefault(t.getKey(), 0L);
        byKind.merge(kind(threadNames.get(t.getKey())), d, Long::sum);
        byName.merge(threadNames.get(t.getKey()), d, Long::sum);
        perThread += d;
      }
      long ended = Math.max(0, (jvmTotal - a.jvmTotal) - perThread);
      byKind.merge("engine", ended, Long::sum);
      for (String k : List.of("engine", "jvm")) {
        cores.put(k, cores(byKind.getOrDefault(k, 0L), seconds));
      }
      cores.put("generators", cores(generators - a.generators, seconds));
      double ours = cores(collector - a.collector, seconds) + cores(jvmTotal - a.jvmTotal, seconds)
          + cores(generators - a.generators, seconds);
      double busy = cores(machineBusy - a.machineBusy, seconds);
      cores.put("others", Math.max(0, busy - ours));
      cores.put("idle", Math.max(0, cores(machineTotal - a.machineTotal, seconds) - busy));
      byName.merge("(threads ended in the window)", ended, Long::sum);
      // The busiest threads of this JVM by name, for the record: "thread:<name>".
      byName.entrySet().stream().filter(e -> e.getValue() > 0)
          .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())).limit(8)
          .forEach(e -> cores.put("thread:" + e.getKey(), cores(e.getValue(), seconds)));
      return cores;
    }

    private static double cores(long ticks, double seconds) {
      return ticks / (double) TICKS_PER_SECOND / seconds;
    }

    /**
     * A thread of this JVM by its name: the JVM's own (GC, JIT compilers, …) or the engine's. The
     * HTTP front's threads count with the engine: they make the engine's calls, which run the
     * query on them, and the engine renames the threads it runs queries on, so their names do not
     * tell the two apart (the perf profile does: libchdb against the JVM's code).
     */
    static String kind(String comm) {
      if (comm.matches("(GC Thread|G1 |C1 Comp|C2 Comp|VM |Sweeper|Signal Disp|Finalizer|Reference Han|Common-Clean"
          + "|Notification|Attach List|Service Thr|JFR |Monitor Defl|process reaper|CompilerThre).*")) {
        return "jvm";
      }
      return "engine";
    }

    /** CPU of this JVM's child processes that have ended and been waited for (the generators, perf). */
    static long childTicks() {
      try {
        String text = Files.readString(Paths.get("/proc/self/stat"), StandardCharsets.UTF_8);
        String[] f = text.substring(text.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[13]) + Long.parseLong(f[14]); // cutime, cstime
      } catch (IOException | RuntimeException e) {
        return 0;
      }
    }

    /**
     * CPU µs per record over a whole step, from before the generators start until the ledger holds
     * every record: each process's work on every record, whenever it did it.
     */
    Map<String, Double> microsPerRecord(CpuSnapshot a, long records) {
      Map<String, Double> m = new LinkedHashMap<>();
      double perTick = 1e6 / TICKS_PER_SECOND / Math.max(1, records);
      m.put("collector", (collector - a.collector) * perTick);
      Map<String, Long> byKind = new HashMap<>();
      long perThread = 0;
      for (Map.Entry<String, Long> t : threads.entrySet()) {
        long d = t.getValue() - a.threads.getOrDefault(t.getKey(), 0L);
        byKind.merge(kind(threadNames.get(t.getKey())), d, Long::sum);
        perThread += d;
      }
      byKind.merge("engine", Math.max(0, (jvmTotal - a.jvmTotal) - perThread), Long::sum);
      for (String k : List.of("engine", "jvm")) {
        m.put(k, byKind.getOrDefault(k, 0L) * perTick);
      }
      m.put("generators", (children - a.children) * perTick);
      return m;
    }

    static long ticks(Path stat) {
      try {
        String text = Files.readString(stat, StandardCharsets.UTF_8);
        String[] f = text.substring(text.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
      } catch (IOException | RuntimeException gone) {
        return 0;
      }
    }
  }

  /** perf on the Collector and on this JVM, and a JFR recording of this JVM, over one window. */
  private static final class Profiles {
    private final List<Process> perf = new ArrayList<>();
    private final List<Path> perfData = new ArrayList<>();
    private final Recording jfr;
    private final Path jfrFile;
    private final Path out;

    private Profiles(Path out) {
      this.out = out;
      this.jfr = new Recording();
      jfr.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10));
      jfr.enable("jdk.NativeMethodSample").withPeriod(Duration.ofMillis(20));
      this.jfrFile = out.resolve("ingest-benchmark.jfr");
    }

    static Profiles start(long collectorPid, double seconds, Path out) {
      Profiles p = new Profiles(out);
      p.jfr.start();
      long self = ProcessHandle.current().pid();
      for (Map.Entry<String, Long> e : Map.of("collector", collectorPid, "jvm", self).entrySet()) {
        Path data = out.resolve("perf-" + e.getKey() + ".data");
        try {
          p.perf.add(new ProcessBuilder("perf", "record", "-F", "199", "-g", "-p", String.valueOf(e.getValue()), "-o",
              data.toString(), "--", "sleep", String.format(Locale.ROOT, "%.0f", Math.max(1, seconds)))
              .redirectErrorStream(true).redirectOutput(out.resolve("perf-" + e.getKey() + ".log").toFile()).start());
          p.perfData.add(data);
        } catch (IOException noPerf) {
          System.out.println("INGEST-BENCH   (perf is not available: " + noPerf.getMessage() + ")");
        }
      }
      return p;
    }

    void finish() throws Exception {
      jfr.stop();
      jfr.dump(jfrFile);
      jfr.close();
      for (int i = 0; i < perf.size(); i++) {
        perf.get(i).waitFor(60, TimeUnit.SECONDS);
        Path data = perfData.get(i);
        if (!Files.exists(data)) {
          continue;
        }
        String who = data.getFileName().toString().replace("perf-", "").replace(".data", "");
        printPerf(who, data, "dso", "--no-children", 5);
        printPerf(who, data, "sym", "--no-children", 15);
        if (who.equals("collector")) {
          printCollectorStages(data);
        }
      }
      printJfr();
    }

    /**
     * The Collector's samples by stage: the share of samples with each stage's function on the
     * stack (stages nest: the exporter's part includes its reads from the queue).
     */
    private void printCollectorStages(Path data) throws Exception {
      Process p = new ProcessBuilder("perf", "report", "-i", data.toString(), "--stdio", "--children", "-g", "none",
          "--sort", "sym", "--percent-limit", "0").redirectInput(new java.io.File("/dev/null"))
          .redirectError(ProcessBuilder.Redirect.appendTo(out.resolve("perf-report.log").toFile())).start();
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(120, TimeUnit.SECONDS);
      Map<String, String> stages = new LinkedHashMap<>();
      stages.put("OTLP/HTTP receiver (TLS, decode, enqueue)", "otlpreceiver.handleLogs");
      stages.put("  persistent queue writes (bbolt, fsync)", "]).Offer");
      stages.put("exporter consumers (queue read, batch, insert)", "exporterhelper/internal/queuebatch.(*workerPool).execute");
      stages.put("  persistent queue reads (decode)", "]).Read");
      stages.put("  ClickHouse exporter (rows to Native columns, send)", "clickhouseexporter.(*logsExporter).pushLogsData");
      stages.put("  of which map columns (attributes)", "column.(*Map).AppendRow");
      stages.put("garbage collector (background marking)", "runtime.gcBgMarkWorker");
      stages.put("TLS handshake and records", "crypto/tls.(*Conn).");
      System.out.println("INGEST-BENCH   perf collector by stage (share of samples with it on the stack):");
      for (Map.Entry<String, String> st : stages.entrySet()) {
        double max = text.lines().filter(l -> l.contains(st.getValue())).map(String::strip)
            .mapToDouble(l -> Double.parseDouble(l.substring(0, l.indexOf('%')))).max().orElse(0);
        System.out.printf(Locale.ROOT, "INGEST-BENCH     %5.1f%%  %s%n", max, st.getKey());
      }
    }

    private void printPerf(String who, Path data, String sort, String children, int lines) throws Exception {
      Process p = new ProcessBuilder("perf", "report", "-i", data.toString(), "--stdio", children, "-g", "none",
          "--sort", sort, "--percent-limit", "0.5").redirectInput(new java.io.File("/dev/null"))
          .redirectError(ProcessBuilder.Redirect.appendTo(out.resolve("perf-report.log").toFile())).start();
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0 || text.isBlank()) {
        System.out.printf(Locale.ROOT, "INGEST-BENCH   perf report on %s gave nothing (see %s)%n", data,
            out.resolve("perf-report.log"));
        return;
      }
      List<String> top = text.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).limit(lines).toList();
      System.out.printf(Locale.ROOT, "INGEST-BENCH   perf %s by %s, %s (%s):%n", who, sort,
          children.equals("--children") ? "with callees" : "self", data);
      top.forEach(l -> System.out.println("INGEST-BENCH     " + l.strip()));
    }

    /**
     * Where this JVM's threads ran Java code (execution samples), and how many of the samples of
     * threads in native code were inside the engine (a JNA call), by kind of thread.
     */
    private void printJfr() throws IOException {
      Map<String, Integer> topFrames = new HashMap<>();
      Map<String, Integer> inEngine = new HashMap<>();
      int javaSamples = 0;
      for (RecordedEvent e : RecordingFile.readAllEvents(jfrFile)) {
        String type = e.getEventType().getName();
        if (e.getStackTrace() == null || e.getStackTrace().getFrames().isEmpty()) {
          continue;
        }
        String thread = e.getThread("sampledThread") != null ? e.getThread("sampledThread").getJavaName() : null;
        if (type.equals("jdk.ExecutionSample")) {
          javaSamples++;
          RecordedFrame f = e.getStackTrace().getFrames().get(0);
          topFrames.merge(f.getMethod().getType().getName() + "." + f.getMethod().getName(), 1, Integer::sum);
        } else if (type.equals("jdk.NativeMethodSample") && e.getStackTrace().getFrames().stream()
            .anyMatch(f -> f.getMethod().getType().getName().startsWith("com.sun.jna"))) {
          inEngine.merge(CpuSnapshot.kind(thread == null ? "?" : thread), 1, Integer::sum);
        }
      }
      System.out.printf(Locale.ROOT, "INGEST-BENCH   JFR of this JVM (%s): %d samples of Java code running;"
          + " samples of threads inside an engine call, by thread: %s; top frames of the Java code:%n", jfrFile,
          javaSamples, inEngine);
      final int n = Math.max(1, javaSamples);
      topFrames.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder()))
          .limit(10).forEach(e -> System.out.printf(Locale.ROOT, "INGEST-BENCH     %5.1f%%  %s%n",
              100.0 * e.getValue() / n, e.getKey()));
    }
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long left = nanoTime - System.nanoTime();
    if (left > 0) {
      TimeUnit.NANOSECONDS.sleep(left);
    }
  }
}
