package dev.tokenledger.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every Collector configuration in collector-config/ is validated by the built Collector itself
 * (collector-config/validate.sh), with the environment a user would set — and the production
 * configuration refuses to load without its ClickHouse endpoint.
 */
class CollectorConfigIT {

  @Test
  void everyConfigurationIsValidatedByTheBuiltCollector() throws Exception {
    Path log = Files.createTempFile("collector-validate", ".log");
    Process process =
        new ProcessBuilder("bash", Collector.COLLECTOR_CONFIG.resolve("validate.sh").toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    assertTrue(process.waitFor(15, TimeUnit.MINUTES), "validate.sh did not finish in 15 minutes");
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, process.exitValue(), output);
    assertTrue(output.contains("collector-local.yaml"), output);
    assertTrue(output.contains("collector-production.yaml"), output);
    assertTrue(output.contains("0 failed"), output);
    Files.deleteIfExists(log);
  }
}
