package dev.tokenledger.demo;

import java.io.InputStream;
import java.util.Map;
import java.util.UUID;
import java.util.zip.GZIPInputStream;
import org.springframework.http.HttpMethod;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.web.client.RestClient;

/**
 * Spring's {@code RestClient} on its {@code SimpleClientHttpRequestFactory}, which runs every call on
 * the JDK's {@code HttpURLConnection}: Spring connects, streams the body with its length known,
 * reads the status, takes the body from {@code getErrorStream} or {@code getInputStream}, and drains
 * and closes it at the end of the exchange.
 */
final class SpringSimpleClient implements DemoClient {

  private final DemoApp.Config cfg;
  private final RestClient rest;

  SpringSimpleClient(DemoApp.Config cfg) {
    this.cfg = cfg;
    SimpleClientHttpRequestFactory factory = new SimpleClientHttpRequestFactory();
    int timeout = (int) Math.min(Integer.MAX_VALUE, cfg.timeout().toMillis());
    factory.setConnectTimeout(timeout);
    factory.setReadTimeout(timeout);
    this.rest = RestClient.builder().requestFactory(factory).build();
  }

  @Override
  public String name() {
    return "spring-simple";
  }

  @Override
  public Result run(String scenario) throws Exception {
    Scenarios.Call c = Scenarios.call(scenario, cfg);
    boolean gzip = c.headers().containsKey("X-Sim-Gzip");
    byte[] body = null;
    String contentType = null;
    if (c.form() != null) {
      String boundary = "----demo" + UUID.randomUUID();
      contentType = "multipart/form-data; boundary=" + boundary;
      body = JdkClient.multipart(c.form(), boundary);
    } else if (c.json() != null) {
      body = c.json();
    }
    String type = contentType;
    RestClient.RequestBodySpec spec = rest.method(body == null ? HttpMethod.GET : HttpMethod.POST)
        .uri(c.uri())
        .headers(h -> {
          for (Map.Entry<String, String> e : c.headers().entrySet()) {
            h.set(e.getKey(), e.getValue());
          }
          if (type != null) {
            h.set("Content-Type", type);
          }
          if (gzip) {
            // The simple factory never decompresses: an app that wants gzip asks and decodes.
            h.set("Accept-Encoding", "gzip");
          }
        });
    if (body != null) {
      spec.body(body);
    }
    return spec.exchange((request, response) -> {
      int status = response.getStatusCode().value();
      boolean encoded = gzip && "gzip".equalsIgnoreCase(response.getHeaders().getFirst("Content-Encoding"));
      InputStream in = encoded ? new GZIPInputStream(response.getBody()) : response.getBody();
      Bodies.Digest d = c.kind() == Scenarios.Kind.SSE
          ? Bodies.readLines(in, new Bodies.SseConsumer())
          : Bodies.drain(in);
      return Result.of(status, d);
    });
  }
}
