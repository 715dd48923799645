package dev.tokenledger.fuzz;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fuzz targets in the normal build, briefly: each runs on its seeds, on every input the fuzzer
 * once reported (kept under {@code src/test/resources/fuzz/<target>/}), and on a few hundred fixed
 * mutations of the seeds. {@code fuzz.sh} is the fuzzer itself.
 */
class FuzzTargetsTest {

  static Stream<String> targets() {
    return FuzzTargets.ALL.stream().map(FuzzTargets.Target::name);
  }

  @ParameterizedTest
  @MethodSource("targets")
  void holdsOnItsSeeds(String name) {
    FuzzTargets.Target target = FuzzTargets.named(name);
    List<byte[]> seeds = target.seeds().get();
    assertFalse(seeds.isEmpty(), "seeds of " + name);
    for (int i = 0; i < seeds.size(); i++) {
      byte[] seed = seeds.get(i);
      assertDoesNotThrow(() -> target.run().accept(seed), name + " seed " + i);
    }
  }

  @ParameterizedTest
  @MethodSource("targets")
  void holdsOnWhatTheFuzzerFound(String name) throws IOException, URISyntaxException {
    FuzzTargets.Target target = FuzzTargets.named(name);
    for (Path finding : findings(name)) {
      byte[] input = Files.readAllBytes(finding);
      assertDoesNotThrow(() -> target.run().accept(input), name + " " + finding.getFileName());
    }
  }

  @ParameterizedTest
  @MethodSource("targets")
  void holdsOnMutatedSeeds(String name) {
    FuzzTargets.Target target = FuzzTargets.named(name);
    List<byte[]> seeds = target.seeds().get();
    Random random = new Random(name.hashCode());
    for (int i = 0; i < 300; i++) {
      byte[] input = mutate(seeds.get(random.nextInt(seeds.size())), random);
      assertDoesNotThrow(() -> target.run().accept(input), () -> name + " mutant " + java.util.HexFormat.of().formatHex(input));
    }
  }

  /** A few byte flips, insertions, deletions or a cut; the header too. */
  private static byte[] mutate(byte[] seed, Random random) {
    byte[] b = seed.clone();
    int edits = 1 + random.nextInt(4);
    for (int e = 0; e < edits && b.length > 0; e++) {
      int at = random.nextInt(b.length);
      switch (random.nextInt(4)) {
        case 0 -> b[at] = (byte) random.nextInt(256);
        case 1 -> b = java.util.Arrays.copyOf(b, at + 1);
        case 2 -> {
          byte[] longer = new byte[b.length + 1];
          System.arraycopy(b, 0, longer, 0, at);
          String alphabet = "{}[]\",:\\\n\r 0123456789-";
          longer[at] = (byte) alphabet.charAt(random.nextInt(alphabet.length()));
          System.arraycopy(b, at, longer, at + 1, b.length - at);
          b = longer;
        }
        default -> {
          byte[] shorter = new byte[b.length - 1];
          System.arraycopy(b, 0, shorter, 0, at);
          System.arraycopy(b, at + 1, shorter, at, b.length - at - 1);
          b = shorter;
        }
      }
    }
    return b;
  }

  private static List<Path> findings(String name) throws IOException, URISyntaxException {
    URL dir = FuzzTargetsTest.class.getResource("/fuzz/" + name);
    List<Path> files = new ArrayList<>();
    if (dir != null) {
      try (Stream<Path> s = Files.list(Path.of(dir.toURI()))) {
        s.filter(Files::isRegularFile).sorted().forEach(files::add);
      }
    }
    return files;
  }
}
