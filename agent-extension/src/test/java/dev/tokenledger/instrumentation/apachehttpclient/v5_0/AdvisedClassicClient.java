package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import dev.tokenledger.agent.SimulatorLedger;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.CloseableHttpResponse;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.io.HttpClientResponseHandler;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.io.CloseMode;

/**
 * A real classic client with the advice applied as the agent applies it, without the agent: each of
 * the eight {@code execute} overloads and {@code doExecute} run the advice's code around the
 * library's own (which delegate to each other as they do in the instrumented class), and
 * {@code doExecute} runs the real client's.
 */
@SuppressWarnings("deprecation")
final class AdvisedClassicClient extends CloseableHttpClient {

  interface Body<T> {
    T run() throws IOException;
  }

  private final CloseableHttpClient client;

  AdvisedClassicClient(CloseableHttpClient client) {
    this.client = client;
  }

  /** A client that reaches the simulator for the OpenAI host; {@code customizer} may change more. */
  static AdvisedClassicClient create(java.util.function.Consumer<HttpClientBuilder> customizer) {
    HttpClientBuilder builder = HttpClients.custom()
        .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create().setDnsResolver(DNS).build());
    customizer.accept(builder);
    return new AdvisedClassicClient(builder.build());
  }

  static final SystemDefaultDnsResolver DNS = new SystemDefaultDnsResolver() {
    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
      InetAddress[] loopback = SimulatorLedger.loopbackFor(host);
      return loopback != null ? loopback : super.resolve(host);
    }
  };

  /** The advice of an {@code execute}/{@code doExecute} around {@code body}. */
  private <T> T advised(HttpHost target, ClassicHttpRequest request, boolean isDoExecute, Body<T> body)
      throws IOException {
    ApacheHttpClientCalls.Started started = ApacheHttpClientCalls.enter(target, request);
    T result;
    try {
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
  protected CloseableHttpResponse doExecute(HttpHost target, ClassicHttpRequest request, HttpContext context)
      throws IOException {
    return advised(target, request, true, () -> client.execute(target, request, context));
  }

  @Override
  public CloseableHttpResponse execute(HttpHost target, ClassicHttpRequest request, HttpContext context)
      throws IOException {
    return advised(target, request, false, () -> super.execute(target, request, context));
  }

  @Override
  public CloseableHttpResponse execute(ClassicHttpRequest request, HttpContext context) throws IOException {
    return advised(null, request, false, () -> super.execute(request, context));
  }

  @Override
  public CloseableHttpResponse execute(ClassicHttpRequest request) throws IOException {
    return advised(null, request, false, () -> super.execute(request));
  }

  @Override
  public CloseableHttpResponse execute(HttpHost target, ClassicHttpRequest request) throws IOException {
    return advised(target, request, false, () -> super.execute(target, request));
  }

  @Override
  public <T> T execute(ClassicHttpRequest request, HttpClientResponseHandler<? extends T> handler) throws IOException {
    return advised(null, request, false, () -> super.execute(request, handler));
  }

  @Override
  public <T> T execute(ClassicHttpRequest request, HttpContext context, HttpClientResponseHandler<? extends T> handler)
      throws IOException {
    return advised(null, request, false, () -> super.execute(request, context, handler));
  }

  @Override
  public <T> T execute(HttpHost target, ClassicHttpRequest request, HttpClientResponseHandler<? extends T> handler)
      throws IOException {
    return advised(target, request, false, () -> super.execute(target, request, handler));
  }

  @Override
  public <T> T execute(
      HttpHost target, ClassicHttpRequest request, HttpContext context, HttpClientResponseHandler<? extends T> handler)
      throws IOException {
    return advised(target, request, false, () -> super.execute(target, request, context, handler));
  }

  @Override
  public void close(CloseMode closeMode) {
    client.close(closeMode);
  }

  @Override
  public void close() throws IOException {
    client.close();
  }
}
