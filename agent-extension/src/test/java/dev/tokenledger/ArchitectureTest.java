package dev.tokenledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Data flows one way through the extension — transport → reader → parser → record → emitter — and
 * no class reaches back up. Checked on the compiled classes (every class a class file names: its
 * constant pool, descriptors and signatures), with nested classes counted as their top-level class.
 */
class ArchitectureTest {

  /** Which of our packages each package may use (besides itself). */
  private static final Map<String, Set<String>> ALLOWED = new TreeMap<>();

  static {
    allow("dev.tokenledger.usage");
    allow("dev.tokenledger.realtime", "dev.tokenledger.usage");
    allow("dev.tokenledger.agent", "dev.tokenledger.usage", "dev.tokenledger.realtime");
    allow("dev.tokenledger.agent.sdk", "dev.tokenledger.agent", "dev.tokenledger.usage", "dev.tokenledger.realtime");
    allow("dev.tokenledger.build");
    allow("dev.tokenledger.instrumentation");
  }

  private static void allow(String pkg, String... uses) {
    ALLOWED.put(pkg, new TreeSet<>(List.of(uses)));
  }

  private static String allowedKey(String pkg) {
    if (pkg.startsWith("dev.tokenledger.instrumentation.")) {
      return "dev.tokenledger.instrumentation.*";
    }
    return pkg;
  }

  static {
    allow("dev.tokenledger.instrumentation.*", "dev.tokenledger.instrumentation", "dev.tokenledger.agent",
        "dev.tokenledger.usage", "dev.tokenledger.realtime");
  }

  @Test
  void packagesUseOnlyThoseBelowThem() throws Exception {
    List<String> violations = new ArrayList<>();
    graph().forEach((from, tos) -> {
      String pkg = packageOf(from);
      Set<String> allowed = ALLOWED.get(allowedKey(pkg));
      assertTrue(allowed != null, "no rule for package " + pkg);
      for (String to : tos) {
        String target = packageOf(to);
        if (!target.equals(pkg) && !allowed.contains(target)) {
          violations.add(from + " -> " + to);
        }
      }
    });
    assertEquals(List.of(), violations);
  }

  @Test
  void noClassReachesBackToAClassThatUsesIt() throws Exception {
    Map<String, Set<String>> graph = graph();
    List<List<String>> cycles = new ArrayList<>();
    for (Set<String> component : new StronglyConnected(graph).components()) {
      if (component.size() > 1) {
        cycles.add(new ArrayList<>(component));
      }
    }
    assertEquals(List.of(), cycles, "classes that depend on each other");
  }

  private static String packageOf(String className) {
    return className.substring(0, className.lastIndexOf('.'));
  }

  private static final Pattern OWN_CLASS = Pattern.compile("dev/tokenledger/[A-Za-z0-9_$/]+");

  /** Top-level class → the other top-level classes of ours it names. */
  private static Map<String, Set<String>> graph() throws IOException, URISyntaxException {
    Path root = Paths.get(ArchitectureTest.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        .resolveSibling("classes");
    Map<String, Set<String>> graph = new TreeMap<>();
    try (Stream<Path> files = Files.walk(root.resolve("dev/tokenledger"))) {
      for (Path file : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
        String internal = root.relativize(file).toString().replace('\\', '/');
        String from = topLevel(internal.substring(0, internal.length() - ".class".length()));
        Set<String> to = graph.computeIfAbsent(from, k -> new TreeSet<>());
        Matcher m = OWN_CLASS.matcher(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
        while (m.find()) {
          if (Files.isRegularFile(root.resolve(m.group() + ".class"))) {
            String target = topLevel(m.group());
            if (!target.equals(from)) {
              to.add(target);
            }
          }
        }
      }
    }
    return graph;
  }

  private static String topLevel(String internalName) {
    int dollar = internalName.indexOf('$');
    return (dollar < 0 ? internalName : internalName.substring(0, dollar)).replace('/', '.');
  }

  /** Tarjan's strongly connected components. */
  private static final class StronglyConnected {
    private final Map<String, Set<String>> graph;
    private final Map<String, Integer> index = new HashMap<>();
    private final Map<String, Integer> low = new HashMap<>();
    private final Deque<String> stack = new ArrayDeque<>();
    private final Set<String> onStack = new TreeSet<>();
    private final List<Set<String>> components = new ArrayList<>();
    private int next;

    StronglyConnected(Map<String, Set<String>> graph) {
      this.graph = graph;
    }

    List<Set<String>> components() {
      for (String node : graph.keySet()) {
        if (!index.containsKey(node)) {
          visit(node);
        }
      }
      return components;
    }

    private void visit(String node) {
      index.put(node, next);
      low.put(node, next);
      next++;
      stack.push(node);
      onStack.add(node);
      for (String to : graph.getOrDefault(node, Set.of())) {
        if (!index.containsKey(to)) {
          visit(to);
          low.put(node, Math.min(low.get(node), low.get(to)));
        } else if (onStack.contains(to)) {
          low.put(node, Math.min(low.get(node), index.get(to)));
        }
      }
      if (low.get(node).equals(index.get(node))) {
        Set<String> component = new TreeSet<>();
        String member;
        do {
          member = stack.pop();
          onStack.remove(member);
          component.add(member);
        } while (!member.equals(node));
        components.add(component);
      }
    }
  }
}
