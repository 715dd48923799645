package dev.tokenledger.demo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Set;
import org.apache.hc.client5.http.entity.mime.MultipartEntityBuilder;
import org.apache.http.HttpEntity;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpGet;
import org.apache.http.client.methods.HttpPost;
import org.apache.http.client.methods.HttpRequestBase;
import org.apache.http.entity.ByteArrayEntity;
import org.apache.http.entity.ContentType;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.util.EntityUtils;

/**
 * Apache HttpClient 4 classic: {@code execute(request, responseHandler)} for whole bodies and
 * {@code execute(request)} with the response's content stream for streams, the two styles older
 * apps use. The default client asks for gzip and decodes it by itself.
 */
final class Apache4Client implements DemoClient {

  /** Whole-body scenarios that still go through the content stream, so both styles see plain JSON too. */
  private static final Set<String> OPEN = Set.of("moderations", "truncated", "error-500");

  private final DemoApp.Config cfg;
  private final CloseableHttpClient http = HttpClients.createDefault();

  Apache4Client(DemoApp.Config cfg) {
    this.cfg = cfg;
  }

  @Override
  public String name() {
    return "apache4";
  }

  @Override
  public Result run(String scenario) throws Exception {
    Scenarios.Call c = Scenarios.call(scenario, cfg);
    HttpRequestBase req = c.json() == null && c.form() == null ? new HttpGet(c.uri()) : new HttpPost(c.uri());
    for (Map.Entry<String, String> h : c.headers().entrySet()) {
      if (!h.getKey().equalsIgnoreCase("Content-Type")) {
        req.setHeader(h.getKey(), h.getValue());
      }
    }
    if (c.form() != null) {
      // The multipart body as HttpClient 5 writes it, sent by HttpClient 4 (which has no multipart of its own).
      MultipartEntityBuilder mb = MultipartEntityBuilder.create();
      c.form().fields().forEach((k, v) -> mb.addTextBody(k, v, org.apache.hc.core5.http.ContentType.TEXT_PLAIN));
      mb.addBinaryBody(c.form().fileField(), c.form().file(),
          org.apache.hc.core5.http.ContentType.create(c.form().fileType()), c.form().fileName());
      org.apache.hc.core5.http.HttpEntity form = mb.build();
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      form.writeTo(bytes);
      ((HttpPost) req).setEntity(new ByteArrayEntity(bytes.toByteArray(), ContentType.parse(form.getContentType())));
    } else if (c.json() != null) {
      ((HttpPost) req).setEntity(new ByteArrayEntity(c.json(), ContentType.APPLICATION_JSON));
    }

    if (c.kind() == Scenarios.Kind.JSON && !OPEN.contains(scenario)) {
      return http.execute(req, response -> Result.of(response.getStatusLine().getStatusCode(), bytes(response.getEntity())));
    }
    try (CloseableHttpResponse response = http.execute(req)) {
      int status = response.getStatusLine().getStatusCode();
      HttpEntity entity = response.getEntity();
      if (entity == null) {
        return Result.of(status, new byte[0]);
      }
      try (InputStream in = entity.getContent()) {
        Bodies.Digest d = c.kind() == Scenarios.Kind.SSE
            ? Bodies.readLines(in, new Bodies.SseConsumer())
            : Bodies.drain(in);
        return Result.of(status, d);
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
