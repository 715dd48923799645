package dev.tokenledger.instrumentation.apachehttpclient.v4_0;

import dev.tokenledger.agent.SimulatorLedger;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.apache.http.HttpHost;
import org.apache.http.HttpRequest;
import org.apache.http.client.ClientProtocolException;
import org.apache.http.client.ResponseHandler;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpUriRequest;
import org.apache.http.conn.ClientConnectionManager;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClientBuilder;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.impl.conn.SystemDefaultDnsResolver;
import org.apache.http.params.HttpParams;
import org.apache.http.protocol.HttpContext;

/**
 * A real HttpClient 4 with the advice applied as the agent applies it, without the agent: each of
 * the eight {@code execute} overloads and {@code doExecute} run the advice's code around the
 * library's own (which delegate to each other as they do in the instrumented class), and
 * {@code doExecute} runs the real client's. It remembers the span current while the client ran.
 */
@SuppressWarnings("deprecation")
final class AdvisedHttpClient extends CloseableHttpClient {

  interface Body<T> {
    T run() throws IOException;
  }

  private final CloseableHttpClient client;
  volatile SpanContext currentDuringExecute;

  AdvisedHttpClient(CloseableHttpClient client) {
    this.client = client;
  }

  /** A client that reaches the simulator for the OpenAI host; {@code customizer} may change more. */
  static AdvisedHttpClient create(java.util.function.Consumer<HttpClientBuilder> customizer) {
    return new AdvisedHttpClient(unadvised(customizer));
  }

  static CloseableHttpClient unadvised(java.util.function.Consumer<HttpClientBuilder> customizer) {
    HttpClientBuilder builder = HttpClients.custom().setDnsResolver(DNS);
    customizer.accept(builder);
    return builder.build();
  }

  static final SystemDefaultDnsResolver DNS = new SystemDefaultDnsResolver() {
    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
      InetAddress[] loopback = SimulatorLedger.loopbackFor(host);
      return loopback != null ? loopback : super.resolve(host);
    }
  };

  /** The advice of an {@code execute}/{@code doExecute} around {@code body}. */
  private <T> T advised(HttpHost target, HttpRequest request, boolean isDoExecute, Body<T> body) throws IOException {
    ApacheHttpClientCalls.Started started = ApacheHttpClientCalls.enter(target, request);
    T result;
    try {
      if (started != null) {
        currentDuringExecute = Span.current().getSpanContext();
      }
      result = body.run();
    } catch (IOException | RuntimeException | Error e) {
      ApacheHttpClientCalls.exit(started, e);
      throw e;
    }
    if (isDoExecute) {
      ApacheHttpClientCalls.onResponse(request, (CloseableHttpResponse) result);
    }
    ApacheHttpClientCalls.exit(started, null);
    return result;
  }

  @Override
  protected CloseableHttpResponse doExecute(HttpHost target, HttpRequest request, HttpContext context)
      throws IOException {
    return advised(target, request, true, () -> client.execute(target, request, context));
  }

  @Override
  public CloseableHttpResponse execute(HttpHost target, HttpRequest request, HttpContext context) throws IOException {
    return advised(target, request, false, () -> super.execute(target, request, context));
  }

  @Override
  public CloseableHttpResponse execute(HttpUriRequest request, HttpContext context) throws IOException {
    return advised(null, request, false, () -> super.execute(request, context));
  }

  @Override
  public CloseableHttpResponse execute(HttpUriRequest request) throws IOException {
    return advised(null, request, false, () -> super.execute(request));
  }

  @Override
  public CloseableHttpResponse execute(HttpHost target, HttpRequest request) throws IOException {
    return advised(target, request, false, () -> super.execute(target, request));
  }

  @Override
  public <T> T execute(HttpUriRequest request, ResponseHandler<? extends T> handler) throws IOException {
    return advised(null, request, false, () -> super.execute(request, handler));
  }

  @Override
  public <T> T execute(HttpUriRequest request, ResponseHandler<? extends T> handler, HttpContext context)
      throws IOException {
    return advised(null, request, false, () -> super.execute(request, handler, context));
  }

  @Override
  public <T> T execute(HttpHost target, HttpRequest request, ResponseHandler<? extends T> handler)
      throws IOException {
    return advised(target, request, false, () -> super.execute(target, request, handler));
  }

  @Override
  public <T> T execute(HttpHost target, HttpRequest request, ResponseHandler<? extends T> handler, HttpContext context)
      throws IOException, ClientProtocolException {
    return advised(target, request, false, () -> super.execute(target, request, handler, context));
  }

  @Override
  public HttpParams getParams() {
    return client.getParams();
  }

  @Override
  public ClientConnectionManager getConnectionManager() {
    return client.getConnectionManager();
  }

  @Override
  public void close() throws IOException {
    client.close();
  }
}
