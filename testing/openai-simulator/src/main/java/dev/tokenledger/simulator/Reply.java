package dev.tokenledger.simulator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A planned HTTP response: status, headers, the body as segments (one per SSE event or one for a
 * plain body), how to deliver it, and what it means for billing. Planning everything before sending
 * lets the simulator record ground truth before the client can possibly have read the last byte.
 */
final class Reply {

  enum Fault {
    NONE,
    /** Declare the full Content-Length, send {@link #truncateAt} bytes, drop the connection. */
    TRUNCATE,
    /** Chunked: send the first {@link #cutAfterSegments} segments, drop the connection. */
    CUT
  }

  /** What one billable unit of this reply means; becomes a {@link GroundTruth}. */
  record Outcome(
      String responseId,
      String api,
      String model,
      String requestModel,
      String usageSource,
      ExportTokens tokens,
      double audioSeconds,
      long inputCharacters,
      String serviceTier,
      boolean batch,
      boolean streamed,
      String requestIdOverride) {

    Outcome withUsage(String source, ExportTokens t, double seconds) {
      return new Outcome(responseId, api, model, requestModel, source, t, seconds,
          inputCharacters, serviceTier, batch, streamed, requestIdOverride);
    }

    /** The same outcome, with the tier only if the bytes the client gets still state it. */
    Outcome withTierIfSent(String sentText) {
      String tier = sentText.contains("\"service_tier\"") ? serviceTier : null;
      return new Outcome(responseId, api, model, requestModel, usageSource, tokens, audioSeconds,
          inputCharacters, tier, batch, streamed, requestIdOverride);
    }

    Outcome withoutBody(String source) {
      return new Outcome(null, api, model, requestModel, source, ExportTokens.ZERO, 0,
          inputCharacters, null, batch, streamed, requestIdOverride);
    }
  }

  int status = 200;
  String contentType = "application/json";
  final Map<String, String> headers = new LinkedHashMap<>();
  final List<byte[]> segments = new ArrayList<>();
  /** Send with chunked transfer encoding, flushing after each segment (streams, audio). */
  boolean chunked;
  long delayMillis;
  Fault fault = Fault.NONE;
  int truncateAt;
  int cutAfterSegments;
  final List<Outcome> outcomes = new ArrayList<>();

  Reply add(byte[] segment) {
    segments.add(segment);
    return this;
  }

  Reply add(String segment) {
    return add(segment.getBytes(StandardCharsets.UTF_8));
  }

  byte[] body() {
    int n = 0;
    for (byte[] s : segments) {
      n += s.length;
    }
    byte[] all = new byte[n];
    int p = 0;
    for (byte[] s : segments) {
      System.arraycopy(s, 0, all, p, s.length);
      p += s.length;
    }
    return all;
  }

  /** The bytes that will actually leave, before any compression. */
  byte[] logicalBytesSent() {
    byte[] all = body();
    return switch (fault) {
      case NONE -> all;
      case TRUNCATE -> java.util.Arrays.copyOf(all, truncateAt);
      case CUT -> {
        int n = 0;
        for (int i = 0; i < cutAfterSegments; i++) {
          n += segments.get(i).length;
        }
        yield java.util.Arrays.copyOf(all, n);
      }
    };
  }
}
