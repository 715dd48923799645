package dev.tokenledger.instrumentation.okhttp.v3_0;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import okhttp3.MediaType;
import okhttp3.RequestBody;
import okio.BufferedSink;
import okio.Okio;

/**
 * An application's JSON request body that counts how often it is written; it writes its bytes whole
 * unless a test says how.
 */
class AppBody extends RequestBody {

  static final MediaType JSON = MediaType.get("application/json");

  /** How a test's body writes its bytes. */
  interface Writer {
    void write(byte[] bytes, BufferedSink sink) throws IOException;
  }

  /** A body of unknown length that writes {@code bytes} as {@code writer} does. */
  static AppBody writing(byte[] bytes, Writer writer) {
    return new AppBody(bytes, -1) {
      @Override
      void write(BufferedSink sink) throws IOException {
        writer.write(bytes, sink);
      }
    };
  }

  final byte[] bytes;
  final long length;
  int writes;

  /** {@code length}: the content length the body declares, -1 for unknown. */
  AppBody(byte[] bytes, long length) {
    this.bytes = bytes;
    this.length = length;
  }

  @Override
  public MediaType contentType() {
    return JSON;
  }

  @Override
  public long contentLength() {
    return length;
  }

  @Override
  public final void writeTo(BufferedSink sink) throws IOException {
    writes++;
    write(sink);
  }

  /** One write of the body; {@link #writes} already counts it. */
  void write(BufferedSink sink) throws IOException {
    sink.write(bytes);
  }

  /** A one-shot body over an InputStream: writing it twice would send nothing the second time. */
  static final class OneShot extends AppBody {
    final InputStream in;

    OneShot(byte[] bytes) {
      super(bytes, -1);
      this.in = new ByteArrayInputStream(bytes);
    }

    @Override
    public boolean isOneShot() {
      return true;
    }

    @Override
    void write(BufferedSink sink) throws IOException {
      if (writes > 1) {
        throw new IllegalStateException("a one-shot body written twice");
      }
      sink.writeAll(Okio.source(in));
    }
  }
}
