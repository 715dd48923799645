package dev.tokenledger.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenledger.agent.sdk.TokenLedgerAutoConfiguration;
import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The configuration reference in agent-extension/README.md says what the code reads and sets. */
class ConfigurationReferenceTest {

  private static List<String> readme() throws IOException {
    return Files.readAllLines(Paths.get("README.md"), StandardCharsets.UTF_8);
  }

  /** The first two cells of each table row under {@code heading}, backticks removed. */
  private static Map<String, String> table(String heading) throws IOException {
    Map<String, String> rows = new LinkedHashMap<>();
    boolean in = false;
    for (String line : readme()) {
      if (line.startsWith("#")) {
        in = line.equals(heading);
        continue;
      }
      if (in && line.startsWith("| `")) {
        String[] cells = line.split("\\|");
        rows.put(unquote(cells[1]), unquote(cells[2]));
      }
    }
    return rows;
  }

  private static String unquote(String cell) {
    String value = cell.trim();
    return value.equals("(empty)") ? "" : value.replace("`", "");
  }

  @Test
  void everySettingIsDocumentedWithItsDefault() throws IOException {
    Map<String, String> code = new TreeMap<>();
    TokenLedgerConfig.DEFAULTS.forEach((name, value) -> code.put(TokenLedgerConfig.PREFIX + name, value));
    assertEquals(code, new TreeMap<>(table("### Settings")));
  }

  @Test
  void everyTransportSwitchIsDocumented() throws IOException {
    TreeSet<String> modules = new TreeSet<>();
    for (InstrumentationModule module : ServiceLoader.load(InstrumentationModule.class)) {
      modules.add(module.instrumentationName());
      assertEquals(true, module.instrumentationNames().contains("tokenledger"),
          module.instrumentationName() + " must also answer to the all-transports switch");
    }
    assertEquals(modules, new TreeSet<>(table("### Switches").keySet()));
  }

  @Test
  void theDefaultsTheExtensionSetsAreDocumented() throws IOException {
    assertEquals(
        new TreeMap<>(TokenLedgerAutoConfiguration.defaults()), new TreeMap<>(table("### Defaults the extension sets")));
  }
}
