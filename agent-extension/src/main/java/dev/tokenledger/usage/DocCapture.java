package dev.tokenledger.usage;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What the scanner keeps of one response document (a JSON body, one SSE event's data, one batch
 * output line): a few short top-level scalars and the raw {@code usage} subtree, at three levels —
 * the document itself, its {@code response} object (Responses stream events, batch lines) and
 * {@code response.body} (batch lines). Paths are matched exactly, so a {@code usage} key nested in
 * choices, tool output or metadata is never mistaken for the billing one. Content fields (message
 * text, output, transcripts, embeddings, base64) are never entered.
 */
final class DocCapture implements JsonStreamScanner.Handler {

  /** Finish reasons kept per document (one per choice; {@code n} is rarely above a handful). */
  static final int MAX_FINISH_REASONS = 16;

  /** The captured members of one object level. */
  static final class Fields {
    String id;
    String object;
    String model;
    String serviceTier;
    String systemFingerprint;
    String status;
    String type;
    String code;
    String url;
    String duration;
    String statusCode;
    /** Batch output lines: the line's {@code custom_id}. */
    String customId;
    /** Batch output lines' bodies: when the response was made ({@code created}, {@code created_at}, {@code completed_at}). */
    String created;
    String createdAt;
    String completedAt;
    boolean objectSeen;
    boolean usageSeen;
    /** The usage subtree as sent ("null" when JSON null); null when absent or over the cap. */
    String usageRaw;
    boolean usageOverflow;
    boolean errorSeen;
    String errorCode;
    String errorType;
    List<String> finishReasons;

    void reset() {
      id = object = model = serviceTier = systemFingerprint = status = type = code = url = null;
      duration = statusCode = null;
      customId = created = createdAt = completedAt = null;
      objectSeen = usageSeen = usageOverflow = errorSeen = false;
      usageRaw = null;
      errorCode = errorType = null;
      finishReasons = null;
    }

    /** True when a usage object (not null) was captured whole. */
    boolean hasUsage() {
      return usageRaw != null && !"null".equals(usageRaw.trim());
    }

    List<String> finishReasons() {
      return finishReasons == null ? Collections.<String>emptyList() : finishReasons;
    }
  }

  final Fields top = new Fields();
  final Fields response = new Fields();
  final Fields body = new Fields();

  private int base; // index of the path segment that names a member of the resolved level

  void reset() {
    top.reset();
    response.reset();
    body.reset();
  }

  /** Which level the current path belongs to; sets {@link #base}. */
  private Fields level(JsonStreamScanner path) {
    int d = path.depth();
    if (d >= 2 && "response".equals(path.key(0))) {
      if (d >= 3 && "body".equals(path.key(1))) {
        base = 2;
        return body;
      }
      base = 1;
      return response;
    }
    base = 0;
    return top;
  }

  @Override
  public int onValue(JsonStreamScanner path, byte first) {
    int d = path.depth();
    if (d == 0) {
      return JsonStreamScanner.ENTER;
    }
    Fields f = level(path);
    int rel = d - base;
    String k = path.key(base);
    if (k == null) {
      return JsonStreamScanner.IGNORE;
    }
    if (rel == 1) {
      int action = memberAction(f, base, k, first);
      if (action == JsonStreamScanner.ENTER) {
        if (base == 0 && "response".equals(k)) {
          response.objectSeen = true;
        } else if (base == 1 && "body".equals(k)) {
          body.objectSeen = true;
        }
      }
      return action;
    }
    if ("choices".equals(k)) {
      if (rel == 2) {
        return path.isArrayItem(base + 1) && first == '{'
            ? JsonStreamScanner.ENTER
            : JsonStreamScanner.IGNORE;
      }
      if (rel == 3 && "finish_reason".equals(path.key(base + 2))) {
        return JsonStreamScanner.SCALAR;
      }
      return JsonStreamScanner.IGNORE;
    }
    if ("error".equals(k) && rel == 2) {
      String k2 = path.key(base + 1);
      return "code".equals(k2) || "type".equals(k2)
          ? JsonStreamScanner.SCALAR
          : JsonStreamScanner.IGNORE;
    }
    return JsonStreamScanner.IGNORE;
  }

  private static int memberAction(Fields f, int level, String k, byte first) {
    switch (k) {
      case "id":
      case "object":
      case "model":
      case "service_tier":
      case "system_fingerprint":
      case "status":
      case "type":
      case "code":
      case "url":
      case "duration":
      case "status_code":
        return JsonStreamScanner.SCALAR;
      case "custom_id":
        return level == 0 ? JsonStreamScanner.SCALAR : JsonStreamScanner.IGNORE;
      case "created":
      case "created_at":
      case "completed_at":
        // Only a batch line's body: the time of each line's response (other documents are stamped when read).
        return level == 2 ? JsonStreamScanner.SCALAR : JsonStreamScanner.IGNORE;
      case "usage":
        return JsonStreamScanner.RAW;
      case "choices":
        return first == '[' ? JsonStreamScanner.ENTER : JsonStreamScanner.IGNORE;
      case "error":
        if (first == '{') {
          f.errorSeen = true;
          return JsonStreamScanner.ENTER;
        }
        return JsonStreamScanner.IGNORE;
      case "response":
        if (level == 0 && first == '{') {
          return JsonStreamScanner.ENTER;
        }
        return JsonStreamScanner.IGNORE;
      case "body":
        return level == 1 && first == '{' ? JsonStreamScanner.ENTER : JsonStreamScanner.IGNORE;
      default:
        return JsonStreamScanner.IGNORE;
    }
  }

  @Override
  public void onScalar(JsonStreamScanner path, int kind, String text) {
    Fields f = level(path);
    int rel = path.depth() - base;
    String k = path.key(base);
    if (k == null) {
      return;
    }
    if (rel == 3 && "choices".equals(k)) {
      if (text != null && kind == JsonStreamScanner.KIND_STRING) {
        if (f.finishReasons == null) {
          f.finishReasons = new ArrayList<String>(2);
        }
        if (f.finishReasons.size() < MAX_FINISH_REASONS) {
          f.finishReasons.add(text);
        }
      }
      return;
    }
    if (rel == 2 && "error".equals(k)) {
      if ("code".equals(path.key(base + 1))) {
        f.errorCode = text;
      } else {
        f.errorType = text;
      }
      return;
    }
    if (rel != 1) {
      return;
    }
    switch (k) {
      case "id":
        f.id = text;
        break;
      case "object":
        f.object = text;
        break;
      case "model":
        f.model = text;
        break;
      case "service_tier":
        f.serviceTier = text;
        break;
      case "system_fingerprint":
        f.systemFingerprint = text;
        break;
      case "status":
        f.status = text;
        break;
      case "type":
        f.type = text;
        break;
      case "code":
        f.code = text;
        break;
      case "url":
        f.url = text;
        break;
      case "duration":
        f.duration = kind == JsonStreamScanner.KIND_NUMBER ? text : null;
        break;
      case "status_code":
        f.statusCode = kind == JsonStreamScanner.KIND_NUMBER ? text : null;
        break;
      case "custom_id":
        f.customId = kind == JsonStreamScanner.KIND_STRING ? text : null;
        break;
      case "created":
        f.created = kind == JsonStreamScanner.KIND_NUMBER ? text : null;
        break;
      case "created_at":
        f.createdAt = kind == JsonStreamScanner.KIND_NUMBER ? text : null;
        break;
      case "completed_at":
        f.completedAt = kind == JsonStreamScanner.KIND_NUMBER ? text : null;
        break;
      default:
        break;
    }
  }

  @Override
  public void onRaw(JsonStreamScanner path, String json) {
    Fields f = level(path);
    if (path.depth() - base == 1) {
      f.usageSeen = true;
      f.usageRaw = json;
      f.usageOverflow = json == null;
    }
  }

  @Override
  public void onCount(JsonStreamScanner path, long codePoints) {
    // not used for responses
  }
}
