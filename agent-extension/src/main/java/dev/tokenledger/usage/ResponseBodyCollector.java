package dev.tokenledger.usage;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.logging.Logger;

/**
 * The tee consumer of one HTTP response body, shared by every transport: it is handed the bytes the
 * application reads, as it reads them, and at the end says what the response cost.
 *
 * <p>It undoes {@code gzip}/{@code deflate} incrementally, then reads the body in one of three
 * ways: a JSON body through the streaming scanner (only {@code id}, {@code model},
 * {@code service_tier}, {@code system_fingerprint}, {@code status}, {@code object}, finish reasons
 * and the raw {@code usage} subtree are kept); an SSE stream split into events, each event's data
 * scanned the same way; a Batch output file split into JSON lines. Nothing else is buffered: a 50 MB
 * body costs one pass over its bytes and a few KiB of memory ({@link #retainedBytes()}).
 *
 * <h2>What {@link #finish(boolean)} returns</h2>
 *
 * <ul>
 *   <li>Not billable (null endpoint): nothing.
 *   <li>HTTP ≥ 400: one record, status {@code error}, source {@code none}, zero tokens, diagnostic
 *       {@code "HTTP <status>"} plus the error code when the body gives one. (For
 *       {@code batch.output} downloads: nothing — a failed file download is not a model request.)
 *   <li>Audio speech with a binary body: one record, source {@code counted}, the request's input
 *       characters, zero tokens. With {@code stream_format=sse}: the {@code speech.audio.done} usage.
 *   <li>Moderations: one record, source {@code reported}, zero tokens (free; counts the request).
 *   <li>Images streams: one record per {@code image_generation.completed}/{@code image_edit.completed}
 *       event with usage (whether several such events of one request each carry the whole request's
 *       usage is UNVERIFIED; OpenAI documents one completed event per generated image).
 *   <li>Batch output ({@code GET …/files/{id}/content}): one record per line that has
 *       {@code response.body.usage} and a status code below 400, {@code batch=true}, api from the
 *       line's {@code url} or the body's {@code object}; other lines are ignored. No missing record
 *       when there are none: a download is not a model request.
 *   <li>Everything else: exactly one record — source {@code reported} when the usage object arrived
 *       whole (even if the body broke later), else source {@code missing} with zero tokens and a
 *       diagnostic. Tokens are never estimated.
 * </ul>
 *
 * Status and source vocabularies are documented on {@link ResponseUsage}. No method throws; all are
 * cheap and thread-safe (transports may end a body on another thread than the one reading it).
 */
public final class ResponseBodyCollector {

  /**
   * Decoded bytes examined per body (1 GiB). Beyond it bytes are ignored: a body that large has long
   * since delivered its usage or is not an OpenAI response; it also bounds the work a compression
   * bomb can cause.
   */
  static final long MAX_BODY_BYTES = 1L << 30;
  /**
   * Records kept for {@link #finish(boolean)} when no sink is set: a Batch API output file holds at
   * most 50,000 requests. Beyond it records are dropped (and logged); set a sink to stream them.
   */
  static final int MAX_RECORDS = 50_000;
  /** Scratch buffer for direct {@link ByteBuffer}s (the caller's buffer is read, never moved). */
  static final int SCRATCH_BYTES = 8 * 1024;

  private static final Logger LOGGER = Logger.getLogger("dev.tokenledger.usage");
  private static final RateLimitedLog LOG = new RateLimitedLog(LOGGER, RateLimitedLog.DEFAULT_INTERVAL_SECONDS);

  private static final int MODE_NONE = 0;
  private static final int MODE_ERROR = 1;
  private static final int MODE_JSON = 2;
  private static final int MODE_SSE = 3;
  private static final int MODE_JSONL = 4;
  private static final int MODE_SPEECH_BINARY = 5;
  private static final int MODE_TEXT_FORMAT = 6;

  /** Sink for records found while bytes are still arriving (batch lines, image events). */
  public interface RecordSink {
    void accept(ResponseUsage record);
  }

  private final OpenAiEndpoint endpoint;
  private final RequestInfo request;
  private final int httpStatus;
  private final String api;
  private int mode;
  private ContentDecoder decoder;
  private String unsupportedEncoding;

  private DocCapture doc;
  private JsonStreamScanner scanner;
  private SseParser sse;
  private StreamState stream;
  private JsonLines lines;

  private long decodedBytes;
  private boolean overCap;
  private String internalError;
  private boolean finished;
  private byte[] scratch;
  private final List<ResponseUsage> records = new ArrayList<ResponseUsage>(1);
  private long droppedRecords;
  private RecordSink sink;

  private ResponseBodyCollector(
      OpenAiEndpoint endpoint, RequestInfo request, int httpStatus, String contentType,
      String contentEncoding) {
    this.endpoint = endpoint;
    this.request = request == null ? RequestInfo.unknown() : request;
    this.httpStatus = httpStatus;
    this.api = endpoint == null ? null : endpoint.api();
    try {
      setUp(contentType, contentEncoding);
    } catch (Throwable t) {
      internalError = t.getClass().getSimpleName();
    }
  }

  /**
   * A collector for one response. {@code ep} null means "not billable" (finish returns nothing);
   * {@code req} null means unknown. Never throws.
   */
  public static ResponseBodyCollector create(
      OpenAiEndpoint ep, RequestInfo req, int httpStatus, String contentType, String contentEncoding) {
    return new ResponseBodyCollector(ep, req, httpStatus, contentType, contentEncoding);
  }

  /**
   * Hands records to {@code sink} as soon as they are complete (batch lines, image stream events)
   * instead of keeping them for {@link #finish(boolean)}, which then returns only the rest. The sink
   * is called on the thread delivering bytes; its exceptions are caught.
   */
  public synchronized ResponseBodyCollector streamRecordsTo(RecordSink sink) {
    this.sink = sink;
    return this;
  }

  private void setUp(String contentType, String contentEncoding) {
    String ct = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
    boolean eventStream = ct.contains("text/event-stream") || (ct.isEmpty() && request.asksForEventStream());
    if (endpoint == null) {
      mode = MODE_NONE;
      return;
    }
    if (httpStatus >= 400) {
      mode = MODE_ERROR;
      if (!ct.contains("json")) {
        return; // only a JSON error body has a code worth reading
      }
    } else if ("batch.output".equals(api)) {
      mode = MODE_JSONL;
    } else if ("audio.speech".equals(api)) {
      mode = eventStream ? MODE_SSE : MODE_SPEECH_BINARY;
    } else if (eventStream) {
      mode = MODE_SSE;
    } else if (("audio.transcriptions".equals(api) || "audio.translations".equals(api))
        && !ct.isEmpty() && !ct.contains("json")) {
      mode = MODE_TEXT_FORMAT; // text, srt, vtt: no usage in the body
    } else {
      mode = MODE_JSON;
    }
    if (mode == MODE_SPEECH_BINARY || mode == MODE_TEXT_FORMAT) {
      return; // the bytes are not needed
    }
    switch (mode) {
      case MODE_SSE:
        stream = new StreamState();
        sse = new SseParser(stream);
        break;
      case MODE_JSONL:
        lines = new JsonLines();
        break;
      default:
        doc = new DocCapture();
        scanner = new JsonStreamScanner(doc);
        scanner.reset();
    }
    decoder =
        ContentDecoder.forEncoding(
            contentEncoding,
            new ContentDecoder.Sink() {
              @Override
              public void accept(byte[] b, int off, int len) {
                onDecoded(b, off, len);
              }
            });
    if (decoder == null) {
      unsupportedEncoding = contentEncoding.trim();
    }
  }

  /** Bytes of the body as the application read them; never throws, never keeps the array. */
  public synchronized void onBytes(byte[] b, int off, int len) {
    if (finished || decoder == null || b == null || len <= 0 || overCap || internalError != null) {
      return;
    }
    try {
      if (off < 0 || len > b.length - off) {
        return;
      }
      decoder.write(b, off, len);
    } catch (Throwable t) {
      internalError = t.getClass().getSimpleName();
    }
  }

  /** Reads the buffer's remaining bytes through a duplicate: its position and limit stay as they are. */
  public synchronized void onBytes(ByteBuffer buf) {
    if (finished || decoder == null || buf == null || overCap || internalError != null) {
      return;
    }
    try {
      ByteBuffer dup = buf.duplicate();
      if (!dup.hasRemaining()) {
        return;
      }
      if (dup.hasArray()) {
        onBytes(dup.array(), dup.arrayOffset() + dup.position(), dup.remaining());
        return;
      }
      if (scratch == null) {
        scratch = new byte[SCRATCH_BYTES];
      }
      while (dup.hasRemaining() && !overCap && internalError == null) {
        int n = Math.min(scratch.length, dup.remaining());
        dup.get(scratch, 0, n);
        onBytes(scratch, 0, n);
      }
    } catch (Throwable t) {
      internalError = t.getClass().getSimpleName();
    }
  }

  private void onDecoded(byte[] b, int off, int len) {
    if (overCap) {
      return;
    }
    if (decodedBytes + len > MAX_BODY_BYTES) {
      len = (int) (MAX_BODY_BYTES - decodedBytes);
      overCap = true;
    }
    decodedBytes += len;
    if (len <= 0) {
      return;
    }
    switch (mode) {
      case MODE_SSE:
        sse.feed(b, off, len);
        break;
      case MODE_JSONL:
        lines.feed(b, off, len);
        break;
      default:
        scanner.feed(b, off, len);
    }
  }

  /**
   * The body is over: {@code reachedEnd} when it was read to its end, false when the application
   * closed it early or the transport failed. Returns the records (see the class comment); a second
   * call returns an empty list. Never throws.
   */
  public synchronized List<ResponseUsage> finish(boolean reachedEnd) {
    if (finished) {
      return Collections.emptyList();
    }
    finished = true;
    try {
      conclude(reachedEnd);
    } catch (Throwable t) {
      records.clear();
      records.add(missing("internal error (" + t.getClass().getSimpleName() + ")", ResponseUsage.STATUS_UNREADABLE));
      log("internal-error", "TokenLedger could not read a " + api + " response: " + t.getClass().getName());
    } finally {
      if (decoder != null) {
        try {
          decoder.end();
        } catch (Throwable ignored) {
          // native memory is also released when the inflater is collected
        }
      }
    }
    if (droppedRecords > 0) {
      log("records-dropped", "TokenLedger dropped " + droppedRecords + " usage records of one " + api
          + " body (more than " + MAX_RECORDS + ")");
    }
    List<ResponseUsage> result = new ArrayList<ResponseUsage>(records);
    records.clear();
    return result;
  }

  private void conclude(boolean reachedEnd) {
    switch (mode) {
      case MODE_NONE:
        return;
      case MODE_ERROR:
        concludeError();
        return;
      case MODE_SPEECH_BINARY:
        {
          ResponseUsage.Builder r = base();
          r.source = ResponseUsage.SOURCE_COUNTED;
          r.status = reachedEnd ? ResponseUsage.STATUS_COMPLETED : ResponseUsage.STATUS_TRUNCATED;
          r.usage = TokenUsage.builder().inputCharacters(request.inputCharacters()).build();
          if (!request.parsed()) {
            r.diagnostic = "request not read; input characters unknown";
          }
          emit(r.build());
          return;
        }
      case MODE_TEXT_FORMAT:
        emit(missing(
            "response_format " + (request.responseFormat() == null ? "(plain text)" : request.responseFormat())
                + " carries no usage",
            reachedEnd ? ResponseUsage.STATUS_COMPLETED : ResponseUsage.STATUS_TRUNCATED));
        return;
      default:
        break;
    }
    if (unsupportedEncoding != null) {
      if (!"batch.output".equals(api)) {
        emit(missing("unsupported content-encoding " + shorten(unsupportedEncoding), ResponseUsage.STATUS_UNREADABLE));
      }
      log("unsupported-encoding", "TokenLedger cannot read " + api + " responses with Content-Encoding "
          + shorten(unsupportedEncoding) + "; their usage is recorded as missing");
      return;
    }
    String decodeError = decoder == null ? null : decoder.error();
    switch (mode) {
      case MODE_SSE:
        stream.streamEnding = true;
        sse.finish();
        stream.conclude(reachedEnd, decodeError);
        return;
      case MODE_JSONL:
        lines.finish();
        if (internalError != null || decodeError != null) {
          log("batch-unreadable", "TokenLedger could not read all of a batch output file: "
              + (internalError != null ? "internal error " + internalError : decodeError));
        }
        return;
      default:
        concludeJson(reachedEnd, decodeError);
    }
  }

  private void concludeError() {
    if ("batch.output".equals(api)) {
      return;
    }
    ResponseUsage.Builder r = base();
    r.source = ResponseUsage.SOURCE_NONE;
    r.status = ResponseUsage.STATUS_ERROR;
    StringBuilder diag = new StringBuilder("HTTP ").append(httpStatus);
    if (scanner != null) {
      scanner.end();
      String code = doc.top.errorCode != null ? doc.top.errorCode : doc.top.errorType;
      if (code != null) {
        diag.append(' ').append(shorten(code));
      }
    }
    r.diagnostic = diag.toString();
    emit(r.build());
  }

  private void concludeJson(boolean reachedEnd, String decodeError) {
    scanner.end();
    DocCapture.Fields top = doc.top;
    ResponseUsage.Builder r = base();
    fill(r, top);
    String status;
    if (internalError != null || decodeError != null || scanner.failed()) {
      status = ResponseUsage.STATUS_UNREADABLE;
    } else if (!scanner.complete()) {
      status = ResponseUsage.STATUS_TRUNCATED;
    } else {
      status = ResponseUsage.STATUS_COMPLETED;
    }
    boolean responsesApi = "responses".equals(api) || "responses.compact".equals(api);
    if (responsesApi && top.status != null && (scanner.complete() || top.hasUsage())) {
      status = top.status;
    }
    r.status = status;

    if ("moderations".equals(api)) {
      r.source = ResponseUsage.SOURCE_REPORTED;
      r.usage = TokenUsage.zero();
      r.diagnostic = status.equals(ResponseUsage.STATUS_COMPLETED) ? null : problem(reachedEnd, decodeError);
      emit(r.build());
      return;
    }
    if (top.hasUsage()) {
      if (reported(r, top.usageRaw, api)) {
        emit(r.build());
        return;
      }
    } else if (top.duration != null
        && ("audio.transcriptions".equals(api) || "audio.translations".equals(api))) {
      double seconds = parseSeconds(top.duration);
      if (seconds >= 0) {
        r.source = ResponseUsage.SOURCE_REPORTED;
        r.usage = TokenUsage.builder().audioSeconds(seconds).build();
        emit(r.build());
        return;
      }
    }
    r.source = ResponseUsage.SOURCE_MISSING;
    r.usage = TokenUsage.zero();
    if (r.diagnostic == null) {
      r.diagnostic = missingReason(top, responsesApi, reachedEnd, decodeError);
    }
    emit(r.build());
    logMissing(r);
  }

  private String missingReason(DocCapture.Fields top, boolean responsesApi, boolean reachedEnd, String decodeError) {
    if (top.usageOverflow) {
      return "usage object larger than " + (JsonStreamScanner.MAX_RAW_BYTES / 1024) + " KiB";
    }
    String problem = problem(reachedEnd, decodeError);
    if (problem != null) {
      return problem;
    }
    if (responsesApi && ("queued".equals(top.status) || "in_progress".equals(top.status))) {
      return "background response: usage comes only with its retrieval";
    }
    if ("audio.translations".equals(api)) {
      return "translation response carries no usage or duration";
    }
    return top.usageSeen ? "usage is null" : "provider omitted usage";
  }

  /** Why the body could not be read to its end, or null when it was. */
  private String problem(boolean reachedEnd, String decodeError) {
    if (internalError != null) {
      return "internal error (" + internalError + ")";
    }
    if (decodeError != null) {
      return decodeError;
    }
    if (scanner.failed()) {
      return "malformed JSON at byte " + scanner.errorOffset() + " (" + scanner.error() + ")";
    }
    if (!scanner.sawValue()) {
      return reachedEnd ? "empty body" : "body closed before any data";
    }
    if (!scanner.complete()) {
      if (overCap) {
        return "body larger than " + (MAX_BODY_BYTES >> 20) + " MiB; not read to its end";
      }
      return reachedEnd ? "body ended before usage" : "body not fully read (closed early or transport failed)";
    }
    return null;
  }

  /** Fills a reported record from a captured usage text; false when it is not usable usage. */
  private boolean reported(ResponseUsage.Builder r, String usageRaw, String usageApi) {
    JsonObject usage;
    try {
      usage = Json.parseObject(usageRaw);
    } catch (JsonException e) {
      r.diagnostic = "usage object is not valid JSON";
      return false;
    }
    if (!UsageParser.hasCounts(usage)) {
      r.diagnostic = "usage object without token counts";
      return false;
    }
    TokenUsage tokens = UsageParser.forApi(usageApi, usage);
    if ("audio.speech".equals(api) && request.inputCharacters() > 0) {
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

  private ResponseUsage.Builder base() {
    ResponseUsage.Builder r = new ResponseUsage.Builder();
    r.api = api;
    return r;
  }

  private static void fill(ResponseUsage.Builder r, DocCapture.Fields f) {
    r.responseId = f.id;
    r.responseModel = f.model;
    r.serviceTier = f.serviceTier;
    r.systemFingerprint = f.systemFingerprint;
    if (!f.finishReasons().isEmpty()) {
      r.finishReasons = new ArrayList<String>(f.finishReasons());
    }
  }

  private ResponseUsage missing(String diagnostic, String status) {
    ResponseUsage.Builder r = base();
    r.source = ResponseUsage.SOURCE_MISSING;
    r.status = status;
    r.diagnostic = diagnostic;
    return r.build();
  }

  private void emit(ResponseUsage record) {
    if (sink != null) {
      try {
        sink.accept(record);
        return;
      } catch (Throwable t) {
        log("sink", "TokenLedger usage sink failed: " + t.getClass().getName());
      }
    }
    if (records.size() < MAX_RECORDS) {
      records.add(record);
    } else {
      droppedRecords++;
    }
  }

  private void logMissing(ResponseUsage.Builder r) {
    if (ResponseUsage.STATUS_UNREADABLE.equals(r.status)) {
      log("unreadable-response", "TokenLedger could not read the usage of a " + api + " response: " + r.diagnostic);
    }
  }

  private static void log(String category, String message) {
    LOG.log(category, message);
  }

  private static double parseSeconds(String s) {
    try {
      double d = Double.parseDouble(s);
      return d >= 0 && !Double.isInfinite(d) ? d : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static String shorten(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40);
  }

  /** Internal buffers currently held, in bytes (tests check it stays bounded). */
  synchronized int retainedBytes() {
    int n = scratch == null ? 0 : scratch.length;
    if (decoder != null) {
      n += decoder.retainedBytes();
    }
    if (scanner != null) {
      n += scanner.retainedBytes();
    }
    if (sse != null) {
      n += sse.retainedBytes();
    }
    if (lines != null) {
      n += lines.scanner.retainedBytes();
    }
    return n;
  }

  /** Decoded bytes examined so far. */
  synchronized long decodedBytes() {
    return decodedBytes;
  }

  // ---------------------------------------------------------------------------------------------
  // SSE

  /** The state of one event stream, updated per event (Chat/Completions chunks, Responses events…). */
  private final class StreamState implements SseParser.Listener {
    String id;
    String model;
    String serviceTier;
    String systemFingerprint;
    List<String> finishReasons;
    String usageRaw;
    String usageStatus;
    String responseStatus;
    boolean done;
    boolean errorEvent;
    String errorCode;
    long malformedEvents;
    String firstMalformed;
    boolean lastEventIncomplete;
    boolean streamEnding;
    boolean usageOverflow;
    int imageRecords;

    @Override
    public void onEvent(String eventName, JsonStreamScanner sc, DocCapture d, boolean isDone) {
      if (isDone) {
        done = true;
        return;
      }
      if (sc.failed() || !sc.complete()) {
        if (!sc.failed() && !sc.sawValue()) {
          return; // an empty data field
        }
        if (!sc.failed() && streamEnding) {
          lastEventIncomplete = true; // the stream stopped inside this event
          return;
        }
        malformedEvents++;
        if (firstMalformed == null) {
          firstMalformed = sc.failed()
              ? "malformed event data at byte " + sc.errorOffset() + " of an event (" + sc.error() + ")"
              : "event data ended mid-JSON";
        }
        return;
      }
      lastEventIncomplete = false;
      DocCapture.Fields top = d.top;
      DocCapture.Fields resp = d.response;
      String type = top.type != null ? top.type : eventName;
      if ("error".equals(type) || (top.errorSeen && !resp.objectSeen && !top.hasUsage())) {
        errorEvent = true;
        if (errorCode == null) {
          errorCode = top.code != null ? top.code : top.errorCode != null ? top.errorCode : top.errorType;
        }
      }
      DocCapture.Fields identity = resp.objectSeen ? resp : top;
      id = firstNonEmpty(identity.id, id);
      model = firstNonEmpty(identity.model, model);
      serviceTier = firstNonEmpty(identity.serviceTier, serviceTier);
      systemFingerprint = firstNonEmpty(identity.systemFingerprint, systemFingerprint);
      for (String reason : top.finishReasons()) {
        if (finishReasons == null) {
          finishReasons = new ArrayList<String>(2);
        }
        if (finishReasons.size() < DocCapture.MAX_FINISH_REASONS) {
          finishReasons.add(reason);
        }
      }
      if (resp.objectSeen && isTerminal(type)) {
        responseStatus = resp.status != null ? resp.status : type.substring("response.".length());
      }
      String candidate = null;
      if (resp.objectSeen && resp.hasUsage()) {
        candidate = resp.usageRaw;
      } else if (top.hasUsage()) {
        candidate = top.usageRaw;
      }
      if (resp.usageOverflow || top.usageOverflow) {
        usageOverflow = true;
      }
      if (candidate == null) {
        return;
      }
      if (api.startsWith("images.")) {
        ResponseUsage.Builder r = base();
        r.status = ResponseUsage.STATUS_COMPLETED;
        if (reported(r, candidate, api)) {
          imageRecords++;
          emit(r.build());
        }
        return;
      }
      usageRaw = candidate; // the last one wins (compatible servers may repeat cumulative usage)
      usageStatus = resp.objectSeen ? resp.status : null;
    }

    void conclude(boolean reachedEnd, String decodeError) {
      if (api.startsWith("images.") && imageRecords > 0) {
        return;
      }
      ResponseUsage.Builder r = base();
      r.responseId = id;
      r.responseModel = model;
      r.serviceTier = serviceTier;
      r.systemFingerprint = systemFingerprint;
      r.finishReasons = finishReasons;
      String status;
      if (responseStatus != null) {
        status = responseStatus;
      } else if (usageStatus != null) {
        status = usageStatus;
      } else if (usageRaw != null) {
        status = ResponseUsage.STATUS_COMPLETED;
      } else if (errorEvent) {
        status = ResponseUsage.STATUS_ERROR;
      } else if (internalError != null || decodeError != null) {
        status = ResponseUsage.STATUS_UNREADABLE;
      } else if (done || (reachedEnd && !usesDoneSentinel() && !lastEventIncomplete)) {
        status = ResponseUsage.STATUS_COMPLETED;
      } else {
        status = ResponseUsage.STATUS_TRUNCATED;
      }
      r.status = status;
      if (usageRaw != null && reported(r, usageRaw, api)) {
        emit(r.build());
        return;
      }
      r.source = ResponseUsage.SOURCE_MISSING;
      r.usage = TokenUsage.zero();
      if (r.diagnostic == null) {
        r.diagnostic = missingReason(reachedEnd, decodeError);
      }
      emit(r.build());
      if (ResponseUsage.STATUS_UNREADABLE.equals(status) || malformedEvents > 0) {
        log("unreadable-stream", "TokenLedger could not read the usage of a " + api + " stream: " + r.diagnostic);
      }
    }

    private String missingReason(boolean reachedEnd, String decodeError) {
      if (internalError != null) {
        return "internal error (" + internalError + ")";
      }
      if (decodeError != null) {
        return decodeError;
      }
      if (usageOverflow) {
        return "usage object larger than " + (JsonStreamScanner.MAX_RAW_BYTES / 1024) + " KiB";
      }
      if (errorEvent) {
        return "stream error event" + (errorCode != null ? " " + shorten(errorCode) : "");
      }
      if (responseStatus != null) {
        return responseStatus + " response carried no usage";
      }
      boolean chatLike = usesDoneSentinel();
      if (chatLike && request.parsed() && !request.includeUsage() && (done || reachedEnd)) {
        return "include_usage not requested";
      }
      if (overCap) {
        return "stream larger than " + (MAX_BODY_BYTES >> 20) + " MiB; not read to its end";
      }
      if (!reachedEnd) {
        return chatLike && request.parsed() && !request.includeUsage()
            ? "stream closed early; include_usage not requested"
            : "stream closed before usage";
      }
      if (firstMalformed != null) {
        return firstMalformed;
      }
      if (lastEventIncomplete) {
        return "stream ended mid-event before usage";
      }
      if (chatLike && !request.parsed()) {
        return "stream carried no usage (request not read; include_usage unknown)";
      }
      return "stream ended before usage";
    }

    private boolean usesDoneSentinel() {
      return "chat.completions".equals(api) || "completions".equals(api);
    }
  }

  private static boolean isTerminal(String type) {
    return "response.completed".equals(type)
        || "response.incomplete".equals(type)
        || "response.failed".equals(type)
        || "response.cancelled".equals(type);
  }

  private static String firstNonEmpty(String candidate, String current) {
    return candidate != null && !candidate.isEmpty() ? candidate : current;
  }

  // ---------------------------------------------------------------------------------------------
  // Batch output JSONL

  /**
   * One JSON document per line; a line is scanned as it streams (never buffered), so line length
   * costs no memory. A line that does not parse is ignored.
   */
  private final class JsonLines {
    final DocCapture lineDoc = new DocCapture();
    final JsonStreamScanner scanner = new JsonStreamScanner(lineDoc);
    boolean inLine;
    long malformedLines;

    void feed(byte[] b, int off, int len) {
      int end = off + len;
      int i = off;
      while (i < end) {
        int j = i;
        while (j < end && b[j] != '\n') {
          j++;
        }
        if (j > i) {
          if (!inLine) {
            inLine = true;
            scanner.reset();
            lineDoc.reset();
          }
          scanner.feed(b, i, j - i);
        }
        if (j < end) {
          endLine();
          j++;
        }
        i = j;
      }
    }

    void finish() {
      endLine();
      if (malformedLines > 0) {
        log("batch-malformed", "TokenLedger ignored " + malformedLines + " unreadable line(s) of a batch output file");
      }
    }

    private void endLine() {
      if (!inLine) {
        return;
      }
      inLine = false;
      scanner.end();
      if (!scanner.complete()) {
        if (scanner.sawValue()) {
          malformedLines++;
        }
        return;
      }
      DocCapture.Fields top = lineDoc.top;
      DocCapture.Fields body = lineDoc.body;
      if (!body.hasUsage()) {
        return;
      }
      String statusCode = lineDoc.response.statusCode;
      if (statusCode != null) {
        try {
          if (Double.parseDouble(statusCode) >= 400) {
            return;
          }
        } catch (NumberFormatException ignored) {
          // not a number: judge by the body
        }
      }
      String lineApi = batchLineApi(top.url, body.object);
      ResponseUsage.Builder r = new ResponseUsage.Builder();
      r.api = lineApi;
      r.batch = true;
      r.batchRequestId = top.id;
      fill(r, body);
      r.status = body.status != null ? body.status : ResponseUsage.STATUS_COMPLETED;
      if (!reported(r, body.usageRaw, lineApi)) {
        r.source = ResponseUsage.SOURCE_MISSING;
        r.usage = TokenUsage.zero();
      }
      emit(r.build());
    }
  }

  /** The API of a batch line: from its {@code url} when present, else from the body's {@code object}. */
  static String batchLineApi(String url, String object) {
    if (url != null) {
      OpenAiEndpoint ep = OpenAiEndpoint.classify("POST", url, null);
      if (ep != null) {
        return ep.api();
      }
    }
    if (object != null) {
      switch (object) {
        case "chat.completion":
          return "chat.completions";
        case "text_completion":
          return "completions";
        case "response":
          return "responses";
        case "response.compaction":
          return "responses.compact";
        case "list":
          return "embeddings";
        default:
          break;
      }
    }
    return "batch.output";
  }
}
