package dev.tokenledger.instrumentation.netty.v4_1;

import static io.opentelemetry.javaagent.extension.matcher.AgentElementMatchers.hasClassesNamed;

import com.google.auto.service.AutoService;
import dev.tokenledger.instrumentation.HelperClasses;
import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import java.util.Collections;
import java.util.List;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Netty 4.1 and 4.2 HTTP clients: one hook in the channel pipeline covers every client built on
 * Netty's HTTP codec — Reactor Netty's {@code HttpClient} (Spring {@code WebClient}, Spring Boot's
 * {@code RestClient} on Reactor Netty, Spring AI), {@code azure-core-http-netty}, the Vert.x HTTP and
 * web clients, AsyncHttpClient — over HTTP/1.1, HTTP/2 streams that the client turns into HTTP
 * objects ({@code Http2StreamFrameToHttpObjectCodec}), and WebSocket connections upgraded from them.
 * See {@link NettyHttpHandler} for what is read and {@link NettyPipelines} for where it sits.
 *
 * <p>Not covered: an h2c upgrade from HTTP/1.1 (the upgraded request's answer arrives on HTTP/2 frames
 * the handler does not read; its call is recorded as missing, at the latest when the connection
 * closes; untested), WebSocket messages compressed with
 * permessage-deflate when the client's decompressor sits behind the handler (recorded as missing).
 * WebSocket frames are read where the clients decode them: Reactor Netty, Vert.x and AsyncHttpClient
 * all put the frame decoder in front of the handler.
 *
 * <p>Switch off with {@code otel.instrumentation.tokenledger-netty.enabled=false} (or all transports
 * with {@code otel.instrumentation.tokenledger.enabled=false}).
 */
@AutoService(InstrumentationModule.class)
public final class NettyInstrumentationModule extends InstrumentationModule {

  public NettyInstrumentationModule() {
    super("tokenledger-netty", "tokenledger-netty-4.1", "tokenledger");
  }

  @Override
  public ElementMatcher.Junction<ClassLoader> classLoaderMatcher() {
    // CombinedHttpHeaders exists from Netty 4.1 on (4.0 has a different HTTP object model).
    return hasClassesNamed("io.netty.handler.codec.http.CombinedHttpHeaders");
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return Collections.<TypeInstrumentation>singletonList(new ChannelPipelineInstrumentation());
  }

  @Override
  public List<String> getAdditionalHelperClassNames() {
    return HelperClasses.of(this);
  }
}
