package dev.tokenledger.agent;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.DoubleCounter;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongHistogram;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Tracer;
import java.util.Arrays;
import java.util.List;

/**
 * The tracer, logger and instruments the emitter writes to, built once per
 * {@link OpenAiInstrumenter}. Each instrumented library's copy builds its own handles from the same
 * SDK, which de-duplicates instruments by name, so they all add to the same streams.
 */
public final class TokenLedgerTelemetry {

  /** Instrumentation scope of everything the extension emits. */
  public static final String SCOPE = "tokenledger";

  static final String VERSION = TokenLedgerTelemetry.class.getPackage() == null
      ? null
      : TokenLedgerTelemetry.class.getPackage().getImplementationVersion();

  private static final List<Long> TOKEN_BUCKETS =
      Arrays.asList(1L, 4L, 16L, 64L, 256L, 1024L, 4096L, 16384L, 65536L, 262144L, 1048576L,
          4194304L, 16777216L, 67108864L);
  private static final List<Double> DURATION_BUCKETS =
      Arrays.asList(0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48,
          40.96, 81.92);

  final Tracer tracer;
  final Logger logger;
  /** gen_ai.client.token.usage: billable input and output totals per operation. */
  final LongHistogram tokenUsage;
  /** gen_ai.client.operation.duration. */
  final DoubleHistogram operationDuration;
  /** gen_ai.client.operation.time_to_first_chunk, streaming only. */
  final DoubleHistogram timeToFirstChunk;
  /** tokenledger.tokens: exact totals by type × modality × cache, partitions that add up. */
  final LongCounter tokens;
  /** tokenledger.requests: one per billable request, by status and usage source. */
  final LongCounter requests;
  /** tokenledger.audio.duration: duration-billed transcription seconds. */
  final DoubleCounter audioDuration;
  /** tokenledger.speech.characters: characters sent to text-to-speech. */
  final LongCounter speechCharacters;
  /** tokenledger.realtime.connections: WebSocket connections opened to a Realtime endpoint. */
  final LongCounter realtimeConnections;

  TokenLedgerTelemetry(OpenTelemetry otel) {
    String version = VERSION;
    tracer = version == null ? otel.getTracer(SCOPE) : otel.getTracer(SCOPE, version);
    logger = otel.getLogsBridge().loggerBuilder(SCOPE).build();
    Meter meter = otel.getMeter(SCOPE);
    tokenUsage =
        meter
            .histogramBuilder("gen_ai.client.token.usage")
            .ofLongs()
            .setUnit("{token}")
            .setDescription("Number of input and output tokens used")
            .setExplicitBucketBoundariesAdvice(TOKEN_BUCKETS)
            .build();
    operationDuration =
        meter
            .histogramBuilder("gen_ai.client.operation.duration")
            .setUnit("s")
            .setDescription("GenAI operation duration")
            .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS)
            .build();
    timeToFirstChunk =
        meter
            .histogramBuilder("gen_ai.client.operation.time_to_first_chunk")
            .setUnit("s")
            .setDescription("Time to receive the first chunk of a streamed response")
            .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS)
            .build();
    tokens =
        meter
            .counterBuilder("tokenledger.tokens")
            .setUnit("{token}")
            .setDescription("Billable tokens by type, modality and cache status")
            .build();
    requests =
        meter
            .counterBuilder("tokenledger.requests")
            .setUnit("{request}")
            .setDescription("OpenAI requests by status and usage source")
            .build();
    audioDuration =
        meter
            .counterBuilder("tokenledger.audio.duration")
            .ofDoubles()
            .setUnit("s")
            .setDescription("Duration-billed audio seconds")
            .build();
    speechCharacters =
        meter
            .counterBuilder("tokenledger.speech.characters")
            .setUnit("{character}")
            .setDescription("Characters sent to text-to-speech")
            .build();
    realtimeConnections =
        meter
            .counterBuilder("tokenledger.realtime.connections")
            .setUnit("{connection}")
            .setDescription("WebSocket connections opened to an OpenAI Realtime endpoint")
            .build();
  }
}
