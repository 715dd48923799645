package dev.tokenledger.build;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.Charset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.bytebuddy.jar.asm.ClassReader;

/**
 * Writes, at build time, the classes each instrumentation module must inject beside the library it
 * instruments: what upstream's muzzle code generation does in its Gradle build. For every module
 * listed as a service, the helpers are the extension's classes its advice reaches, transitively
 * (constant pool, descriptors and signatures alike), less what stays on the agent's side (modules,
 * type instrumentations, advice), in an order that defines every supertype before its subtypes. So
 * a module never injects a class that refers to types its library version lacks, and no list is
 * kept by hand.
 *
 * <p>Run by the build after compiling ({@code process-classes}); not part of the extension jar.
 * Arguments: the compiled classes directory. Output: {@value #INDEX_DIR}{@code <module class name>}.
 */
public final class HelperClassIndex {

  public static final String INDEX_DIR = "META-INF/tokenledger/helpers/";
  static final String SERVICES =
      "META-INF/services/io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule";
  private static final String OWN_PREFIX = "dev/tokenledger/";
  private static final Pattern OWN_CLASS = Pattern.compile("dev/tokenledger/[A-Za-z0-9_$/]+");
  private static final Charset LATIN_1 = Charset.forName("ISO-8859-1");
  private static final Charset UTF_8 = Charset.forName("UTF-8");

  private final File classes;

  HelperClassIndex(File classes) {
    this.classes = classes;
  }

  public static void main(String[] args) throws Exception {
    File classes = new File(args[0]);
    HelperClassIndex index = new HelperClassIndex(classes);
    for (String module : index.modules()) {
      List<String> helpers = index.helpersOf(module);
      File out = new File(classes, INDEX_DIR + module);
      if (!out.getParentFile().isDirectory() && !out.getParentFile().mkdirs()) {
        throw new IOException("cannot create " + out.getParentFile());
      }
      Writer writer = new OutputStreamWriter(new java.io.FileOutputStream(out), UTF_8);
      try {
        for (String helper : helpers) {
          writer.write(helper);
          writer.write('\n');
        }
      } finally {
        writer.close();
      }
    }
  }

  /** The instrumentation modules the extension registers as services. */
  List<String> modules() throws IOException {
    List<String> modules = new ArrayList<String>();
    for (String line : new String(read(new File(classes, SERVICES)), UTF_8).split("\n")) {
      String name = line.trim();
      if (!name.isEmpty() && !name.startsWith("#")) {
        modules.add(name);
      }
    }
    return modules;
  }

  /** The helper classes of one module, supertypes first. */
  List<String> helpersOf(String moduleClassName) throws Exception {
    Set<String> advice = new TreeSet<String>();
    Set<String> agentSide = new TreeSet<String>();
    Object module = Class.forName(moduleClassName).getDeclaredConstructor().newInstance();
    agentSide.add(internal(moduleClassName));
    for (Object instrumentation : (List<?>) module.getClass().getMethod("typeInstrumentations").invoke(module)) {
      agentSide.add(internal(instrumentation.getClass().getName()));
      advice.addAll(adviceOf(instrumentation));
    }
    for (String name : advice) {
      agentSide.add(internal(name));
    }
    // Everything the advice reaches, walked one class file at a time.
    Set<String> helpers = new TreeSet<String>();
    Deque<String> pending = new ArrayDeque<String>();
    for (String name : advice) {
      pending.addAll(references(internal(name)));
    }
    while (!pending.isEmpty()) {
      String name = pending.pop();
      if (agentSide.contains(name) || !helpers.add(name)) {
        continue;
      }
      pending.addAll(references(name));
    }
    Set<String> ordered = new LinkedHashSet<String>();
    for (String name : helpers) {
      addSupertypesFirst(name, helpers, ordered);
    }
    List<String> result = new ArrayList<String>();
    for (String name : ordered) {
      result.add(name.replace('/', '.'));
    }
    return result;
  }

  /** The advice class names a type instrumentation applies, read through a recording transformer. */
  private static Set<String> adviceOf(Object instrumentation) throws Exception {
    final Set<String> names = new TreeSet<String>();
    Class<?> transformerType =
        Class.forName("io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer");
    Object recorder =
        Proxy.newProxyInstance(
            HelperClassIndex.class.getClassLoader(),
            new Class<?>[] {transformerType},
            new InvocationHandler() {
              @Override
              public Object invoke(Object proxy, Method method, Object[] args) {
                if (args != null) {
                  for (Object arg : args) {
                    if (arg instanceof String) {
                      names.add((String) arg);
                    }
                  }
                }
                return null;
              }
            });
    instrumentation.getClass().getMethod("transform", transformerType).invoke(instrumentation, recorder);
    return names;
  }

  /** The extension's own classes a class file names anywhere (class constants, descriptors, signatures). */
  private Set<String> references(String internalName) throws IOException {
    Set<String> found = new TreeSet<String>();
    File file = classFile(internalName);
    if (!file.isFile()) {
      return found;
    }
    Matcher m = OWN_CLASS.matcher(new String(read(file), LATIN_1));
    while (m.find()) {
      String name = m.group();
      if (!name.equals(internalName) && classFile(name).isFile()) {
        found.add(name);
      }
    }
    return found;
  }

  private void addSupertypesFirst(String name, Set<String> helpers, Set<String> ordered) throws IOException {
    if (ordered.contains(name)) {
      return;
    }
    ClassReader reader = new ClassReader(read(classFile(name)));
    List<String> supertypes = new ArrayList<String>();
    supertypes.add(reader.getSuperName());
    for (String type : reader.getInterfaces()) {
      supertypes.add(type);
    }
    for (String supertype : supertypes) {
      if (supertype != null && supertype.startsWith(OWN_PREFIX) && helpers.contains(supertype)) {
        addSupertypesFirst(supertype, helpers, ordered);
      }
    }
    ordered.add(name);
  }

  private File classFile(String internalName) {
    return new File(classes, internalName + ".class");
  }

  private static String internal(String className) {
    return className.replace('.', '/');
  }

  private static byte[] read(File file) throws IOException {
    InputStream in = new FileInputStream(file);
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      for (int n; (n = in.read(buffer)) > 0; ) {
        out.write(buffer, 0, n);
      }
      return out.toByteArray();
    } finally {
      in.close();
    }
  }
}
