package dev.tokenledger.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml, checked as far as these machines allow. No Docker engine runs here (the
 * {@code docker} command is only a client), so the stack is never started and {@code docker compose
 * config} cannot run: instead the file is parsed with a YAML parser, every file and volume it
 * references must exist, the Collector configuration it mounts is validated by the project's built
 * Collector with the environment the compose file gives it, and Grafana's provisioning it mounts
 * must point at the project's datasource and dashboards.
 */
class ComposeFileTest {

  static Path repo;
  static Map<String, Object> compose;
  static Map<String, Object> services;

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void parse() throws IOException {
    repo = CliTestSupport.repo();
    compose = load(repo.resolve("docker-compose.yml"));
    services = (Map<String, Object>) compose.get("services");
  }

  @Test
  void theFullStackIsThere() {
    assertEquals(Set.of("clickhouse", "migrate", "collector", "grafana", "demo", "tokenledger"), services.keySet());
    // Published ports on loopback only.
    for (Object s : services.values()) {
      for (Object port : list(map(s).get("ports"))) {
        assertTrue(port.toString().startsWith("127.0.0.1:"), "port " + port + " must be bound to loopback");
      }
    }
  }

  @Test
  void everyReferencedFileAndVolumeExists() throws IOException {
    Set<String> declaredVolumes = map(compose.getOrDefault("volumes", Map.of())).keySet();
    Set<String> usedVolumes = new TreeSet<>();
    for (Map.Entry<String, Object> e : services.entrySet()) {
      Map<String, Object> svc = map(e.getValue());
      for (Object v : list(svc.get("volumes"))) {
        String source = v.toString().split(":")[0];
        if (source.startsWith(".") || source.startsWith("/")) {
          assertTrue(Files.exists(repo.resolve(source).normalize()), e.getKey() + ": " + source + " does not exist");
        } else {
          usedVolumes.add(source);
        }
      }
      Object build = svc.get("build");
      if (build != null) {
        Path context = repo.resolve(String.valueOf(map(build).get("context"))).normalize();
        Path dockerfile = context.resolve(String.valueOf(map(build).get("dockerfile")));
        assertTrue(Files.isRegularFile(dockerfile), dockerfile.toString());
        // Files the image copies from the build context.
        Matcher copy = Pattern.compile("(?m)^COPY (?!--from)(\\S+) ").matcher(Files.readString(dockerfile));
        while (copy.find()) {
          if (!copy.group(1).equals(".")) {
            assertTrue(Files.exists(context.resolve(copy.group(1))), "COPY " + copy.group(1));
          }
        }
      }
    }
    assertEquals(declaredVolumes, usedVolumes, "named volumes used and declared");
    Path demo = repo.resolve("compose/demo-loop.sh");
    assertTrue(Files.isExecutable(demo), demo + " must be executable");
  }

  @Test
  void everyRequiredSecretIsDocumented() throws IOException {
    String text = Files.readString(repo.resolve("docker-compose.yml"));
    String example = Files.readString(repo.resolve("compose/env.example"));
    Matcher m = Pattern.compile("\\$\\{([A-Z_]+):\\?").matcher(text);
    int n = 0;
    while (m.find()) {
      assertTrue(example.contains("\n" + m.group(1) + "="), m.group(1) + " in compose/env.example");
      n++;
    }
    assertTrue(n >= 5, "passwords are required, never defaulted");
  }

  @Test
  void theCollectorRunsTheConfigurationTheBuiltCollectorValidates() throws Exception {
    Map<String, Object> collector = map(services.get("collector"));
    String builder = Files.readString(repo.resolve("collector-config/builder-config.yaml"));
    Matcher version = Pattern.compile("clickhouseexporter v(\\d+\\.\\d+\\.\\d+)").matcher(builder);
    assertTrue(version.find());
    assertEquals("otel/opentelemetry-collector-contrib:" + version.group(1), collector.get("image"),
        "the contrib image of the release the builder manifest pins");
    String mount = null;
    for (Object v : list(collector.get("volumes"))) {
      String[] parts = v.toString().split(":");
      if (parts[0].equals("./collector-config/collector-compose.yaml")) {
        mount = parts[1];
      }
    }
    assertNotNull(mount, "collector-config/collector-compose.yaml is mounted");
    assertEquals(List.of("--config=" + mount), collector.get("command"));
    // validate.sh (CollectorConfigIT) validates every collector-*.yaml of that folder.
    assertTrue(Files.readString(repo.resolve("collector-config/validate.sh")).contains("collector-*.yaml"));

    Map<String, String> env = new LinkedHashMap<>();
    map(collector.get("environment")).forEach((k, v) -> env.put(k, v.toString().startsWith("${") ? "validate-only" : v.toString()));
    Process build = new ProcessBuilder("bash", repo.resolve("collector-config/build.sh").toString())
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertTrue(build.waitFor(15, TimeUnit.MINUTES));
    assertEquals(0, build.exitValue(), "collector-config/build.sh failed");
    String binary = out.substring(out.lastIndexOf('\n') + 1);
    List<String> cmd = new ArrayList<>(List.of("env", "-i"));
    env.forEach((k, v) -> cmd.add(k + "=" + v));
    cmd.addAll(List.of(binary, "validate", "--config=" + repo.resolve("collector-config/collector-compose.yaml")));
    Process validate = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String log = new String(validate.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(validate.waitFor(2, TimeUnit.MINUTES));
    assertEquals(0, validate.exitValue(), log);
  }

  @Test
  @SuppressWarnings("unchecked")
  void grafanaIsProvisionedWithOurDatasourceAndDashboards() throws IOException {
    Map<String, Object> grafana = map(services.get("grafana"));
    Map<String, String> mounts = new LinkedHashMap<>(); // container path -> repository path
    for (Object v : list(grafana.get("volumes"))) {
      String[] parts = v.toString().split(":");
      if (parts[0].startsWith(".")) {
        mounts.put(parts[1], parts[0]);
      }
    }
    assertEquals("./dashboards/provisioning", mounts.get("/etc/grafana/provisioning"));
    Map<String, Object> env = map(grafana.get("environment"));
    assertTrue(String.valueOf(env.get("GF_PLUGINS_PREINSTALL_SYNC")).startsWith("grafana-clickhouse-datasource@"));

    Path provisioning = repo.resolve("dashboards/provisioning");
    List<Path> datasources = yamlFiles(provisioning.resolve("datasources"));
    assertFalse(datasources.isEmpty(), "dashboards/provisioning/datasources/*.yaml");
    boolean clickhouse = false;
    for (Path f : datasources) {
      String text = Files.readString(f).replaceAll("(?m)^\\s*#.*$", "");
      for (Object ds : list(load(f).get("datasources"))) {
        clickhouse |= "grafana-clickhouse-datasource".equals(map(ds).get("type"));
      }
      // Every environment variable the file reads is set for the container.
      Matcher m = Pattern.compile("\\$(?:__env)?\\{([A-Za-z_][A-Za-z0-9_]*)").matcher(text);
      while (m.find()) {
        assertTrue(env.containsKey(m.group(1)), f + " reads $" + m.group(1) + ", which the compose file does not set");
      }
    }
    assertTrue(clickhouse, "a grafana-clickhouse-datasource datasource is provisioned");

    List<Path> providers = yamlFiles(provisioning.resolve("dashboards"));
    assertFalse(providers.isEmpty(), "dashboards/provisioning/dashboards/*.yaml");
    int dashboards = 0;
    for (Path f : providers) {
      for (Object p : list(load(f).get("providers"))) {
        String path = String.valueOf(map(map(p).get("options")).get("path"));
        String target = mounts.keySet().stream().filter(t -> path.equals(t) || path.startsWith(t + "/")).findFirst()
            .orElseThrow(() -> new AssertionError(f + ": provider path " + path + " is not mounted into Grafana"));
        Path source = repo.resolve(mounts.get(target) + path.substring(target.length())).normalize();
        try (Stream<Path> s = Files.walk(source)) {
          dashboards += (int) s.filter(x -> x.toString().endsWith(".json")).count();
        }
      }
    }
    assertTrue(dashboards >= 1, "the provider paths reach the dashboards' JSON files");
  }

  private static List<Path> yamlFiles(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> load(Path file) throws IOException {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    Object doc = new Yaml(options).load(Files.readString(file, StandardCharsets.UTF_8));
    assertTrue(doc instanceof Map, file + " is a YAML mapping");
    return (Map<String, Object>) doc;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o == null ? Map.of() : (Map<String, Object>) o;
  }

  private static List<?> list(Object o) {
    return o == null ? List.of() : (List<?>) o;
  }
}
