package dev.tokenledger.it;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throw-away server certificate for a test Collector's OTLP receivers, made at test time with the
 * JDK's keytool: self-signed, valid for 127.0.0.1 and localhost, written as PEM (certificate, PKCS#8
 * key) where the Collector reads them. The certificate is its own trust anchor: an agent trusts it
 * through {@code OTEL_EXPORTER_OTLP_CERTIFICATE}, the test's HTTP client through {@link #sslContext()}.
 */
record TlsMaterial(Path certificate, Path privateKey) {

  private static final char[] STORE_PASSWORD = "changeit-test-only".toCharArray();

  static TlsMaterial generate(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path store = dir.resolve("collector-test.p12");
    Files.deleteIfExists(store);
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Process p = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-keystore", store.toString(),
        "-storetype", "PKCS12", "-storepass", new String(STORE_PASSWORD), "-alias", "collector",
        "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
        "-dname", "CN=tokenledger-test-collector", "-ext", "SAN=ip:127.0.0.1,dns:localhost"))
        .redirectErrorStream(true)
        .start();
    byte[] output = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("keytool failed: " + new String(output, StandardCharsets.UTF_8));
    }
    try (InputStream in = Files.newInputStream(store)) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(in, STORE_PASSWORD);
      Certificate cert = ks.getCertificate("collector");
      byte[] key = ks.getKey("collector", STORE_PASSWORD).getEncoded(); // PKCS#8
      Path certPem = dir.resolve("collector-cert.pem");
      Path keyPem = dir.resolve("collector-key.pem");
      Files.writeString(certPem, pem("CERTIFICATE", cert.getEncoded()));
      Files.writeString(keyPem, pem("PRIVATE KEY", key));
      return new TlsMaterial(certPem, keyPem);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("could not read the keystore keytool made", e);
    } finally {
      Files.deleteIfExists(store);
    }
  }

  /** An SSL context that trusts only this certificate. */
  SSLContext sslContext() {
    try (InputStream in = Files.newInputStream(certificate)) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry("collector", CertificateFactory.getInstance("X.509").generateCertificate(in));
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), new SecureRandom());
      return context;
    } catch (IOException | java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A random bearer token (hex, 32 bytes of entropy). */
  static String randomToken() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
