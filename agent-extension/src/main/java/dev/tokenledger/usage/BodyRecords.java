package dev.tokenledger.usage;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * What the readers of one response body share: the facts of the call they read for (API, request,
 * HTTP status), how a record is made from a captured usage object, and where finished records go —
 * to a sink as soon as they are complete, else kept (boundedly) for {@link #drain()}.
 */
final class BodyRecords {

  private static final Logger LOGGER = Logger.getLogger("dev.tokenledger.usage");
  private static final RateLimitedLog LOG = new RateLimitedLog(LOGGER, RateLimitedLog.DEFAULT_INTERVAL_SECONDS);

  /**
   * Records kept for {@link #drain()} when no sink is set: a Batch API output file holds at most
   * 50,000 requests. Beyond it records are dropped (and logged); set a sink to stream them.
   */
  static final int MAX_RECORDS = 50_000;

  final OpenAiApi api;
  final RequestInfo request;
  final int httpStatus;
  private final List<ResponseUsage> kept = new ArrayList<ResponseUsage>(1);
  private long dropped;
  private ResponseUsageSink sink;

  BodyRecords(OpenAiApi api, RequestInfo request, int httpStatus) {
    this.api = api;
    this.request = request;
    this.httpStatus = httpStatus;
  }

  void streamTo(ResponseUsageSink sink) {
    this.sink = sink;
  }

  /** A record of this call's API; its source is {@code missing} until set otherwise. */
  ResponseUsage.Builder base() {
    ResponseUsage.Builder r = new ResponseUsage.Builder();
    r.api = api;
    return r;
  }

  ResponseUsage missing(String diagnostic, String status) {
    ResponseUsage.Builder r = base();
    r.source = ResponseUsage.SOURCE_MISSING;
    r.status = status;
    r.diagnostic = diagnostic;
    return r.build();
  }

  /** Fills a reported record from a captured usage text; false when it is not usable usage. */
  boolean reported(ResponseUsage.Builder r, String usageRaw, OpenAiApi usageApi) {
    JsonObject usage;
    try {
      usage = Json.parseObject(usageRaw);
    } catch (JsonException e) {
      r.diagnostic = "usage object is not valid JSON";
      return false;
    }
    if (!UsageShape.hasCounts(usage)) {
      r.diagnostic = "usage object without token counts";
      return false;
    }
    TokenUsage tokens = UsageShape.parse(usageApi == null ? null : usageApi.usageShape(), usage);
    if (api == OpenAiApi.AUDIO_SPEECH && request.inputCharacters() > 0) {
      tokens = tokens.toBuilder().inputCharacters(request.inputCharacters()).build();
    }
    r.usage = tokens;
    r.source = ResponseUsage.SOURCE_REPORTED;
    if (tokens.anomaly() != null) {
      r.diagnostic = "usage anomaly: " + tokens.anomaly();
      log("usage-anomaly", "TokenLedger: " + usageApi + " usage " + r.diagnostic);
    }
    return true;
  }

  /** The identifying members of a captured document. */
  static void fill(ResponseUsage.Builder r, DocCapture.Fields f) {
    r.responseId = f.id;
    r.responseModel = f.model;
    r.serviceTier = f.serviceTier;
    r.systemFingerprint = f.systemFingerprint;
    if (!f.finishReasons().isEmpty()) {
      r.finishReasons = new ArrayList<String>(f.finishReasons());
    }
  }

  void emit(ResponseUsage record) {
    if (sink != null) {
      try {
        sink.accept(record);
        return;
      } catch (Throwable t) {
        log("sink", "TokenLedger usage sink failed: " + t.getClass().getName());
      }
    }
    if (kept.size() < MAX_RECORDS) {
      kept.add(record);
    } else {
      dropped++;
    }
  }

  /** The records kept so far, handed over once; logs how many were dropped over the bound. */
  List<ResponseUsage> drain() {
    if (dropped > 0) {
      log("records-dropped", "TokenLedger dropped " + dropped + " usage records of one " + api
          + " body (more than " + MAX_RECORDS + ")");
    }
    List<ResponseUsage> result = new ArrayList<ResponseUsage>(kept);
    kept.clear();
    return result;
  }

  void discard() {
    kept.clear();
  }

  static void log(String category, String message) {
    LOG.log(category, message);
  }

  static String shorten(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40);
  }
}
