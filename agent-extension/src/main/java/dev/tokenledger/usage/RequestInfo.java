package dev.tokenledger.usage;

import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * What the request body says that the response does not: the requested model, streaming and
 * {@code stream_options.include_usage}, the requested service tier, the speech input's length, the
 * transcription response format.
 *
 * <p>Reads JSON bodies with the streaming scanner and {@code multipart/form-data} bodies with a
 * boundary scanner, to the end: state stays bounded however long the body, and the fields that
 * matter often come last (SDKs write {@code model} after {@code messages}, and after the uploaded
 * file). Nothing but the few fields above is materialised: prompts, messages, images and audio are
 * skipped byte by byte (the speech {@code input} is counted, never kept). Never throws.
 */
public final class RequestInfo {

  /**
   * The most a transport should copy of a request body up front (1 MiB): enough for nearly every
   * JSON request, cheap to serialise twice. Longer or one-shot bodies are fed to a {@link Scanner}
   * as the client writes them instead.
   */
  public static final int MAX_REQUEST_BYTES = 1024 * 1024;

  /** Longest form-field value kept (model names, formats). */
  static final int MAX_FIELD_BYTES = 256;

  private static final RequestInfo UNKNOWN =
      new RequestInfo(null, false, false, null, 0, null, null, false, false);

  private final String model;
  private final boolean stream;
  private final boolean includeUsage;
  private final String requestedServiceTier;
  private final long inputCharacters;
  private final String responseFormat;
  private final String streamFormat;
  private final boolean background;
  private final boolean parsed;

  private RequestInfo(
      String model,
      boolean stream,
      boolean includeUsage,
      String requestedServiceTier,
      long inputCharacters,
      String responseFormat,
      String streamFormat,
      boolean background,
      boolean parsed) {
    this.model = model;
    this.stream = stream;
    this.includeUsage = includeUsage;
    this.requestedServiceTier = requestedServiceTier;
    this.inputCharacters = inputCharacters;
    this.responseFormat = responseFormat;
    this.streamFormat = streamFormat;
    this.background = background;
    this.parsed = parsed;
  }

  /** Nothing known about the request (the transport could not read its body). */
  public static RequestInfo unknown() {
    return UNKNOWN;
  }

  /** Parses the first {@code len} bytes of a request body. Never throws. */
  public static RequestInfo parse(OpenAiEndpoint ep, byte[] body, int len, String contentType) {
    if (body == null) {
      return UNKNOWN;
    }
    Scanner s = scanner(ep, contentType);
    s.onBytes(body, 0, Math.max(0, Math.min(len, body.length)));
    return s.finish();
  }

  /** An incremental reader for transports that see the request body as it is written. */
  public static Scanner scanner(OpenAiEndpoint ep, String contentType) {
    return new Scanner(ep, contentType);
  }

  /** {@code model} of the JSON body or form; null when absent (Azure deployment paths omit it). */
  public String model() {
    return model;
  }

  /** {@code stream: true} (JSON) or form field {@code stream=true}. */
  public boolean stream() {
    return stream;
  }

  /** {@code stream_options.include_usage: true}. */
  public boolean includeUsage() {
    return includeUsage;
  }

  /** {@code service_tier} as requested (the response says which tier was used). */
  public String requestedServiceTier() {
    return requestedServiceTier;
  }

  /** Audio speech: Unicode code points of {@code input} (tts-1 is billed per character); else 0. */
  public long inputCharacters() {
    return inputCharacters;
  }

  /** {@code response_format} when it is a string (transcriptions: json, text, srt, verbose_json, vtt…). */
  public String responseFormat() {
    return responseFormat;
  }

  /** Audio speech {@code stream_format} ({@code audio} or {@code sse}). */
  public String streamFormat() {
    return streamFormat;
  }

  /** Responses {@code background: true}: the POST returns before the usage exists. */
  public boolean background() {
    return background;
  }

  /** True when a body was read (false for {@link #unknown()}). */
  public boolean parsed() {
    return parsed;
  }

  /** True when the response will be an SSE stream by the request's own account. */
  boolean asksForEventStream() {
    return stream || "sse".equalsIgnoreCase(streamFormat);
  }

  @Override
  public String toString() {
    return "RequestInfo{model=" + model + ", stream=" + stream + ", includeUsage=" + includeUsage
        + ", serviceTier=" + requestedServiceTier + ", inputCharacters=" + inputCharacters
        + ", responseFormat=" + responseFormat + ", parsed=" + parsed + "}";
  }

  /**
   * Feeds a request body incrementally; {@link #finish()} gives the result. Never throws. Feeding and
   * finishing are synchronized: a client may read the response head (and so finish the scan) on one
   * thread while another still publishes the body, after an early answer to a large upload.
   */
  public static final class Scanner implements ByteSink {
    private final Fields fields = new Fields();
    private final JsonStreamScanner json;
    private final MultipartScanner multipart;
    private boolean broken;
    private RequestInfo result;

    Scanner(OpenAiEndpoint ep, String contentType) {
      JsonStreamScanner j = null;
      MultipartScanner m = null;
      try {
        String boundary = multipartBoundary(contentType);
        if (boundary != null) {
          m = new MultipartScanner(boundary, fields);
        } else {
          boolean countInput = ep != null && ep.api() == OpenAiApi.AUDIO_SPEECH;
          j = new JsonStreamScanner(new RequestHandler(fields, countInput));
          j.reset();
        }
      } catch (Throwable t) {
        broken = true;
      }
      this.json = j;
      this.multipart = m;
    }

    @Override
    public synchronized void onBytes(byte[] b, int off, int len) {
      if (broken || result != null || b == null || len <= 0) {
        return;
      }
      try {
        // No byte cap here: both scanners keep bounded state however long the body, and a
        // multipart upload names its model after the file, a JSON body after its messages.
        if (json != null) {
          json.feed(b, off, len);
        } else if (multipart != null) {
          multipart.feed(b, off, len);
        }
      } catch (Throwable t) {
        broken = true;
      }
    }

    /** Reads a duplicate: the caller's position and limit are untouched. */
    public void onBytes(ByteBuffer buffer) {
      if (broken || result != null || buffer == null) {
        return;
      }
      try {
        ByteBuffer dup = buffer.duplicate();
        if (dup.hasArray()) {
          onBytes(dup.array(), dup.arrayOffset() + dup.position(), dup.remaining());
          return;
        }
        byte[] chunk = new byte[Math.min(8192, Math.max(1, dup.remaining()))];
        while (dup.hasRemaining()) {
          int n = Math.min(chunk.length, dup.remaining());
          dup.get(chunk, 0, n);
          onBytes(chunk, 0, n);
        }
      } catch (Throwable t) {
        broken = true;
      }
    }

    public synchronized RequestInfo finish() {
      if (result == null) {
        try {
          if (json != null) {
            json.end();
          }
          result =
              new RequestInfo(
                  fields.model,
                  fields.stream,
                  fields.includeUsage,
                  fields.serviceTier,
                  fields.inputCharacters,
                  fields.responseFormat,
                  fields.streamFormat,
                  fields.background,
                  true);
        } catch (Throwable t) {
          result = UNKNOWN;
        }
      }
      return result;
    }
  }

  private static final class Fields {
    String model;
    boolean stream;
    boolean includeUsage;
    String serviceTier;
    long inputCharacters;
    String responseFormat;
    String streamFormat;
    boolean background;

    void set(String name, String value, boolean isString) {
      switch (name) {
        case "model":
          if (isString) {
            model = value;
          }
          break;
        case "stream":
          stream = isTrue(value);
          break;
        case "service_tier":
          if (isString) {
            serviceTier = value;
          }
          break;
        case "response_format":
          if (isString) {
            responseFormat = value;
          }
          break;
        case "stream_format":
          if (isString) {
            streamFormat = value;
          }
          break;
        case "background":
          background = isTrue(value);
          break;
        default:
          break;
      }
    }

    private static boolean isTrue(String v) {
      return v != null && ("true".equalsIgnoreCase(v.trim()) || "1".equals(v.trim()));
    }
  }

  /** The JSON request members of interest; everything else is skipped. */
  private static final class RequestHandler implements JsonStreamScanner.Handler {
    private final Fields fields;
    private final boolean countInput;

    RequestHandler(Fields fields, boolean countInput) {
      this.fields = fields;
      this.countInput = countInput;
    }

    @Override
    public int onValue(JsonStreamScanner path, byte first) {
      int d = path.depth();
      if (d == 0) {
        return JsonStreamScanner.ENTER;
      }
      String k = path.key(0);
      if (k == null) {
        return JsonStreamScanner.IGNORE;
      }
      if (d == 1) {
        switch (k) {
          case "model":
          case "stream":
          case "service_tier":
          case "response_format":
          case "stream_format":
          case "background":
            return JsonStreamScanner.SCALAR;
          case "input":
            return countInput && first == '"' ? JsonStreamScanner.COUNT : JsonStreamScanner.IGNORE;
          case "stream_options":
            return first == '{' ? JsonStreamScanner.ENTER : JsonStreamScanner.IGNORE;
          default:
            return JsonStreamScanner.IGNORE;
        }
      }
      if (d == 2 && "stream_options".equals(k) && "include_usage".equals(path.key(1))) {
        return JsonStreamScanner.SCALAR;
      }
      return JsonStreamScanner.IGNORE;
    }

    @Override
    public void onScalar(JsonStreamScanner path, int kind, String text) {
      if (path.depth() == 1) {
        fields.set(path.key(0), text, kind == JsonStreamScanner.KIND_STRING);
      } else if (path.depth() == 2) {
        fields.includeUsage = kind == JsonStreamScanner.KIND_TRUE;
      }
    }

    @Override
    public void onRaw(JsonStreamScanner path, String json) {}

    @Override
    public void onCount(JsonStreamScanner path, long codePoints) {
      fields.inputCharacters = codePoints;
    }
  }

  static String multipartBoundary(String contentType) {
    if (contentType == null
        || !contentType.toLowerCase(Locale.ROOT).trim().startsWith("multipart/form-data")) {
      return null;
    }
    for (String param : contentType.split(";")) {
      String p = param.trim();
      if (p.toLowerCase(Locale.ROOT).startsWith("boundary=")) {
        String b = p.substring("boundary=".length()).trim();
        if (b.length() >= 2 && b.startsWith("\"") && b.endsWith("\"")) {
          b = b.substring(1, b.length() - 1);
        }
        return b.isEmpty() || b.length() > 200 ? null : b;
      }
    }
    return null;
  }

  /**
   * {@code multipart/form-data} (RFC 7578): finds each part's {@code Content-Disposition} name and
   * keeps the values of the few small fields of interest; file parts are skipped while looking for
   * the next delimiter. The delimiter is CRLF "--" boundary; CR occurs in it only at its start
   * (boundaries cannot contain CR), so a failed partial match can restart at the current byte.
   */
  private static final class MultipartScanner {
    private static final int PREAMBLE_OR_CONTENT = 0;
    private static final int AFTER_DELIMITER = 1;
    private static final int HEADERS = 2;
    private static final int DONE = 3;
    private static final int MAX_HEADER_LINE = 1024;
    private static final int MAX_HEADER_LINES = 32;

    private final byte[] delimiter;
    private final Fields fields;
    private int state = PREAMBLE_OR_CONTENT;
    private int matched = 2; // the body may start with the delimiter without the leading CRLF
    private final byte[] line = new byte[MAX_HEADER_LINE];
    private int lineLength;
    private int headerLines;
    private String partName;
    private boolean partIsFile;
    private boolean capturing;
    private final byte[] value = new byte[MAX_FIELD_BYTES];
    private int valueLength;
    private boolean valueOverflow;

    MultipartScanner(String boundary, Fields fields) {
      this.delimiter = ("\r\n--" + boundary).getBytes(Json.UTF_8);
      this.fields = fields;
    }

    void feed(byte[] b, int off, int len) {
      int end = off + len;
      for (int i = off; i < end; i++) {
        byte c = b[i];
        switch (state) {
          case PREAMBLE_OR_CONTENT:
            content(c);
            break;
          case AFTER_DELIMITER:
            if (c == '\n') {
              boolean closing = lineLength >= 2 && line[0] == '-' && line[1] == '-';
              state = closing ? DONE : HEADERS;
              lineLength = 0;
              headerLines = 0;
              partName = null;
              partIsFile = false;
            } else if (lineLength < MAX_HEADER_LINE) {
              line[lineLength++] = c;
              if (lineLength == 2 && line[0] == '-' && line[1] == '-') {
                state = DONE; // closing delimiter; the epilogue is of no interest
              }
            }
            break;
          case HEADERS:
            if (c == '\n') {
              int n = lineLength > 0 && line[lineLength - 1] == '\r' ? lineLength - 1 : lineLength;
              if (n == 0) {
                startContent();
              } else if (headerLines++ < MAX_HEADER_LINES) {
                header(new String(line, 0, n, Json.UTF_8));
              }
              lineLength = 0;
            } else if (lineLength < MAX_HEADER_LINE) {
              line[lineLength++] = c;
            }
            break;
          default:
            return;
        }
      }
    }

    private void content(byte c) {
      if (c == delimiter[matched]) {
        if (++matched == delimiter.length) {
          endPart();
          matched = 0;
          lineLength = 0;
          state = AFTER_DELIMITER;
        }
        return;
      }
      if (matched > 0 && capturing) {
        for (int k = 0; k < matched; k++) {
          keep(delimiter[k]);
        }
      }
      if (c == delimiter[0]) {
        matched = 1;
      } else {
        matched = 0;
        if (capturing) {
          keep(c);
        }
      }
    }

    private void keep(byte c) {
      if (valueLength < value.length) {
        value[valueLength++] = c;
      } else {
        valueOverflow = true;
      }
    }

    private void header(String h) {
      int colon = h.indexOf(':');
      if (colon < 0 || !h.substring(0, colon).trim().equalsIgnoreCase("content-disposition")) {
        return;
      }
      for (String param : h.substring(colon + 1).split(";")) {
        String p = param.trim();
        int eq = p.indexOf('=');
        if (eq < 0) {
          continue;
        }
        String key = p.substring(0, eq).trim().toLowerCase(Locale.ROOT);
        String v = p.substring(eq + 1).trim();
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
          v = v.substring(1, v.length() - 1);
        }
        if ("name".equals(key)) {
          partName = v;
        } else if ("filename".equals(key) || "filename*".equals(key)) {
          partIsFile = true;
        }
      }
    }

    private void startContent() {
      state = PREAMBLE_OR_CONTENT;
      matched = 0;
      valueLength = 0;
      valueOverflow = false;
      capturing = partName != null && !partIsFile && isWanted(partName);
    }

    private void endPart() {
      if (capturing && !valueOverflow) {
        fields.set(partName, new String(value, 0, valueLength, Json.UTF_8).trim(), true);
      }
      capturing = false;
    }

    private static boolean isWanted(String name) {
      return "model".equals(name)
          || "stream".equals(name)
          || "response_format".equals(name)
          || "service_tier".equals(name)
          || "stream_format".equals(name)
          || "background".equals(name);
    }
  }
}
