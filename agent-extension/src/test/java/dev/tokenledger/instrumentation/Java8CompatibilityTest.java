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
import java.util.regex.Pattern;
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
 * class library, and the transport itself against the Java 11 one, and no class outside it links to
 * the buffer methods that only exist from Java 9 on (which that compilation does not catch).
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

  /**
   * Java 9 gave the buffers covariant {@code position(int)}, {@code limit(int)}, {@code flip()} and
   * the like ({@code ByteBuffer limit(int)}). Compiled by a later JDK, even for Java 8, a call on a
   * {@code ByteBuffer} links to that method, which a Java 8 JVM does not have: it throws
   * {@code NoSuchMethodError} when it runs. Such calls go through {@link java.nio.Buffer} instead.
   */
  @Test
  void noClassCallsTheBuffersCovariantMethodsOfJava9() throws Exception {
    Path classes = Paths.get(HelperClasses.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(classes)) {
      for (Path file : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
        if (classes.relativize(file).toString().replace('\\', '/').startsWith(JAVA11_ONLY)) {
          continue;
        }
        for (String ref : methodRefs(file)) {
          if (COVARIANT_BUFFER_METHOD.matcher(ref).matches()) {
            found.add(classes.relativize(file) + ": " + ref);
          }
        }
      }
    }
    assertTrue(found.isEmpty(), "methods a Java 8 JVM does not have:\n" + String.join("\n", found));
  }

  /** {@code java/nio/ByteBuffer.limit:(I)Ljava/nio/ByteBuffer;}: a buffer method returning its own type. */
  private static final Pattern COVARIANT_BUFFER_METHOD = Pattern.compile(
      "java/nio/(\\w+Buffer)\\.(position|limit|flip|clear|mark|reset|rewind):\\(I?\\)Ljava/nio/\\1;");

  @Test
  void theCovariantBufferPatternFindsWhatItShould() {
    assertTrue(COVARIANT_BUFFER_METHOD.matcher("java/nio/ByteBuffer.limit:(I)Ljava/nio/ByteBuffer;").matches());
    assertTrue(COVARIANT_BUFFER_METHOD.matcher("java/nio/CharBuffer.flip:()Ljava/nio/CharBuffer;").matches());
    assertFalse(COVARIANT_BUFFER_METHOD.matcher("java/nio/ByteBuffer.limit:(I)Ljava/nio/Buffer;").matches());
    assertFalse(COVARIANT_BUFFER_METHOD.matcher("java/nio/ByteBuffer.position:()I").matches());
    assertFalse(COVARIANT_BUFFER_METHOD.matcher("java/nio/Buffer.limit:(I)Ljava/nio/Buffer;").matches());
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

  /** The methods a class file refers to, as {@code owner.name:descriptor}, from its constant pool. */
  static List<String> methodRefs(Path classFile) throws IOException {
    try (DataInputStream data = new DataInputStream(Files.newInputStream(classFile))) {
      data.readInt(); // magic
      data.readUnsignedShort(); // minor
      data.readUnsignedShort(); // major
      int count = data.readUnsignedShort();
      String[] utf8 = new String[count];
      int[] first = new int[count];
      int[] second = new int[count];
      int[] tag = new int[count];
      for (int i = 1; i < count; i++) {
        tag[i] = data.readUnsignedByte();
        switch (tag[i]) {
          case 1 -> utf8[i] = data.readUTF();
          case 7, 8, 16, 19, 20 -> first[i] = data.readUnsignedShort();
          case 15 -> {
            data.readUnsignedByte();
            first[i] = data.readUnsignedShort();
          }
          case 9, 10, 11, 12, 17, 18 -> {
            first[i] = data.readUnsignedShort();
            second[i] = data.readUnsignedShort();
          }
          case 3, 4 -> data.readInt();
          case 5, 6 -> {
            data.readLong();
            i++; // takes two entries
          }
          default -> throw new IOException("constant pool tag " + tag[i] + " in " + classFile);
        }
      }
      List<String> refs = new ArrayList<>();
      for (int i = 1; i < count; i++) {
        if (tag[i] == 10 || tag[i] == 11) {
          int nameAndType = second[i];
          refs.add(utf8[first[first[i]]] + "." + utf8[first[nameAndType]] + ":" + utf8[second[nameAndType]]);
        }
      }
      return refs;
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
