package dev.tokenledger.it;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real TokenLedger Collector (collector-config/) as a child process: built by
 * {@code collector-config/build.sh}, started with {@code collector-local.yaml} and every listening port
 * moved to a free one, so it can run beside anything else on the machine (a benchmark, another
 * Collector). Its stdout and stderr go to one log file under {@code target/}.
 */
final class Collector implements AutoCloseable {

  /** The repository root: the integration-tests module is testing/integration-tests. */
  static final Path REPO = moduleDir().getParent().getParent();
  static final Path COLLECTOR_CONFIG = REPO.resolve("collector-config");

  private final Process process;
  private final Path log;
  private final List<String> command;
  private final Map<String, String> environment;
  /** The bearer token the OTLP receivers require, or null when they require none (local config). */
  final String token;
  /** The OTLP receivers' certificate, or null when they speak plain HTTP/gRPC (local config). */
  final TlsMaterial tls;
  final int otlpHttpPort;
  final int otlpGrpcPort;
  final int healthPort;
  final int metricsPort;

  private Collector(Process process, Path log, List<String> command, Map<String, String> environment, int[] ports,
      String token, TlsMaterial tls) {
    this.process = process;
    this.log = log;
    this.command = command;
    this.environment = environment;
    this.token = token;
    this.tls = tls;
    this.otlpHttpPort = ports[0];
    this.otlpGrpcPort = ports[1];
    this.healthPort = ports[2];
    this.metricsPort = ports[3];
  }

  /**
   * Builds the Collector (a cache hit after the first build) and returns the binary. A failed build —
   * no Go, no module proxy — is an error, never a reason to skip: CI installs Go itself, so a missing
   * Collector there means the pipeline is not tested.
   */
  static Path build(Path buildLog) throws IOException, InterruptedException {
    // A given binary instead of the build: to run a test against another Collector build (e.g. the
    // one before a fix) without touching the build cache.
    String given = System.getProperty("tokenledger.it.collector");
    if (given != null && !given.isBlank()) {
      return Paths.get(given);
    }
    Path script = COLLECTOR_CONFIG.resolve("build.sh");
    Path out = Files.createTempFile("collector-build", ".out");
    try {
      Process p = new ProcessBuilder("bash", script.toString())
          .redirectOutput(out.toFile())
          .redirectError(buildLog.toFile())
          .start();
      // A cold build downloads ~1.4 GB of modules; warm it is a cache hit in milliseconds.
      if (!p.waitFor(15, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IllegalStateException("collector-config/build.sh did not finish in 15 minutes; its log: " + buildLog);
      }
      String stdout = Files.readString(out, StandardCharsets.UTF_8).strip();
      if (p.exitValue() != 0 || stdout.isEmpty()) {
        throw new IllegalStateException("The Collector could not be built (collector-config/build.sh exit "
            + p.exitValue() + "). It needs Go 1.26+ on PATH and the Go module proxy; see collector-config/README.md."
            + " build.sh said:\n" + Files.readString(buildLog, StandardCharsets.UTF_8));
      }
      String[] lines = stdout.split("\n");
      Path binary = Paths.get(lines[lines.length - 1].strip());
      if (!Files.isExecutable(binary)) {
        throw new IllegalStateException("build.sh printed '" + binary + "', which is not an executable");
      }
      return binary;
    } finally {
      Files.deleteIfExists(out);
    }
  }

  /**
   * Starts the Collector with {@code collector-local.yaml} writing to {@code clickhouseEndpoint}, into
   * {@code database}, and waits until its health endpoint answers. The database is overridden with
   * {@code --set} (the config names {@code tokenledger}) so that a test against a real server works
   * in its own throw-away database.
   */
  static Collector start(Path binary, String clickhouseEndpoint, String user, String password, String database,
      Path log, long startTimeoutMillis) throws IOException, InterruptedException {
    int[] ports = freePorts(4);
    List<String> command = List.of(
        binary.toString(),
        "--config=" + COLLECTOR_CONFIG.resolve("collector-local.yaml"),
        "--set=exporters::clickhouse::database=" + database);
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TOKENLEDGER_CLICKHOUSE_ENDPOINT", clickhouseEndpoint);
    env.put("TOKENLEDGER_CLICKHOUSE_USER", user);
    env.put("TOKENLEDGER_CLICKHOUSE_PASSWORD", password);
    // The embedded engine's HTTP front does not speak ClickHouse's compressed framing.
    env.put("TOKENLEDGER_CLICKHOUSE_COMPRESS", "none");
    env.put("TOKENLEDGER_OTLP_HTTP_ENDPOINT", "127.0.0.1:" + ports[0]);
    env.put("TOKENLEDGER_OTLP_GRPC_ENDPOINT", "127.0.0.1:" + ports[1]);
    env.put("TOKENLEDGER_HEALTH_ENDPOINT", "127.0.0.1:" + ports[2]);
    env.put("TOKENLEDGER_COLLECTOR_METRICS_PORT", String.valueOf(ports[3]));
    Files.deleteIfExists(log); // a fresh log per start; a restart appends
    return launch(command, env, ports, log, startTimeoutMillis, null, null);
  }

  /**
   * Starts the Collector with {@code collector-production.yaml}: the persistent sending queue in
   * {@code queueDir} (file_storage), writing to {@code clickhouseEndpoint} into {@code database},
   * every listener on loopback and a free port, the OTLP receivers on TLS with a certificate made for
   * this run ({@link TlsMaterial}) and a random bearer token ({@link #token}). {@code sets} are extra
   * {@code --set} overrides (e.g. a shorter retry interval for a test).
   */
  static Collector startProduction(Path binary, String clickhouseEndpoint, String user, String password,
      String database, Path queueDir, Path log, long startTimeoutMillis, String... sets)
      throws IOException, InterruptedException {
    return startProduction(binary, clickhouseEndpoint, user, password, database, queueDir, log, startTimeoutMillis,
        Map.of(), List.of(), sets);
  }

  /**
   * As above, with extra environment variables (they win over the defaults here) and a command
   * prefix that runs the Collector (e.g. a wrapper that gives it a small file system).
   */
  static Collector startProduction(Path binary, String clickhouseEndpoint, String user, String password,
      String database, Path queueDir, Path log, long startTimeoutMillis, Map<String, String> extraEnv,
      List<String> commandPrefix, String... sets) throws IOException, InterruptedException {
    int[] ports = freePorts(4);
    // Another production configuration (with tokenledger.it.collector, e.g. an earlier build with the
    // configuration it shipped with, to show a test failing before a fix); it is taken as one
    // whose receivers have neither TLS nor a token.
    String givenConfig = System.getProperty("tokenledger.it.collector.config");
    boolean secured = givenConfig == null || givenConfig.isBlank();
    Path config = secured ? COLLECTOR_CONFIG.resolve("collector-production.yaml") : Paths.get(givenConfig);
    List<String> command = new ArrayList<>(commandPrefix);
    command.addAll(List.of(
        binary.toString(),
        "--config=" + config,
        "--set=exporters::clickhouse::database=" + database));
    for (String set : sets) {
      command.add("--set=" + set);
    }
    TlsMaterial tls = secured ? TlsMaterial.generate(Files.createTempDirectory("tokenledger-collector-tls-")) : null;
    String token = secured ? TlsMaterial.randomToken() : null;
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TOKENLEDGER_CLICKHOUSE_ENDPOINT", clickhouseEndpoint);
    env.put("TOKENLEDGER_CLICKHOUSE_USER", user);
    env.put("TOKENLEDGER_WRITER_PASSWORD", password);
    env.put("TOKENLEDGER_CLICKHOUSE_COMPRESS", "none");
    env.put("TOKENLEDGER_QUEUE_DIR", queueDir.toString());
    env.put("TOKENLEDGER_MEMORY_LIMIT_MIB", "512");
    env.put("TOKENLEDGER_MEMORY_SPIKE_MIB", "128");
    if (secured) {
      env.put("TOKENLEDGER_OTLP_TOKEN", token);
      env.put("TOKENLEDGER_OTLP_TLS_CERT_FILE", tls.certificate().toString());
      env.put("TOKENLEDGER_OTLP_TLS_KEY_FILE", tls.privateKey().toString());
    }
    env.put("TOKENLEDGER_OTLP_HTTP_ENDPOINT", "127.0.0.1:" + ports[0]);
    env.put("TOKENLEDGER_OTLP_GRPC_ENDPOINT", "127.0.0.1:" + ports[1]);
    env.put("TOKENLEDGER_HEALTH_ENDPOINT", "127.0.0.1:" + ports[2]);
    env.put("TOKENLEDGER_COLLECTOR_METRICS_HOST", "127.0.0.1");
    env.put("TOKENLEDGER_COLLECTOR_METRICS_PORT", String.valueOf(ports[3]));
    env.putAll(extraEnv);
    Files.deleteIfExists(log);
    return launch(command, env, ports, log, startTimeoutMillis, token, tls);
  }

  /**
   * What an agent sets to send to this Collector, as a user would: the token through
   * {@code OTEL_EXPORTER_OTLP_HEADERS}, the receivers' certificate through
   * {@code OTEL_EXPORTER_OTLP_CERTIFICATE}; empty for a Collector without either.
   */
  Map<String, String> agentEnvironment() {
    Map<String, String> env = new LinkedHashMap<>();
    if (token != null) {
      env.put("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer " + token);
    }
    if (tls != null) {
      env.put("OTEL_EXPORTER_OTLP_CERTIFICATE", tls.certificate().toString());
    }
    return env;
  }

  /**
   * Stops this Collector (SIGTERM) and starts the same command again — same configuration, ports and
   * queue directory — appending to the same log; returns the new one once it is healthy.
   */
  Collector restart(long startTimeoutMillis) throws IOException, InterruptedException {
    close();
    int[] ports = {otlpHttpPort, otlpGrpcPort, healthPort, metricsPort};
    return launch(command, environment, ports, log, startTimeoutMillis, token, tls);
  }

  private static Collector launch(List<String> command, Map<String, String> env, int[] ports, Path log,
      long startTimeoutMillis, String token, TlsMaterial tls) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(env);
    Process process = builder.start();
    Collector collector = new Collector(process, log, List.copyOf(command), Map.copyOf(env), ports, token, tls);
    try {
      collector.awaitHealthy(startTimeoutMillis);
    } catch (RuntimeException | IOException | InterruptedException e) {
      collector.close();
      throw e;
    }
    return collector;
  }

  /** The OTLP/HTTP base URL for {@code otel.exporter.otlp.endpoint}. */
  String otlpHttpEndpoint() {
    return (tls != null ? "https" : "http") + "://127.0.0.1:" + otlpHttpPort;
  }

  Path log() {
    return log;
  }

  String logText() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(could not read " + log + ": " + e + ")";
    }
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** The operating system's process id (for CPU accounting and profiling). */
  long pid() {
    return process.pid();
  }

  private void awaitHealthy(long timeoutMillis) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    String last = "no answer yet";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the Collector exited with " + process.exitValue() + " while starting; its log ("
            + log + "):\n" + logText());
      }
      try {
        int status = httpStatus("http://127.0.0.1:" + healthPort + "/");
        if (status == 200) {
          return;
        }
        last = "HTTP " + status;
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the Collector's health endpoint did not answer 200 within " + timeoutMillis
        + " ms (last: " + last + "); its log (" + log + "):\n" + logText());
  }

  /**
   * The Collector's own Prometheus metrics, summed over label sets for every series whose name
   * starts with {@code prefix} and whose line contains every one of {@code labelFilters}; -1 when
   * the metrics endpoint cannot be read or has no such series.
   */
  double selfMetric(String prefix, String... labelFilters) {
    String text;
    try {
      text = httpGet("http://127.0.0.1:" + metricsPort + "/metrics");
    } catch (IOException e) {
      return -1;
    }
    double sum = 0;
    boolean found = false;
    for (String line : text.split("\n")) {
      if (line.startsWith(prefix) && java.util.Arrays.stream(labelFilters).allMatch(line::contains)) {
        String[] parts = line.trim().split(" ");
        try {
          sum += Double.parseDouble(parts[parts.length - 1]);
          found = true;
        } catch (NumberFormatException ignored) {
          // Not a sample line.
        }
      }
    }
    return found ? sum : -1;
  }

  /** Writes the Collector's own Prometheus metrics, as read now, to {@code file} (nothing if unreadable). */
  void saveSelfMetrics(Path file) {
    try {
      Files.writeString(file, httpGet("http://127.0.0.1:" + metricsPort + "/metrics"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      // The figures printed say -1 then; the file is only for reading afterwards.
    }
  }

  /**
   * SIGKILL: the Collector dies at once, as in a crash or an OOM kill, with whatever it had sent but
   * not yet seen acknowledged still in its persistent queue.
   */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the Collector did not die within 10 s of SIGKILL");
    }
  }

  /** SIGTERM (the Collector flushes and exits 0), then a kill if it has not exited in time. */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        System.err.println("[PipelineIT] the Collector did not stop within 20 s of SIGTERM: killing it");
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** Exit code after {@link #close()}, or null while it runs. */
  Integer exitCode() {
    return process.isAlive() ? null : process.exitValue();
  }

  /**
   * Ports that were free a moment ago. All are held open together while choosing, so the four are
   * distinct; another process could still take one before the Collector binds it, which then shows
   * as a clear start failure in the Collector's log rather than a silent mix-up.
   */
  static int[] freePorts(int n) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        s.setReuseAddress(true);
        sockets.add(s);
        ports[i] = s.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket s : sockets) {
        s.close();
      }
    }
  }

  private static int httpStatus(String url) throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
    c.setConnectTimeout(1000);
    c.setReadTimeout(2000);
    try {
      int status = c.getResponseCode();
      try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
        if (in != null) {
          in.readAllBytes();
        }
      }
      return status;
    } finally {
      c.disconnect();
    }
  }

  private static String httpGet(String url) throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
    c.setConnectTimeout(1000);
    c.setReadTimeout(5000);
    try (InputStream in = c.getInputStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } finally {
      c.disconnect();
    }
  }

  /**
   * The integration-tests module folder: failsafe sets {@code basedir}; otherwise derived from
   * {@code tokenledger.it.dir} ({@code <module>/target/it}), else the working directory.
   */
  private static Path moduleDir() {
    String basedir = System.getProperty("basedir");
    if (basedir != null && !basedir.isBlank()) {
      return Paths.get(basedir).toAbsolutePath().normalize();
    }
    String itDir = System.getProperty("tokenledger.it.dir");
    if (itDir != null) {
      return Paths.get(itDir).toAbsolutePath().normalize().getParent().getParent();
    }
    return Paths.get("").toAbsolutePath();
  }
}
