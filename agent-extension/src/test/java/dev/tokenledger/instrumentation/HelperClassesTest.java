package dev.tokenledger.instrumentation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The hand-kept helper lists must name every class the instrumentation needs at run time, and
 * define supertypes before subtypes: a missing helper is a NoClassDefFoundError inside the
 * application's HTTP client, which the agent would only log.
 */
class HelperClassesTest {

  /** Loaded by the agent from the extension's own class loader, never injected. */
  private static boolean isAgentSide(String className) {
    return className.endsWith("InstrumentationModule")
        || className.endsWith("Instrumentation")
        || className.contains("Advice")
        || className.startsWith("dev.tokenledger.agent.sdk.")
        || className.equals("dev.tokenledger.instrumentation.HelperClasses");
  }

  @Test
  void everyCompiledHelperIsListedOnce() throws Exception {
    Set<String> compiled = new TreeSet<>();
    for (String name : compiledClasses()) {
      if (!isAgentSide(name)) {
        compiled.add(name);
      }
    }
    List<String> listed = new ArrayList<>(HelperClasses.COMMON);
    listed.addAll(HelperClasses.OKHTTP_HELPERS);
    listed.addAll(HelperClasses.JAVA_HTTP_CLIENT_HELPERS);
    listed.addAll(HelperClasses.APACHE_HTTPCLIENT_HELPERS);
    listed.addAll(HelperClasses.OKHTTP_WEBSOCKET_HELPERS);
    listed.addAll(HelperClasses.JAKARTA_WEBSOCKET_HELPERS);
    assertEquals(listed.size(), new TreeSet<>(listed).size(), "a helper is listed twice: " + listed);
    assertEquals(compiled, new TreeSet<>(listed));
  }

  @Test
  void supertypesComeFirst() throws Exception {
    for (String transport :
        List.of(HelperClasses.OKHTTP, HelperClasses.JAVA_HTTP_CLIENT, HelperClasses.APACHE_HTTPCLIENT,
            HelperClasses.OKHTTP_WEBSOCKET, HelperClasses.JAKARTA_WEBSOCKET)) {
      List<String> order = HelperClasses.forTransport(transport);
      for (int i = 0; i < order.size(); i++) {
        Class<?> type = Class.forName(order.get(i), false, getClass().getClassLoader());
        List<Class<?>> supertypes = new ArrayList<>(List.of(type.getInterfaces()));
        if (type.getSuperclass() != null) {
          supertypes.add(type.getSuperclass());
        }
        for (Class<?> supertype : supertypes) {
          int at = order.indexOf(supertype.getName());
          int self = i;
          assertTrue(
              at < self,
              () -> order.get(self) + " is listed before its supertype " + supertype.getName() + " in " + transport);
        }
      }
    }
  }

  private static List<String> compiledClasses() throws IOException, URISyntaxException {
    Path root = Paths.get(HelperClasses.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> names = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      files
          .filter(p -> p.toString().endsWith(".class"))
          .map(p -> root.relativize(p).toString())
          .map(p -> p.substring(0, p.length() - ".class".length()).replace('/', '.'))
          .filter(n -> n.startsWith("dev.tokenledger."))
          .forEach(names::add);
    }
    return names;
  }
}
