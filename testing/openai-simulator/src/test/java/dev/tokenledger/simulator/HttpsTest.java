package dev.tokenledger.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS with a certificate made at test time: the same API and ground truth as over plain HTTP. */
class HttpsTest {

  @TempDir Path directory;

  @Test
  void servesTheApiOverHttpsToAClientThatTrustsTheTestCertificate() throws Exception {
    TestCertificate certificate = TestCertificate.create(directory);
    try (OpenAiSimulator sim = OpenAiSimulator.start(0)) {
      int port = sim.serveHttps(certificate.serverContext());
      assertEquals(port, sim.serveHttps(certificate.serverContext()), "a second call keeps the port");
      assertEquals("https://localhost:" + port, sim.httpsEndpoint());

      HttpClient trusting = HttpClient.newBuilder().sslContext(trusting(certificate))
          .connectTimeout(Duration.ofSeconds(5)).build();
      HttpRequest azureChat = HttpRequest.newBuilder(
              URI.create(sim.httpsEndpoint() + "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21"))
          .header("api-key", "sk-test-not-a-key")
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
          .build();
      HttpResponse<byte[]> response = trusting.send(azureChat, HttpResponse.BodyHandlers.ofByteArray());

      assertEquals(200, response.statusCode());
      List<GroundTruth> truth = sim.groundTruth();
      assertEquals(1, truth.size());
      assertEquals("localhost", truth.get(0).host());
      assertEquals("gpt-4o-mini", truth.get(0).requestModel());
      assertEquals("reported", truth.get(0).usageSource());
      assertEquals(OpenAiSimulator.sha256Hex(response.body()), truth.get(0).bodySha256());
      assertEquals(truth.get(0).requestId(), response.headers().firstValue("x-request-id").orElseThrow());

      HttpClient defaultTrust = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      assertThrows(SSLHandshakeException.class,
          () -> defaultTrust.send(azureChat, HttpResponse.BodyHandlers.ofByteArray()),
          "the certificate is trusted only where the test says so");
    }
  }

  private static SSLContext trusting(TestCertificate certificate) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(certificate.trustStore())) {
      store.load(in, certificate.trustStorePassword().toCharArray());
    }
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }
}
