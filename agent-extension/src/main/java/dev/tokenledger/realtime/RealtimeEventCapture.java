package dev.tokenledger.realtime;

import dev.tokenledger.usage.JsonStreamScanner;

/**
 * What the streaming scanner keeps of a Realtime server event: exact paths only, so a {@code usage}
 * or {@code id} nested in output items, tool calls or metadata is never mistaken for the billing
 * one, and content members (transcripts, instructions, audio, tool arguments) are never entered.
 *
 * <pre>
 * type, item_id, usage (raw)
 * session.{id, model, type}
 * session.audio.input.transcription.model        (GA)
 * session.input_audio_transcription.model        (beta)
 * response.{id, status}, response.usage (raw)
 * error.{type, code}
 * </pre>
 */
final class RealtimeEventCapture implements JsonStreamScanner.Handler {

  final RealtimeEvent event = new RealtimeEvent();

  @Override
  public int onValue(JsonStreamScanner path, byte first) {
    int depth = path.depth();
    if (depth == 0) {
      return first == '{' ? JsonStreamScanner.ENTER : JsonStreamScanner.IGNORE;
    }
    String k0 = path.key(0);
    if (k0 == null) {
      return JsonStreamScanner.IGNORE;
    }
    boolean object = first == '{';
    if (depth == 1) {
      switch (k0) {
        case "type":
        case "item_id":
          return JsonStreamScanner.SCALAR;
        case "usage":
          return JsonStreamScanner.RAW;
        case "session":
        case "response":
        case "error":
          return object ? JsonStreamScanner.ENTER : JsonStreamScanner.IGNORE;
        default:
          return JsonStreamScanner.IGNORE;
      }
    }
    String k1 = path.key(1);
    if (k1 == null) {
      return JsonStreamScanner.IGNORE;
    }
    if ("session".equals(k0)) {
      return sessionMember(path, depth, k1, object);
    }
    if (depth != 2) {
      return JsonStreamScanner.IGNORE;
    }
    if ("response".equals(k0)) {
      if ("id".equals(k1) || "status".equals(k1)) {
        return JsonStreamScanner.SCALAR;
      }
      return "usage".equals(k1) ? JsonStreamScanner.RAW : JsonStreamScanner.IGNORE;
    }
    if ("error".equals(k0) && ("type".equals(k1) || "code".equals(k1))) {
      return JsonStreamScanner.SCALAR;
    }
    return JsonStreamScanner.IGNORE;
  }

  private static int sessionMember(JsonStreamScanner path, int depth, String k1, boolean object) {
    if (depth == 2) {
      switch (k1) {
        case "id":
        case "model":
        case "type":
          return JsonStreamScanner.SCALAR;
        case "audio":
        case "input_audio_transcription":
          return object ? JsonStreamScanner.ENTER : JsonStreamScanner.IGNORE;
        default:
          return JsonStreamScanner.IGNORE;
      }
    }
    String k2 = path.key(2);
    if (k2 == null) {
      return JsonStreamScanner.IGNORE;
    }
    if ("input_audio_transcription".equals(k1)) {
      return depth == 3 && "model".equals(k2) ? JsonStreamScanner.SCALAR : JsonStreamScanner.IGNORE;
    }
    // session.audio.input.transcription.model
    if (!"audio".equals(k1) || !"input".equals(k2)) {
      return JsonStreamScanner.IGNORE;
    }
    if (depth == 3) {
      return object ? JsonStreamScanner.ENTER : JsonStreamScanner.IGNORE;
    }
    String k3 = path.key(3);
    if (!"transcription".equals(k3)) {
      return JsonStreamScanner.IGNORE;
    }
    if (depth == 4) {
      return object ? JsonStreamScanner.ENTER : JsonStreamScanner.IGNORE;
    }
    return depth == 5 && "model".equals(path.key(4)) ? JsonStreamScanner.SCALAR : JsonStreamScanner.IGNORE;
  }

  @Override
  public void onScalar(JsonStreamScanner path, int kind, String text) {
    if (kind != JsonStreamScanner.KIND_STRING) {
      return; // every member kept is a string; a null or a number is "not sent"
    }
    int depth = path.depth();
    String k0 = path.key(0);
    if (depth == 1) {
      if ("type".equals(k0)) {
        event.type = text;
      } else if ("item_id".equals(k0)) {
        event.itemId = text;
      }
      return;
    }
    String k1 = path.key(1);
    if ("session".equals(k0)) {
      if (depth == 2) {
        if ("id".equals(k1)) {
          event.sessionId = text;
        } else if ("model".equals(k1)) {
          event.sessionModel = text;
        } else if ("type".equals(k1)) {
          event.sessionType = text;
        }
      } else {
        event.transcriptionModel = text; // only the two transcription model paths are captured
      }
    } else if ("response".equals(k0)) {
      if ("id".equals(k1)) {
        event.responseId = text;
      } else {
        event.responseStatus = text;
      }
    } else if ("error".equals(k0)) {
      if ("type".equals(k1)) {
        event.errorType = text;
      } else {
        event.errorCode = text;
      }
    }
  }

  @Override
  public void onRaw(JsonStreamScanner path, String json) {
    if (path.depth() == 1) {
      event.usageSeen = true;
      event.usageRaw = json;
    } else {
      event.responseUsageSeen = true;
      event.responseUsageRaw = json;
    }
  }

  @Override
  public void onCount(JsonStreamScanner path, long codePoints) {
    // nothing is counted in Realtime events
  }
}
