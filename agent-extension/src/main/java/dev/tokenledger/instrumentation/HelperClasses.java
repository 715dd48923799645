package dev.tokenledger.instrumentation;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The classes an instrumentation module injects beside the library it instruments (into its class
 * loader, or the bootstrap loader for the JDK's client), in the order they are defined. The build
 * writes them, one index per module, from what the module's advice reaches (see
 * {@code dev.tokenledger.build.HelperClassIndex}); nothing here is kept by hand.
 */
public final class HelperClasses {

  static final String INDEX_DIR = "META-INF/tokenledger/helpers/";

  /** The helpers of {@code module}; fails loudly when the build wrote no index for it. */
  public static List<String> of(Object module) {
    String resource = INDEX_DIR + module.getClass().getName();
    InputStream in = HelperClasses.class.getClassLoader().getResourceAsStream(resource);
    if (in == null) {
      throw new IllegalStateException(
          "TokenLedger: " + resource + " is missing from the extension jar; rebuild it with Maven");
    }
    try {
      List<String> names = new ArrayList<String>();
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, Charset.forName("UTF-8")));
      for (String line; (line = reader.readLine()) != null; ) {
        if (!line.trim().isEmpty()) {
          names.add(line.trim());
        }
      }
      return Collections.unmodifiableList(names);
    } catch (IOException e) {
      throw new IllegalStateException("TokenLedger: cannot read " + resource + ": " + e, e);
    } finally {
      try {
        in.close();
      } catch (IOException ignored) {
        // read already
      }
    }
  }

  private HelperClasses() {}
}
