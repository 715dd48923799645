package dev.tokenledger.instrumentation.netty.v4_1;

import static net.bytebuddy.matcher.ElementMatchers.isMethod;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code DefaultChannelPipeline}, Netty's one pipeline: after a handler is added (first, last, before,
 * after another, or in place of one), {@link NettyPipelines#onHandlerAdded} puts the TokenLedger handler
 * behind a client HTTP codec. Every public overload ends in one of the matched methods, some pass
 * through two of them: the helper is idempotent.
 */
public final class ChannelPipelineInstrumentation implements TypeInstrumentation {

  private static final String HANDLER = "io.netty.channel.ChannelHandler";

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    return named("io.netty.channel.DefaultChannelPipeline");
  }

  @Override
  public void transform(TypeTransformer transformer) {
    // addFirst/addLast(group, name, handler) and replace(old, newName, newHandler)
    transformer.applyAdviceToMethod(
        isMethod()
            .and(namedOneOf("addFirst", "addLast", "replace"))
            .and(takesArguments(3))
            .and(takesArgument(2, named(HANDLER))),
        getClass().getName() + "$ThirdArgumentAdvice");
    // addBefore/addAfter(group, baseName, name, handler)
    transformer.applyAdviceToMethod(
        isMethod()
            .and(namedOneOf("addBefore", "addAfter"))
            .and(takesArguments(4))
            .and(takesArgument(3, named(HANDLER))),
        getClass().getName() + "$FourthArgumentAdvice");
  }

  @SuppressWarnings("unused")
  public static class ThirdArgumentAdvice {

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(
        @Advice.This ChannelPipeline pipeline,
        @Advice.Argument(2) ChannelHandler handler,
        @Advice.Thrown Throwable thrown) {
      if (thrown == null) {
        NettyPipelines.onHandlerAdded(pipeline, handler);
      }
    }
  }

  @SuppressWarnings("unused")
  public static class FourthArgumentAdvice {

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void onExit(
        @Advice.This ChannelPipeline pipeline,
        @Advice.Argument(3) ChannelHandler handler,
        @Advice.Thrown Throwable thrown) {
      if (thrown == null) {
        NettyPipelines.onHandlerAdded(pipeline, handler);
      }
    }
  }
}
