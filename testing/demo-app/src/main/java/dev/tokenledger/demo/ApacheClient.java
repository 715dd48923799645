package dev.tokenledger.demo;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Set;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.entity.mime.MultipartEntityBuilder;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;

/**
 * Apache HttpClient 5 classic: {@code execute(request, responseHandler)} for whole bodies and
 * {@code executeOpen} for streams, the two styles apps use. The default client asks for gzip and
 * decodes it by itself.
 */
final class ApacheClient implements DemoClient {

  /** Whole-body scenarios that still go through executeOpen, so both styles see plain JSON too. */
  private static final Set<String> OPEN = Set.of("moderations", "truncated", "error-500");

  private final DemoApp.Config cfg;
  private final CloseableHttpClient http = HttpClients.createDefault();

  ApacheClient(DemoApp.Config cfg) {
    this.cfg = cfg;
  }

  @Override
  public String name() {
    return "apache";
  }

  @Override
  public Result run(String scenario) throws Exception {
    Scenarios.Call c = Scenarios.call(scenario, cfg);
    HttpUriRequestBase req = c.json() == null && c.form() == null ? new HttpGet(c.uri()) : new HttpPost(c.uri());
    for (Map.Entry<String, String> h : c.headers().entrySet()) {
      if (!h.getKey().equalsIgnoreCase("Content-Type")) {
        req.setHeader(h.getKey(), h.getValue());
      }
    }
    if (c.form() != null) {
      MultipartEntityBuilder mb = MultipartEntityBuilder.create();
      c.form().fields().forEach((k, v) -> mb.addTextBody(k, v, ContentType.TEXT_PLAIN));
      mb.addBinaryBody(c.form().fileField(), c.form().file(), ContentType.create(c.form().fileType()),
          c.form().fileName());
      req.setEntity(mb.build());
    } else if (c.json() != null) {
      req.setEntity(new ByteArrayEntity(c.json(), ContentType.APPLICATION_JSON));
    }

    if (c.kind() == Scenarios.Kind.JSON && !OPEN.contains(scenario)) {
      return http.execute(req, response -> Result.of(response.getCode(), bytes(response.getEntity())));
    }
    try (ClassicHttpResponse response = http.executeOpen(null, req, null)) {
      HttpEntity entity = response.getEntity();
      if (entity == null) {
        return Result.of(response.getCode(), new byte[0]);
      }
      try (InputStream in = entity.getContent()) {
        Bodies.Digest d = c.kind() == Scenarios.Kind.SSE
            ? Bodies.readLines(in, new Bodies.SseConsumer())
            : Bodies.drain(in);
        return Result.of(response.getCode(), d);
      }
    }
  }

  private static byte[] bytes(HttpEntity entity) throws IOException {
    return entity == null ? new byte[0] : EntityUtils.toByteArray(entity);
  }

  @Override
  public void close() {
    try {
      http.close();
    } catch (IOException ignored) {
      // closing at exit
    }
  }
}
