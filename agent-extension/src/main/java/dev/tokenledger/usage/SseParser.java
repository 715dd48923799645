package dev.tokenledger.usage;

/**
 * Splits a {@code text/event-stream} (WHATWG HTML §9.2) into events incrementally and streams each
 * event's data straight into a {@link JsonStreamScanner}, so a multi-MB {@code data:} line (a partial
 * image, a long output) is scanned without being buffered. Lines may end in CRLF, LF or CR, split
 * anywhere across chunks; multi-line data is joined with LF; comments and unknown fields are ignored;
 * an event is dispatched at a blank line, and at the end of the stream if data is pending.
 *
 * <p>Memory: the event name (≤ {@link #MAX_EVENT_NAME_BYTES}), a field name (≤
 * {@link #MAX_FIELD_NAME_BYTES}) and the first {@link #DATA_PREFIX_BYTES} bytes of data (to recognise
 * {@code [DONE]}), plus the scanner's bounded capture buffer.
 */
final class SseParser {

  static final int MAX_FIELD_NAME_BYTES = 16;
  static final int MAX_EVENT_NAME_BYTES = 128;
  static final int DATA_PREFIX_BYTES = 16;

  interface Listener {
    /**
     * One event. {@code scanner}/{@code doc} describe its data (check {@code scanner.complete()});
     * {@code done} is true for the {@code [DONE]} sentinel.
     */
    void onEvent(String eventName, JsonStreamScanner scanner, DocCapture doc, boolean done);
  }

  private static final int FIELD = 0;
  private static final int VALUE_START = 1;
  private static final int VALUE = 2;
  private static final int IGNORE_LINE = 3;

  private static final int KIND_DATA = 1;
  private static final int KIND_EVENT = 2;
  private static final int KIND_OTHER = 3;

  private final Listener listener;
  private final DocCapture doc = new DocCapture();
  private final JsonStreamScanner scanner = new JsonStreamScanner(doc);

  private int lineState = FIELD;
  private boolean afterCarriageReturn;
  private final byte[] fieldName = new byte[MAX_FIELD_NAME_BYTES];
  private int fieldNameLength;
  private boolean fieldNameOverflow;
  private int valueKind;

  private boolean eventHasData;
  private final byte[] eventName = new byte[MAX_EVENT_NAME_BYTES];
  private int eventNameLength;
  private final byte[] dataPrefix = new byte[DATA_PREFIX_BYTES];
  private int dataPrefixLength;
  private long events;

  SseParser(Listener listener) {
    this.listener = listener;
  }

  long events() {
    return events;
  }

  int retainedBytes() {
    return scanner.retainedBytes() + fieldName.length + eventName.length + dataPrefix.length;
  }

  void feed(byte[] b, int off, int len) {
    int end = off + len;
    int i = off;
    while (i < end) {
      byte c = b[i];
      if (afterCarriageReturn) {
        afterCarriageReturn = false;
        if (c == '\n') {
          i++;
          continue;
        }
      }
      switch (lineState) {
        case FIELD:
          i++;
          if (c == '\n' || c == '\r') {
            afterCarriageReturn = c == '\r';
            endLine();
          } else if (c == ':') {
            startValue();
          } else if (fieldNameLength < fieldName.length) {
            fieldName[fieldNameLength++] = c;
          } else {
            fieldNameOverflow = true;
          }
          break;
        case VALUE_START:
          lineState = VALUE;
          if (c == ' ') {
            i++;
          }
          break;
        default:
          {
            int j = i;
            while (j < end && b[j] != '\n' && b[j] != '\r') {
              j++;
            }
            if (lineState == VALUE && j > i) {
              value(b, i, j);
            }
            if (j < end) {
              afterCarriageReturn = b[j] == '\r';
              endLine();
              j++;
            }
            i = j;
          }
      }
    }
  }

  /** The stream ended: an event whose data arrived without the closing blank line is dispatched. */
  void finish() {
    if (eventHasData) {
      dispatch();
    }
  }

  private void startValue() {
    if (fieldNameLength == 0) {
      lineState = IGNORE_LINE; // a comment line
      return;
    }
    valueKind = kindOfField();
    if (valueKind == KIND_DATA) {
      startDataLine();
    } else if (valueKind == KIND_EVENT) {
      eventNameLength = 0;
    }
    lineState = valueKind == KIND_OTHER ? IGNORE_LINE : VALUE_START;
  }

  private int kindOfField() {
    if (fieldNameOverflow) {
      return KIND_OTHER;
    }
    if (is("data")) {
      return KIND_DATA;
    }
    if (is("event")) {
      return KIND_EVENT;
    }
    return KIND_OTHER;
  }

  private boolean is(String name) {
    if (fieldNameLength != name.length()) {
      return false;
    }
    for (int k = 0; k < fieldNameLength; k++) {
      if (fieldName[k] != name.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  private void startDataLine() {
    if (eventHasData) {
      scanner.feed(LF, 0, 1); // data lines of one event are joined with LF
      if (dataPrefixLength < dataPrefix.length) {
        dataPrefix[dataPrefixLength++] = '\n';
      }
    } else {
      eventHasData = true;
      scanner.reset();
      doc.reset();
      dataPrefixLength = 0;
    }
  }

  private static final byte[] LF = {'\n'};

  private void value(byte[] b, int from, int to) {
    if (valueKind == KIND_DATA) {
      for (int k = from; k < to && dataPrefixLength < dataPrefix.length; k++) {
        dataPrefix[dataPrefixLength++] = b[k];
      }
      scanner.feed(b, from, to - from);
    } else if (valueKind == KIND_EVENT) {
      int n = Math.min(to - from, eventName.length - eventNameLength);
      System.arraycopy(b, from, eventName, eventNameLength, n);
      eventNameLength += n;
    }
  }

  private void endLine() {
    if (lineState == FIELD) {
      if (fieldNameLength == 0 && !fieldNameOverflow) {
        if (eventHasData) {
          dispatch();
        } else {
          eventNameLength = 0; // an event without data is not dispatched
        }
      } else if (!fieldNameOverflow && is("data")) {
        startDataLine(); // "data" without a colon: an empty data line
      }
    }
    lineState = FIELD;
    fieldNameLength = 0;
    fieldNameOverflow = false;
  }

  private void dispatch() {
    scanner.end();
    String name = eventNameLength == 0 ? null : new String(eventName, 0, eventNameLength, Json.UTF_8);
    boolean done = isDone();
    eventHasData = false;
    eventNameLength = 0;
    events++;
    listener.onEvent(name, scanner, doc, done);
  }

  private boolean isDone() {
    String prefix = new String(dataPrefix, 0, dataPrefixLength, Json.UTF_8).trim();
    return "[DONE]".equals(prefix);
  }
}
