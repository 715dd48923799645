package dev.tokenledger.usage;

import java.util.Collections;
import java.util.List;

/**
 * What one billable response produced: its tokens and the few identifying fields that came with
 * them. Never holds prompt or completion content.
 *
 * <h2>{@link #source()}</h2>
 *
 * <ul>
 *   <li>{@code reported} — the provider's body carried the usage (or the billing unit, e.g. a
 *       translation's {@code duration}); moderations are {@code reported} with zero tokens (free).
 *   <li>{@code missing} — the body should have carried usage but did not, or could not be read:
 *       zero tokens and a {@link #diagnostic()}. Missing telemetry is visible, never silent.
 *   <li>{@code counted} — audio speech without usage in the body: the request's input characters
 *       are the billing unit ({@link TokenUsage#inputCharacters()}), zero tokens.
 *   <li>{@code none} — an error response (HTTP status ≥ 400): counted as a request, carries no
 *       tokens, has no ledger row.
 * </ul>
 *
 * <h2>{@link #status()}</h2>
 *
 * The provider's own status where it reports one (Responses and Realtime: {@code completed},
 * {@code incomplete}, {@code failed}, {@code cancelled}, {@code queued}, {@code in_progress});
 * otherwise {@code completed} for a body read to its end; {@code error} for HTTP ≥ 400 and for
 * streams that ended with an error event; {@code truncated} when the body or stream ended early
 * ({@code finish(false)}, or the document/stream was incomplete at its end); {@code unreadable} for
 * malformed JSON, undecodable bytes or an unsupported content encoding.
 */
public final class ResponseUsage {

  public static final String SOURCE_REPORTED = "reported";
  public static final String SOURCE_MISSING = "missing";
  public static final String SOURCE_COUNTED = "counted";
  public static final String SOURCE_NONE = "none";

  public static final String STATUS_COMPLETED = "completed";
  public static final String STATUS_INCOMPLETE = "incomplete";
  public static final String STATUS_FAILED = "failed";
  public static final String STATUS_CANCELLED = "cancelled";
  public static final String STATUS_ERROR = "error";
  public static final String STATUS_TRUNCATED = "truncated";
  public static final String STATUS_UNREADABLE = "unreadable";

  /** Longest diagnostic kept; diagnostics are fixed phrases plus offsets and codes. */
  static final int MAX_DIAGNOSTIC_CHARS = 200;

  private final OpenAiApi api;
  private final TokenUsage usage;
  private final String source;
  private final String responseId;
  private final String responseModel;
  private final String serviceTier;
  private final String status;
  private final boolean batch;
  private final String batchRequestId;
  private final String batchCustomId;
  private final int batchLine;
  private final long completedAtEpochSeconds;
  private final String systemFingerprint;
  private final List<String> finishReasons;
  private final String diagnostic;

  ResponseUsage(Builder b) {
    this.api = b.api;
    this.usage = b.usage == null ? TokenUsage.zero() : b.usage;
    this.source = b.source;
    this.responseId = emptyToNull(b.responseId);
    this.responseModel = emptyToNull(b.responseModel);
    this.serviceTier = emptyToNull(b.serviceTier);
    this.status = b.status;
    this.batch = b.batch;
    this.batchRequestId = emptyToNull(b.batchRequestId);
    this.batchCustomId = emptyToNull(b.batchCustomId);
    this.batchLine = b.batchLine;
    this.completedAtEpochSeconds = b.completedAtEpochSeconds;
    this.systemFingerprint = emptyToNull(b.systemFingerprint);
    this.finishReasons =
        b.finishReasons == null || b.finishReasons.isEmpty()
            ? Collections.<String>emptyList()
            : Collections.unmodifiableList(b.finishReasons);
    this.diagnostic =
        b.diagnostic == null || b.diagnostic.length() <= MAX_DIAGNOSTIC_CHARS
            ? b.diagnostic
            : b.diagnostic.substring(0, MAX_DIAGNOSTIC_CHARS);
  }

  /** A record for a response that could not be read at all: zero tokens, source {@code missing}. */
  public static ResponseUsage missing(String diagnostic) {
    return new Builder().source(SOURCE_MISSING).diagnostic(diagnostic).build();
  }

  /**
   * A record built from fields another reader already extracted (Realtime server events, whose
   * usage object went through {@link UsageParser} like every other shape).
   */
  public static ResponseUsage of(
      OpenAiApi api,
      TokenUsage usage,
      String source,
      String status,
      String responseId,
      String responseModel,
      String diagnostic) {
    Builder b = new Builder().api(api).usage(usage).source(source).status(status).diagnostic(diagnostic);
    b.responseId = responseId;
    b.responseModel = responseModel;
    return b.build();
  }

  /** The API that produced the usage: the endpoint's, or for batch lines the line's own. */
  public OpenAiApi api() {
    return api;
  }

  public TokenUsage usage() {
    return usage;
  }

  /** {@code reported}, {@code missing}, {@code counted} or {@code none} (see the class comment). */
  public String source() {
    return source;
  }

  /** {@code chatcmpl-…}, {@code resp_…}, … ; null when not sent or empty. */
  public String responseId() {
    return responseId;
  }

  /** The model that served the response (dated snapshot), null when not sent. */
  public String responseModel() {
    return responseModel;
  }

  /** The service tier actually used, as the response reports it. */
  public String serviceTier() {
    return serviceTier;
  }

  /** See the class comment; null only for {@link #missing(String)} records. */
  public String status() {
    return status;
  }

  /** True for lines of a Batch API output file. */
  public boolean batch() {
    return batch;
  }

  /** The batch line's {@code batch_req_…} id (the de-duplication key of a batch line), else null. */
  public String batchRequestId() {
    return batchRequestId;
  }

  /** The batch line's {@code custom_id} (unique within its batch), else null. */
  public String batchCustomId() {
    return batchCustomId;
  }

  /** The batch line's position in its file, from 1; 0 for other records. */
  public int batchLine() {
    return batchLine;
  }

  /**
   * When the provider says the response was made, in seconds since the epoch: for a batch line its
   * body's {@code completed_at}, else {@code created_at}, else {@code created}; 0 when it does not
   * say (and for every other record, stamped when it is read).
   */
  public long completedAtEpochSeconds() {
    return completedAtEpochSeconds;
  }

  public String systemFingerprint() {
    return systemFingerprint;
  }

  /** One per choice, as sent (at most {@link DocCapture#MAX_FINISH_REASONS}). */
  public List<String> finishReasons() {
    return finishReasons;
  }

  /** Null, or a short reason why the usage is missing or odd (never content). */
  public String diagnostic() {
    return diagnostic;
  }

  @Override
  public String toString() {
    return "ResponseUsage{api=" + api + ", source=" + source + ", status=" + status
        + (batch ? ", batch" : "")
        + (responseId != null ? ", id=" + responseId : "")
        + (responseModel != null ? ", model=" + responseModel : "")
        + (serviceTier != null ? ", tier=" + serviceTier : "")
        + (finishReasons.isEmpty() ? "" : ", finish=" + finishReasons)
        + (diagnostic != null ? ", diagnostic=" + diagnostic : "")
        + ", " + usage + "}";
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  static final class Builder {
    OpenAiApi api;
    TokenUsage usage;
    String source = SOURCE_MISSING;
    String responseId;
    String responseModel;
    String serviceTier;
    String status;
    boolean batch;
    String batchRequestId;
    String batchCustomId;
    int batchLine;
    long completedAtEpochSeconds;
    String systemFingerprint;
    List<String> finishReasons;
    String diagnostic;

    Builder api(OpenAiApi v) {
      api = v;
      return this;
    }

    Builder usage(TokenUsage v) {
      usage = v;
      return this;
    }

    Builder source(String v) {
      source = v;
      return this;
    }

    Builder status(String v) {
      status = v;
      return this;
    }

    Builder diagnostic(String v) {
      diagnostic = v;
      return this;
    }

    ResponseUsage build() {
      return new ResponseUsage(this);
    }
  }
}
