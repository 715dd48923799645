package dev.tokenledger.it;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs an application (the demo app, a framework app) in a child JVM under the real upstream agent,
 * the way a user would:
 * {@code -javaagent:} plus {@code -Dotel.javaagent.extensions=}, or the one-jar distribution alone.
 * The agent exports OTLP to the given endpoint with short intervals, and flushes at exit.
 */
final class AgentRun {

  static final Path IT_DIR = Paths.get(System.getProperty("tokenledger.it.dir", "target/it"));
  static final Path UPSTREAM_AGENT = IT_DIR.resolve("opentelemetry-javaagent.jar");
  static final Path EXTENSION = IT_DIR.resolve("tokenledger-agent-extension.jar");
  static final Path ONE_JAR = Paths.get(System.getProperty("tokenledger.it.onejar", "missing"));
  static final Path DEMO_APP = IT_DIR.resolve("demo-app.jar");
  static final Path OKHTTP5_DIR = IT_DIR.resolve("okhttp5");

  enum Agent {
    NONE,
    UPSTREAM_ONLY,
    UPSTREAM_WITH_EXTENSION,
    ONE_JAR
  }

  record Result(int exitCode, String stdout, String stderr) {
    List<String> resultLines() {
      List<String> lines = new ArrayList<>();
      for (String line : stdout.split("\n")) {
        if (line.startsWith("RESULT ")) {
          lines.add(line);
        }
      }
      return lines;
    }
  }

  static final String DEMO_APP_MAIN = "dev.tokenledger.demo.DemoApp";
  static final String REALTIME_DEMO_MAIN = "dev.tokenledger.demo.realtime.RealtimeDemo";

  /**
   * Runs the demo app. The API key travels in the environment, as in production: on the command
   * line it would reach the agent's own {@code process.command_args} resource attribute.
   */
  static Result run(
      Agent agent, String otlpEndpoint, boolean okhttp5, List<String> extraJvmArgs, String apiKey, String... appArgs)
      throws IOException, InterruptedException {
    return runMain(agent, otlpEndpoint, okhttp5, extraJvmArgs, Map.of("OPENAI_API_KEY", apiKey), DEMO_APP_MAIN, appArgs);
  }

  static Result runMain(
      Agent agent,
      String otlpEndpoint,
      boolean okhttp5,
      List<String> extraJvmArgs,
      Map<String, String> environment,
      String mainClass,
      String... appArgs)
      throws IOException, InterruptedException {
    // For OkHttp 5, its jars go ahead of the demo app's own OkHttp 4: same packages, the first wins.
    String classpath = okhttp5 ? OKHTTP5_DIR.resolve("*") + File.pathSeparator + DEMO_APP : DEMO_APP.toString();
    return runApp(Jvm.current(), agent, otlpEndpoint, extraJvmArgs, environment, classpath, mainClass, appArgs);
  }

  /** Runs any application: its class path and main class, on the given Java runtime. */
  static Result runApp(
      Jvm jvm,
      Agent agent,
      String otlpEndpoint,
      List<String> extraJvmArgs,
      Map<String, String> environment,
      String classpath,
      String mainClass,
      String... appArgs)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile("demo-app", ".out");
    Path err = Files.createTempFile("demo-app", ".err");
    List<String> command = command(jvm, agent, otlpEndpoint, extraJvmArgs, classpath, mainClass, appArgs);
    Process process = start(command, environment, out, err);
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new IllegalStateException("the app did not finish in 5 minutes: " + command);
    }
    Result result =
        new Result(
            process.exitValue(),
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
    Files.deleteIfExists(out);
    Files.deleteIfExists(err);
    return result;
  }

  /** A child JVM that keeps running while the test watches its output (the crash tests). */
  record Running(Process process, Path out, Path err) {
    String stdout() {
      return read(out);
    }

    String stderr() {
      return read(err);
    }

    private static String read(Path file) {
      try {
        return Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    /** Waits until stdout holds {@code text}; false when the process ended or time ran out first. */
    boolean awaitOutput(String text, long timeoutMillis) throws InterruptedException {
      long deadline = System.currentTimeMillis() + timeoutMillis;
      while (System.currentTimeMillis() < deadline) {
        if (stdout().contains(text)) {
          return true;
        }
        if (!process.isAlive()) {
          return stdout().contains(text);
        }
        Thread.sleep(50);
      }
      return false;
    }
  }

  static Running startMain(
      Agent agent,
      String otlpEndpoint,
      List<String> extraJvmArgs,
      Map<String, String> environment,
      String mainClass,
      String... appArgs)
      throws IOException {
    Path out = Files.createTempFile("demo-app", ".out");
    Path err = Files.createTempFile("demo-app", ".err");
    Process process = start(
        command(Jvm.current(), agent, otlpEndpoint, extraJvmArgs, DEMO_APP.toString(), mainClass, appArgs),
        environment, out, err);
    return new Running(process, out, err);
  }

  private static List<String> command(
      Jvm jvm,
      Agent agent,
      String otlpEndpoint,
      List<String> extraJvmArgs,
      String classpath,
      String mainClass,
      String... appArgs) {
    List<String> command = new ArrayList<>();
    command.add(jvm.java().toString());
    command.add("-Xmx512m");
    switch (agent) {
      case UPSTREAM_ONLY -> command.add("-javaagent:" + UPSTREAM_AGENT);
      case UPSTREAM_WITH_EXTENSION -> {
        command.add("-javaagent:" + UPSTREAM_AGENT);
        command.add("-Dotel.javaagent.extensions=" + EXTENSION);
      }
      case ONE_JAR -> command.add("-javaagent:" + ONE_JAR);
      case NONE -> {}
    }
    if (agent != Agent.NONE) {
      command.addAll(
          Arrays.asList(
              "-Dotel.service.name=tokenledger-demo",
              "-Dotel.exporter.otlp.endpoint=" + otlpEndpoint,
              "-Dotel.exporter.otlp.protocol=http/protobuf",
              "-Dotel.metric.export.interval=1000",
              "-Dotel.bsp.schedule.delay=200",
              "-Dotel.blrp.schedule.delay=200",
              "-Dotel.instrumentation.tokenledger.hosts=127.0.0.1"));
    }
    // Later -D settings win: callers may override the export intervals above.
    command.addAll(extraJvmArgs);
    command.add("-cp");
    command.add(classpath);
    command.add(mainClass);
    command.addAll(Arrays.asList(appArgs));
    return command;
  }

  /**
   * A Java runtime for the child JVM: the one running the tests, or the Java 25 JDK the framework
   * tests also run on ({@code JAVA25_HOME}, else the usual install folders).
   */
  record Jvm(String name, Path home) {

    static final List<Path> JAVA25_FOLDERS = List.of(
        Paths.get("/usr/lib/jvm/temurin-25-jdk-amd64"), Paths.get("/usr/lib/jvm/java-25-openjdk-amd64"));

    Path java() {
      return home.resolve("bin").resolve("java");
    }

    @Override
    public String toString() {
      return name;
    }

    static Jvm current() {
      return new Jvm("Java " + Runtime.version().feature(), Paths.get(System.getProperty("java.home")));
    }

    /** The Java 25 JDK, or a failure that says how to provide one. */
    static Jvm java25() {
      List<Path> candidates = new ArrayList<>();
      String configured = System.getenv("JAVA25_HOME");
      if (configured != null && !configured.isBlank()) {
        candidates.add(Paths.get(configured));
      }
      candidates.addAll(JAVA25_FOLDERS);
      for (Path home : candidates) {
        if (Files.isExecutable(home.resolve("bin").resolve("java")) && featureVersion(home) == 25) {
          return new Jvm("Java 25", home);
        }
      }
      throw new IllegalStateException("no Java 25 JDK: set JAVA25_HOME to one, or install Temurin 25 in "
          + JAVA25_FOLDERS.get(0) + " (.ci/run checks for it); looked in " + candidates);
    }

    private static int featureVersion(Path home) {
      try {
        Process p = new ProcessBuilder(home.resolve("bin").resolve("java").toString(), "-version")
            .redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("version \"(\\d+)").matcher(text);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
      } catch (IOException e) {
        return -1;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      }
    }
  }

  private static Process start(List<String> command, Map<String, String> environment, Path out, Path err)
      throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    builder.environment().putAll(environment);
    return builder.start();
  }

  private AgentRun() {}
}
