package dev.tokenledger.usage;

import java.util.Locale;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Undoes {@code Content-Encoding} incrementally, pushing decoded bytes to a sink in chunks of at
 * most {@link #OUTPUT_CHUNK} bytes. Identity passes bytes through; {@code gzip} (RFC 1952, with its
 * header parsed here, several members allowed) and {@code deflate} (zlib-wrapped as RFC 9110 says,
 * or raw as some servers send it) use an {@link Inflater}. Other encodings (br, zstd, compress,
 * stacked encodings) are not supported: {@link #forEncoding} returns null.
 */
abstract class ContentDecoder {

  /** Decoded bytes are handed over in chunks of at most this size; it is all the decoder keeps. */
  static final int OUTPUT_CHUNK = 8 * 1024;

  interface Sink {
    void accept(byte[] b, int off, int len);
  }

  /** Null when the encoding is not supported. */
  static ContentDecoder forEncoding(String contentEncoding, Sink sink) {
    String e = contentEncoding == null ? "" : contentEncoding.trim().toLowerCase(Locale.ROOT);
    if (e.isEmpty() || "identity".equals(e)) {
      return new Identity(sink);
    }
    if ("gzip".equals(e) || "x-gzip".equals(e)) {
      return new Inflating(sink, true);
    }
    if ("deflate".equals(e)) {
      return new Inflating(sink, false);
    }
    return null;
  }

  abstract void write(byte[] b, int off, int len);

  /** Releases native memory; idempotent. */
  void end() {}

  /** Null, or why the encoded stream could not be decoded (decoding stops there). */
  String error() {
    return null;
  }

  int retainedBytes() {
    return 0;
  }

  private static final class Identity extends ContentDecoder {
    private final Sink sink;

    Identity(Sink sink) {
      this.sink = sink;
    }

    @Override
    void write(byte[] b, int off, int len) {
      sink.accept(b, off, len);
    }
  }

  private static final class Inflating extends ContentDecoder {
    private static final int ID1 = 0;
    private static final int ID2 = 1;
    private static final int METHOD = 2;
    private static final int FLAGS = 3;
    private static final int SKIP_FIXED = 4; // mtime, xfl, os
    private static final int EXTRA_LENGTH_LOW = 5;
    private static final int EXTRA_LENGTH_HIGH = 6;
    private static final int SKIP_EXTRA = 7;
    private static final int NAME = 8;
    private static final int COMMENT = 9;
    private static final int HEADER_CRC = 10;
    private static final int BODY = 11;
    private static final int TRAILER = 12;
    private static final int AFTER_MEMBER = 13;
    private static final int ZLIB_SNIFF = 14;
    private static final int DONE = 15;

    private static final int FHCRC = 2;
    private static final int FEXTRA = 4;
    private static final int FNAME = 8;
    private static final int FCOMMENT = 16;

    private final Sink sink;
    private final boolean gzip;
    private Inflater inflater;
    private byte[] out;
    private int state;
    private int flags;
    private int skip;
    private final byte[] sniff = new byte[2];
    private int sniffLength;
    private String error;

    Inflating(Sink sink, boolean gzip) {
      this.sink = sink;
      this.gzip = gzip;
      this.state = gzip ? ID1 : ZLIB_SNIFF;
    }

    @Override
    String error() {
      return error;
    }

    @Override
    int retainedBytes() {
      return out == null ? 0 : out.length;
    }

    @Override
    void end() {
      if (inflater != null) {
        inflater.end();
        inflater = null;
      }
      if (state != DONE && state != AFTER_MEMBER) {
        state = DONE;
      }
    }

    @Override
    void write(byte[] b, int off, int len) {
      int i = off;
      int end = off + len;
      while (i < end && error == null) {
        if (state == BODY) {
          i = inflate(b, i, end);
          continue;
        }
        int c = b[i++] & 0xff;
        switch (state) {
          case ID1:
            if (c != 0x1f) {
              fail("not gzip data");
            } else {
              state = ID2;
            }
            break;
          case ID2:
            if (c != 0x8b) {
              fail("not gzip data");
            } else {
              state = METHOD;
            }
            break;
          case METHOD:
            if (c != 8) {
              fail("unknown gzip compression method " + c);
            } else {
              state = FLAGS;
            }
            break;
          case FLAGS:
            flags = c;
            skip = 6;
            state = SKIP_FIXED;
            break;
          case SKIP_FIXED:
            if (--skip == 0) {
              state = (flags & FEXTRA) != 0 ? EXTRA_LENGTH_LOW : afterExtra();
            }
            break;
          case EXTRA_LENGTH_LOW:
            skip = c;
            state = EXTRA_LENGTH_HIGH;
            break;
          case EXTRA_LENGTH_HIGH:
            skip |= c << 8;
            state = skip == 0 ? afterExtra() : SKIP_EXTRA;
            break;
          case SKIP_EXTRA:
            if (--skip == 0) {
              state = afterExtra();
            }
            break;
          case NAME:
            if (c == 0) {
              state = (flags & FCOMMENT) != 0 ? COMMENT : afterComment();
            }
            break;
          case COMMENT:
            if (c == 0) {
              state = afterComment();
            }
            break;
          case HEADER_CRC:
            if (--skip == 0) {
              startBody(true);
            }
            break;
          case TRAILER:
            if (--skip == 0) {
              state = AFTER_MEMBER;
            }
            break;
          case AFTER_MEMBER:
            // Another member may follow; anything else (servers pad with zeros) ends decoding.
            state = c == 0x1f ? ID2 : DONE;
            break;
          case ZLIB_SNIFF:
            sniff[sniffLength++] = (byte) c;
            if (sniffLength == 2) {
              int cmf = sniff[0] & 0xff;
              int flg = sniff[1] & 0xff;
              boolean zlib = (cmf & 0x0f) == 8 && ((cmf << 8) | flg) % 31 == 0;
              startBody(!zlib);
              byte[] first = {sniff[0], sniff[1]};
              inflate(first, 0, 2);
            }
            break;
          default: // DONE
            i = end;
        }
      }
    }

    private int afterExtra() {
      return (flags & FNAME) != 0 ? NAME : (flags & FCOMMENT) != 0 ? COMMENT : afterComment();
    }

    private int afterComment() {
      if ((flags & FHCRC) != 0) {
        skip = 2;
        return HEADER_CRC;
      }
      startBody(true);
      return BODY;
    }

    private void startBody(boolean raw) {
      if (inflater == null) {
        inflater = new Inflater(raw);
      } else {
        inflater.reset();
      }
      if (out == null) {
        out = new byte[OUTPUT_CHUNK];
      }
      state = BODY;
    }

    /** Inflates b[i, end); returns the index of the first byte after the deflate stream, or end. */
    private int inflate(byte[] b, int i, int end) {
      inflater.setInput(b, i, end - i);
      int idle = 0;
      while (true) {
        int n;
        try {
          n = inflater.inflate(out, 0, out.length);
        } catch (DataFormatException e) {
          fail("corrupt " + (gzip ? "gzip" : "deflate") + " data");
          return end;
        }
        if (n > 0) {
          idle = 0;
          sink.accept(out, 0, n);
        }
        if (inflater.finished()) {
          int remaining = inflater.getRemaining();
          if (gzip) {
            skip = 8;
            state = TRAILER;
          } else {
            state = DONE;
          }
          return end - remaining;
        }
        if (inflater.needsInput()) {
          return end;
        }
        if (inflater.needsDictionary()) {
          fail("deflate data needs a preset dictionary");
          return end;
        }
        if (n == 0 && ++idle > 16) {
          fail("inflater made no progress");
          return end;
        }
      }
    }

    private void fail(String why) {
      error = why;
      state = DONE;
    }
  }
}
