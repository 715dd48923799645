package dev.tokenledger.usage;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.List;

/**
 * The tee consumer of one HTTP response body, shared by every transport: it is handed the bytes the
 * application reads, as it reads them, and at the end says what the response cost.
 *
 * <p>It undoes {@code gzip}/{@code deflate} incrementally and hands the decoded bytes to the reader
 * of the body's format ({@link OpenAiApi#bodyFormat}): {@link JsonBodyReader} (only {@code id},
 * {@code model}, {@code service_tier}, {@code system_fingerprint}, {@code status}, {@code object},
 * finish reasons and the raw {@code usage} subtree are kept), {@link EventStreamReader},
 * {@link BatchOutputReader}, {@link ErrorBodyReader}, or {@link UnreadBodyReader} for bodies judged
 * by their head alone. Nothing else is buffered: a 50 MB body costs one pass over its bytes and a
 * few KiB of memory ({@link #retainedBytes()}).
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
   * Largest scratch buffer for {@link ByteBuffer}s without an array to read (direct or read-only
   * ones; the caller's buffer is read, never moved).
   */
  static final int SCRATCH_BYTES = 8 * 1024;
  private static final int MIN_SCRATCH_BYTES = 512;

  /** Null when the endpoint is not billable: then nothing is read and nothing recorded. */
  private final BodyRecords records;
  private BodyReader reader;
  private ContentDecoder decoder;
  private String unsupportedEncoding;

  private long decodedBytes;
  private boolean overCap;
  private String internalError;
  private boolean finished;
  private byte[] scratch;

  private ResponseBodyCollector(
      OpenAiEndpoint endpoint, RequestInfo request, int httpStatus, String contentType,
      String contentEncoding) {
    this.records =
        endpoint == null
            ? null
            : new BodyRecords(endpoint.api(), request == null ? RequestInfo.unknown() : request, httpStatus);
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
  public synchronized ResponseBodyCollector streamRecordsTo(ResponseUsageSink sink) {
    if (records != null) {
      records.streamTo(sink);
    }
    return this;
  }

  private void setUp(String contentType, String contentEncoding) {
    if (records == null) {
      return;
    }
    ResponseBodyFormat format = records.api.bodyFormat(records.httpStatus, contentType, records.request.asksForEventStream());
    reader = readerFor(format);
    if (!reader.readsBytes()) {
      return; // the bytes are not needed
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

  private BodyReader readerFor(ResponseBodyFormat format) {
    switch (format) {
      case ERROR:
        return new ErrorBodyReader(records, false);
      case JSON_ERROR:
        return new ErrorBodyReader(records, true);
      case EVENT_STREAM:
        return new EventStreamReader(records);
      case JSON_LINES:
        return new BatchOutputReader(records);
      case AUDIO:
      case PLAIN_TEXT:
        return new UnreadBodyReader(records, format);
      default:
        return new JsonBodyReader(records);
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
      if (scratch == null || (scratch.length < dup.remaining() && scratch.length < SCRATCH_BYTES)) {
        // Sized to what arrives (a typical answer is a kilobyte or two), up to SCRATCH_BYTES: a
        // buffer of the full size for every response would be most of what a call allocates.
        scratch = new byte[Math.min(SCRATCH_BYTES, Math.max(MIN_SCRATCH_BYTES, dup.remaining()))];
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
    if (decodedBytes + len > BodyEnd.MAX_BODY_BYTES) {
      len = (int) (BodyEnd.MAX_BODY_BYTES - decodedBytes);
      overCap = true;
    }
    decodedBytes += len;
    if (len > 0) {
      reader.feed(b, off, len);
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
    if (records == null) {
      return Collections.emptyList();
    }
    try {
      conclude(reachedEnd);
    } catch (Throwable t) {
      records.discard();
      records.emit(records.missing(
          "internal error (" + t.getClass().getSimpleName() + ")", ResponseUsage.STATUS_UNREADABLE));
      BodyRecords.log("internal-error",
          "TokenLedger could not read a " + records.api + " response: " + t.getClass().getName());
    } finally {
      if (decoder != null) {
        try {
          decoder.end();
        } catch (Throwable ignored) {
          // native memory is also released when the inflater is collected
        }
      }
    }
    return records.drain();
  }

  private void conclude(boolean reachedEnd) {
    if (reader == null) {
      return; // set-up failed before a reader was chosen; the caller records the response as unread
    }
    if (unsupportedEncoding != null && reader.readsUsage()) {
      if (records.api != OpenAiApi.BATCH_OUTPUT) {
        records.emit(records.missing(
            "unsupported content-encoding " + BodyRecords.shorten(unsupportedEncoding),
            ResponseUsage.STATUS_UNREADABLE));
      }
      BodyRecords.log("unsupported-encoding", "TokenLedger cannot read " + records.api
          + " responses with Content-Encoding " + BodyRecords.shorten(unsupportedEncoding)
          + "; their usage is recorded as missing");
      return;
    }
    String decodeError = decoder == null ? null : decoder.error();
    reader.conclude(new BodyEnd(reachedEnd, decodeError, internalError, overCap));
  }

  /** Internal buffers currently held, in bytes (tests check it stays bounded). */
  synchronized int retainedBytes() {
    int n = scratch == null ? 0 : scratch.length;
    if (decoder != null) {
      n += decoder.retainedBytes();
    }
    if (reader != null) {
      n += reader.retainedBytes();
    }
    return n;
  }

  /** Decoded bytes examined so far. */
  synchronized long decodedBytes() {
    return decodedBytes;
  }
}
