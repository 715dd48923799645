package dev.tokenledger.instrumentation;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The extension is loaded by every JVM the upstream agent supports, Java 8 included. It is compiled
 * to Java 8 bytecode against the build JDK (the java.net.http transport needs Java 11 types and only
 * loads inside that client), so these tests check what the compiler flags cannot: every class is
 * Java 8 bytecode, every source outside the java.net.http transport compiles against the Java 8
 * class library, and the transport itself against the Java 11 one.
 */
class Java8CompatibilityTest {

  private static final Path SOURCES = Paths.get("src/main/java");
  private static final String JAVA11_ONLY = "dev/tokenledger/instrumentation/javahttpclient/";

  @Test
  void everyClassIsJava8Bytecode() throws Exception {
    Path classes = Paths.get(HelperClasses.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    try (Stream<Path> files = Files.walk(classes)) {
      for (Path file : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
        assertTrue(majorVersion(file) <= 52, file + " is not Java 8 bytecode");
      }
    }
  }

  @Test
  void everythingButTheJdkClientTransportCompilesAgainstTheJava8Library(@TempDir Path out) throws IOException {
    List<Path> sources = sources(false);
    assertCompiles("8", sources, out);
    assertFalse(sources.isEmpty(), "no sources found under " + SOURCES);
  }

  /** The java.net.http transport loads on Java 11: it may use no API a later JDK added. */
  @Test
  void theJdkClientTransportCompilesAgainstTheJava11Library(@TempDir Path out) throws IOException {
    assertCompiles("11", sources(true), out);
  }

  private static List<Path> sources(boolean withJdkClientTransport) throws IOException {
    List<Path> sources = new ArrayList<>();
    try (Stream<Path> files = Files.walk(SOURCES)) {
      files
          .filter(p -> p.toString().endsWith(".java"))
          .filter(p -> withJdkClientTransport
              || !SOURCES.relativize(p).toString().replace('\\', '/').startsWith(JAVA11_ONLY))
          .forEach(sources::add);
    }
    return sources;
  }

  private static void assertCompiles(String release, List<Path> sources, Path out) throws IOException {
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    StringWriter diagnostics = new StringWriter();
    try (StandardJavaFileManager fileManager = compiler.getStandardFileManager(null, null, null)) {
      Iterable<? extends JavaFileObject> units = fileManager.getJavaFileObjectsFromPaths(sources);
      List<String> options =
          List.of("--release", release, "-proc:none", "-Xlint:-options", "-d", out.toString(),
              "-classpath", System.getProperty("java.class.path"));
      boolean ok = compiler.getTask(diagnostics, fileManager, null, options, null, units).call();
      assertTrue(ok, "does not compile against the Java " + release + " class library:\n" + diagnostics);
    }
  }

  private static int majorVersion(Path classFile) throws IOException {
    try (InputStream in = Files.newInputStream(classFile);
        DataInputStream data = new DataInputStream(in)) {
      data.readInt(); // magic
      data.readUnsignedShort(); // minor
      return data.readUnsignedShort();
    }
  }
}
