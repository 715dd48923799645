package dev.tokenledger.simulator;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A self-signed certificate for {@code localhost} (and 127.0.0.1, ::1), made when a test starts with
 * the running JDK's {@code keytool}: nothing is kept in the repository. {@link #serverContext()} is
 * what {@link OpenAiSimulator#serveHttps} takes; a client JVM trusts it with
 * {@link #trustStoreJvmArgs()}.
 */
public final class TestCertificate {

  private static final String ALIAS = "openai-simulator";

  private final Path keyStore;
  private final Path trustStore;
  private final String password;

  private TestCertificate(Path keyStore, Path trustStore, String password) {
    this.keyStore = keyStore;
    this.trustStore = trustStore;
    this.password = password;
  }

  /**
   * Makes a key pair and certificate valid for two days in {@code directory/server.p12}, and a trust
   * store holding only that certificate in {@code directory/truststore.p12}.
   */
  public static TestCertificate create(Path directory) {
    try {
      Files.createDirectories(directory);
      Path keyStore = directory.resolve("server.p12");
      Path certificate = directory.resolve("server.cer");
      Path trustStore = directory.resolve("truststore.p12");
      for (Path p : List.of(keyStore, certificate, trustStore)) {
        Files.deleteIfExists(p);
      }
      // Random per run: the stores exist only for the life of a test.
      String password = Long.toHexString(new java.security.SecureRandom().nextLong()) + "x";
      keytool("-genkeypair", "-alias", ALIAS, "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
          "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1,ip:0:0:0:0:0:0:0:1",
          "-keystore", keyStore.toString(), "-storetype", "PKCS12", "-storepass", password);
      keytool("-exportcert", "-alias", ALIAS, "-keystore", keyStore.toString(), "-storetype", "PKCS12",
          "-storepass", password, "-file", certificate.toString());
      keytool("-importcert", "-noprompt", "-alias", ALIAS, "-file", certificate.toString(),
          "-keystore", trustStore.toString(), "-storetype", "PKCS12", "-storepass", password);
      return new TestCertificate(keyStore, trustStore, password);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write the test certificate under " + directory, e);
    }
  }

  private static void keytool(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "keytool").toString());
    command.add("-J-Duser.language=en");
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try (InputStream out = process.getInputStream()) {
      String output = new String(out.readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IOException("keytool " + args[0] + " failed: " + output);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while keytool ran", e);
    }
  }

  /** A TLS server context with the certificate's key, for {@link OpenAiSimulator#serveHttps}. */
  public SSLContext serverContext() {
    try (InputStream in = Files.newInputStream(keyStore)) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, password.toCharArray());
      KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, password.toCharArray());
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys.getKeyManagers(), null, null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot load the test certificate", e);
    }
  }

  /** The PKCS12 trust store that holds the certificate alone. */
  public Path trustStore() {
    return trustStore;
  }

  public String trustStorePassword() {
    return password;
  }

  /** What a client JVM needs to trust the certificate (and nothing else) by default. */
  public List<String> trustStoreJvmArgs() {
    return List.of(
        "-Djavax.net.ssl.trustStore=" + trustStore,
        "-Djavax.net.ssl.trustStoreType=PKCS12",
        "-Djavax.net.ssl.trustStorePassword=" + password);
  }
}
