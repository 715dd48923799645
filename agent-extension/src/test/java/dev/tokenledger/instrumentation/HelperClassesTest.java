package dev.tokenledger.instrumentation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The helper lists the build writes must hold every class the instrumentation needs at run time,
 * define supertypes before subtypes, and hold nothing a module's library version may lack: a
 * missing helper is a NoClassDefFoundError inside the application's client, which the agent would
 * only log.
 */
class HelperClassesTest {

  private static final Pattern OWN_CLASS = Pattern.compile("dev/tokenledger/[A-Za-z0-9_$/]+");

  /** Loaded by the agent from the extension's own class loader, never injected. */
  private static boolean isAgentSide(String className) {
    return className.endsWith("InstrumentationModule")
        || className.endsWith("Instrumentation")
        || className.contains("Advice")
        || className.startsWith("dev.tokenledger.agent.sdk.")
        || className.startsWith("dev.tokenledger.build.")
        || className.equals("dev.tokenledger.instrumentation.HelperClasses");
  }

  private static List<String> modules() throws IOException {
    List<String> modules = new ArrayList<>();
    String services = new String(
        resource("META-INF/services/io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule"),
        StandardCharsets.UTF_8);
    for (String line : services.split("\n")) {
      if (!line.isBlank()) {
        modules.add(line.trim());
      }
    }
    assertEquals(8, modules.size(), "the @AutoService registrations: " + modules);
    return modules;
  }

  private static List<String> helpersOf(String module) throws Exception {
    return HelperClasses.of(Class.forName(module).getDeclaredConstructor().newInstance());
  }

  @Test
  void everyClassAHelperNamesIsListedOrStaysOnTheAgentSide() throws Exception {
    for (String module : modules()) {
      List<String> helpers = helpersOf(module);
      assertEquals(helpers.size(), new HashSet<>(helpers).size(), "a helper is listed twice in " + module);
      for (String helper : helpers) {
        assertFalse(isAgentSide(helper), helper + " is agent-side but listed in " + module);
        for (String referenced : references(helper)) {
          assertTrue(
              helpers.contains(referenced) || isAgentSide(referenced),
              helper + " refers to " + referenced + ", which " + module + " does not inject");
        }
      }
    }
  }

  @Test
  void theHelpersDefineInTheirOrderAndResolveInALoaderThatHasNothingElseOfOurs() throws Exception {
    for (String module : modules()) {
      List<String> helpers = helpersOf(module);
      InjectedOnly loader = new InjectedOnly(helpers, getClass().getClassLoader());
      List<Class<?>> defined = new ArrayList<>();
      for (String helper : helpers) {
        defined.add(loader.define(helper)); // fails if a supertype comes later
      }
      for (Class<?> type : defined) {
        // Resolving the members' types fails if a type they name was not injected.
        type.getDeclaredFields();
        type.getDeclaredMethods();
        type.getDeclaredConstructors();
      }
    }
  }

  @Test
  void theOkHttpModuleInjectsNoWebSocketClassesForOkHttp3BeforeWebSockets() throws Exception {
    List<String> http = helpersOf("dev.tokenledger.instrumentation.okhttp.v3_0.OkHttpInstrumentationModule");
    for (String helper : http) {
      String text = new String(resource(helper.replace('.', '/') + ".class"), StandardCharsets.ISO_8859_1);
      assertFalse(text.contains("okhttp3/WebSocket"), helper + " needs OkHttp's WebSocket types (OkHttp 3.5+)");
    }
    assertTrue(http.contains("dev.tokenledger.instrumentation.okhttp.v3_0.TokenLedgerInterceptor"));
  }

  /** Our own classes a class file names anywhere. */
  private static Set<String> references(String className) throws IOException {
    Set<String> found = new LinkedHashSet<>();
    String self = className.replace('.', '/');
    Matcher m = OWN_CLASS.matcher(new String(resource(self + ".class"), StandardCharsets.ISO_8859_1));
    while (m.find()) {
      String name = m.group();
      if (!name.equals(self) && HelperClassesTest.class.getClassLoader().getResource(name + ".class") != null) {
        found.add(name.replace('/', '.'));
      }
    }
    return found;
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = HelperClassesTest.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException(name + " not found");
      }
      return in.readAllBytes();
    }
  }

  /**
   * A loader like the agent's injection: our classes only as listed, defined in order; everything
   * else (the JDK, the OpenTelemetry API, the instrumented libraries) from the test's class path.
   */
  private static final class InjectedOnly extends ClassLoader {
    private final Set<String> listed;

    InjectedOnly(List<String> listed, ClassLoader parent) {
      super(parent);
      this.listed = new HashSet<>(listed);
    }

    Class<?> define(String name) throws IOException {
      byte[] bytes = resource(name.replace('.', '/') + ".class");
      return defineClass(name, bytes, 0, bytes.length);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      if (!name.startsWith("dev.tokenledger.")) {
        return super.loadClass(name, resolve);
      }
      Class<?> defined = findLoadedClass(name);
      if (defined == null) {
        throw new ClassNotFoundException(
            name + (listed.contains(name) ? " is listed after a subtype of it" : " is not injected"));
      }
      return defined;
    }
  }
}
