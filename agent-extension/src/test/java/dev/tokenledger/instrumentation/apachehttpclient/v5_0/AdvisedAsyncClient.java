package dev.tokenledger.instrumentation.apachehttpclient.v5_0;

import dev.tokenledger.agent.SimulatorLedger;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.Future;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClientBuilder;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.function.Supplier;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.nio.AsyncPushConsumer;
import org.apache.hc.core5.http.nio.AsyncRequestProducer;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.http.nio.HandlerFactory;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOReactorStatus;
import org.apache.hc.core5.util.TimeValue;

/**
 * A real async client with the advice applied as the agent applies it, without the agent: every
 * public {@code execute} of {@code CloseableHttpAsyncClient} is final and reaches {@code doExecute}
 * once, through the two instrumented methods, so running the advice's code around this
 * {@code doExecute} is running it where the agent does. It remembers the span current while the
 * client ran, which the upstream agent's HTTP span would take as its parent.
 */
final class AdvisedAsyncClient extends CloseableHttpAsyncClient {

  private final CloseableHttpAsyncClient client;
  volatile SpanContext currentDuringExecute;
  volatile Object[] lastState;

  AdvisedAsyncClient(CloseableHttpAsyncClient client) {
    this.client = client;
  }

  /** A client that reaches the simulator for the OpenAI host; {@code customizer} may change more. */
  static AdvisedAsyncClient create(java.util.function.Consumer<HttpAsyncClientBuilder> customizer) {
    AdvisedAsyncClient advised = new AdvisedAsyncClient(unadvised(customizer));
    advised.start();
    return advised;
  }

  /** The same client without the advice: what the application gets when nothing is instrumented. */
  static CloseableHttpAsyncClient unadvised(java.util.function.Consumer<HttpAsyncClientBuilder> customizer) {
    HttpAsyncClientBuilder builder = org.apache.hc.client5.http.impl.async.HttpAsyncClients.custom()
        .setConnectionManager(PoolingAsyncClientConnectionManagerBuilder.create().setDnsResolver(DNS).build());
    customizer.accept(builder);
    CloseableHttpAsyncClient client = builder.build();
    client.start();
    return client;
  }

  static final SystemDefaultDnsResolver DNS = new SystemDefaultDnsResolver() {
    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
      InetAddress[] loopback = SimulatorLedger.loopbackFor(host);
      return loopback != null ? loopback : super.resolve(host);
    }
  };

  @Override
  @SuppressWarnings("unchecked")
  protected <T> Future<T> doExecute(
      HttpHost target,
      AsyncRequestProducer producer,
      AsyncResponseConsumer<T> consumer,
      HandlerFactory<AsyncPushConsumer> pushHandlerFactory,
      HttpContext context,
      FutureCallback<T> callback) {
    Object[] state = AsyncHttpClientCalls.onExecute(target, producer, consumer, context, callback);
    lastState = state;
    currentDuringExecute = Span.current().getSpanContext();
    try {
      Future<T> future = client.execute(
          target,
          (AsyncRequestProducer) state[0],
          (AsyncResponseConsumer<T>) state[1],
          pushHandlerFactory,
          context,
          (FutureCallback<T>) state[2]);
      AsyncHttpClientCalls.onExit(state, null);
      return future;
    } catch (RuntimeException | Error e) {
      AsyncHttpClientCalls.onExit(state, e);
      throw e;
    }
  }

  @Override
  public void start() {
    client.start();
  }

  @Override
  public IOReactorStatus getStatus() {
    return client.getStatus();
  }

  @Override
  public void awaitShutdown(TimeValue waitTime) throws InterruptedException {
    client.awaitShutdown(waitTime);
  }

  @Override
  public void initiateShutdown() {
    client.initiateShutdown();
  }

  @Override
  @Deprecated
  public void register(String hostname, String uriPattern, Supplier<AsyncPushConsumer> supplier) {
    client.register(hostname, uriPattern, supplier);
  }

  @Override
  public void close(CloseMode closeMode) {
    client.close(closeMode);
  }

  @Override
  public void close() throws java.io.IOException {
    client.close();
  }
}
