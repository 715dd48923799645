package dev.tokenledger.instrumentation.netty.v4_1;

import dev.tokenledger.agent.TestTelemetry;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import net.bytebuddy.agent.ByteBuddyAgent;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.matcher.ElementMatcher;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;

/**
 * Applies {@link ChannelPipelineInstrumentation}'s own matchers and advice to Netty's
 * {@code DefaultChannelPipeline} in the test JVM, as the agent does: every real client in these tests
 * gets the TokenLedger handler from the same code path as in production. Its calls go to the tests'
 * in-memory SDK and count the simulator's loopback address as an OpenAI host.
 */
final class PipelineAdvice {

  static final String HOSTS_PROPERTY = "otel.instrumentation.tokenledger.hosts";
  static final String TEST_HOSTS = "127.0.0.1,localhost,api.openai.com";

  private static boolean installed;

  static synchronized void install() {
    if (installed) {
      return;
    }
    NettyLeaks.install(); // before the first buffer is made
    TestTelemetry.installGlobal();
    useTheAgentsDefaultPropagators();
    String hosts = System.getProperty(HOSTS_PROPERTY);
    System.setProperty(HOSTS_PROPERTY, TEST_HOSTS);
    try {
      NettySingletons.instrumenter(); // reads the hosts now, once
    } finally {
      if (hosts == null) {
        System.clearProperty(HOSTS_PROPERTY);
      } else {
        System.setProperty(HOSTS_PROPERTY, hosts);
      }
    }
    ChannelPipelineInstrumentation instrumentation = new ChannelPipelineInstrumentation();
    Recorder recorder = new Recorder();
    instrumentation.transform(recorder);
    Instrumentation jvm = ByteBuddyAgent.install();
    new AgentBuilder.Default()
        .disableClassFormatChanges()
        .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
        .type(instrumentation.typeMatcher())
        .transform((builder, type, loader, module, domain) -> {
          for (Recorder.Entry entry : recorder.entries) {
            builder = builder.visit(
                Advice.to(entry.advice.get(), ClassFileLocator.ForClassLoader.of(PipelineAdvice.class.getClassLoader()))
                    .on(entry.matcher));
          }
          return builder;
        })
        .installOn(jvm);
    installed = true;
  }

  /**
   * The agent propagates W3C trace context and baggage unless configured otherwise; the tests' SDK
   * has no propagators. The Netty singletons take theirs from the global OpenTelemetry: the same
   * providers, with the agent's default propagators.
   */
  private static void useTheAgentsDefaultPropagators() {
    OpenTelemetrySdk sdk = TestTelemetry.SDK;
    GlobalOpenTelemetry.resetForTest();
    GlobalOpenTelemetry.set(
        OpenTelemetrySdk.builder()
            .setTracerProvider(sdk.getSdkTracerProvider())
            .setLoggerProvider(sdk.getSdkLoggerProvider())
            .setMeterProvider(sdk.getSdkMeterProvider())
            .setPropagators(ContextPropagators.create(
                TextMapPropagator.composite(W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance())))
            .build());
  }

  /** The advice a type instrumentation asks for. */
  private static final class Recorder implements TypeTransformer {
    static final class Entry {
      final ElementMatcher<? super MethodDescription> matcher;
      final java.util.function.Supplier<net.bytebuddy.description.type.TypeDescription> advice;

      Entry(ElementMatcher<? super MethodDescription> matcher, String adviceClass) {
        this.matcher = matcher;
        this.advice = () -> {
          try {
            return net.bytebuddy.description.type.TypeDescription.ForLoadedType.of(Class.forName(adviceClass));
          } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
          }
        };
      }
    }

    final List<Entry> entries = new ArrayList<>();

    @Override
    public void applyAdviceToMethod(
        ElementMatcher<? super MethodDescription> matcher,
        Function<Advice.WithCustomMapping, Advice.WithCustomMapping> mapping,
        String adviceClassName) {
      entries.add(new Entry(matcher, adviceClassName));
    }

    @Override
    public void applyTransformer(AgentBuilder.Transformer transformer) {
      throw new UnsupportedOperationException("not used by the Netty instrumentation");
    }
  }

  private PipelineAdvice() {}
}
