package dev.tokenledger.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.usage.ByteSink;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link ByteSinkOutputStream}, the tee between a client's own byte copying (Okio segments, an
 * entity's writeTo) and a call or request scanner: whatever is written reaches the wrapped stream
 * unchanged and is shown to the sink exactly once, in order.
 */
@ExtendWith(TestTelemetry.Extension.class)
class ByteSinkOutputStreamTest {

  /** A sink that keeps a copy of each slice it is shown, as the slice it was, not the whole array. */
  static final class RecordingSink implements ByteSink {
    final ByteArrayOutputStream all = new ByteArrayOutputStream();
    final List<byte[]> slices = new ArrayList<>();

    @Override
    public void onBytes(byte[] bytes, int offset, int length) {
      slices.add(Arrays.copyOfRange(bytes, offset, offset + length));
      all.write(bytes, offset, length);
    }
  }

  /** The wire: records writes, flushes and closes, and can fail. */
  static final class Wire extends FilterOutputStream {
    final ByteArrayOutputStream bytes;
    int flushes;
    int closes;
    IOException failure;

    Wire() {
      this(new ByteArrayOutputStream());
    }

    private Wire(ByteArrayOutputStream bytes) {
      super(bytes);
      this.bytes = bytes;
    }

    @Override
    public void write(int b) throws IOException {
      if (failure != null) {
        throw failure;
      }
      bytes.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (failure != null) {
        throw failure;
      }
      bytes.write(b, off, len);
    }

    @Override
    public void flush() {
      flushes++;
    }

    @Override
    public void close() {
      closes++;
    }
  }

  @Test
  void everyWriteReachesTheStreamAndTheSinkUnchangedAndInOrder() throws IOException {
    Wire wire = new Wire();
    RecordingSink sink = new RecordingSink();
    OutputStream out = new ByteSinkOutputStream(wire, sink);
    byte[] text = "0123456789abcdefghij".getBytes(StandardCharsets.US_ASCII);
    out.write('<');
    out.write(text, 3, 5);
    out.write(text);
    out.write(0x1ff); // only the low byte counts
    out.write(text, 19, 1);
    out.write(text, 7, 0);
    byte[] expected = "<34567".concat("0123456789abcdefghij").concat("\u00ffj").getBytes(StandardCharsets.ISO_8859_1);
    assertArrayEquals(expected, wire.bytes.toByteArray());
    assertArrayEquals(expected, sink.all.toByteArray());
    assertEquals(
        List.of("<", "34567", "0123456789abcdefghij", "\u00ff", "j", ""),
        sink.slices.stream().map(s -> new String(s, StandardCharsets.ISO_8859_1)).toList(),
        "each write shown once, as the slice written");
  }

  @Test
  void withoutAStreamTheSinkAloneSeesTheBytes() throws IOException {
    RecordingSink sink = new RecordingSink();
    OutputStream out = new ByteSinkOutputStream(null, sink);
    out.write('a');
    out.write("bcd".getBytes(StandardCharsets.US_ASCII), 1, 2);
    assertDoesNotThrow(out::flush);
    assertDoesNotThrow(out::close);
    assertEquals("acd", sink.all.toString(StandardCharsets.US_ASCII));
  }

  @Test
  void aCallFedThroughItSeesEachByteOnce() throws IOException {
    BatchBody batch = new BatchBody(200);
    byte[] file = batch.bytes;
    Wire wire = new Wire();
    OpenAiCall call = CallProbe.batchDownload();
    OutputStream out = new ByteSinkOutputStream(wire, call);
    for (int i = 0; i < file.length; i += 1000) {
      out.write(file, i, Math.min(1000, file.length - i));
    }
    out.close();
    assertTrue(CallProbe.spans().isEmpty(), "writing and closing do not end the call");
    assertArrayEquals(file, wire.bytes.toByteArray());
    call.end(true);
    batch.assertFedOnce();
  }

  @Test
  void flushReachesTheStream() throws IOException {
    Wire wire = new Wire();
    new ByteSinkOutputStream(wire, new RecordingSink()).flush();
    assertEquals(1, wire.flushes);
  }

  @Test
  void aFailingStreamFailsTheWriterUnchangedAndTheSinkSeesOnlyWhatWasWritten() throws IOException {
    Wire wire = new Wire();
    RecordingSink sink = new RecordingSink();
    OutputStream out = new ByteSinkOutputStream(wire, sink);
    out.write("ok".getBytes(StandardCharsets.US_ASCII));
    wire.failure = new IOException("broken pipe");
    assertSame(wire.failure, assertThrows(IOException.class, () -> out.write("lost".getBytes(StandardCharsets.US_ASCII))));
    assertSame(wire.failure, assertThrows(IOException.class, () -> out.write('x')));
    assertEquals("ok", sink.all.toString(StandardCharsets.US_ASCII));
  }

  @Test
  void closeReachesTheStream() throws IOException {
    Wire wire = new Wire();
    new ByteSinkOutputStream(wire, new RecordingSink()).close();
    assertEquals(1, wire.closes);
  }

  @Test
  void aSinkThatThrowsNeverFailsTheWriter() throws IOException {
    Wire wire = new Wire();
    OutputStream out = new ByteSinkOutputStream(wire, (bytes, offset, length) -> {
      throw new IllegalStateException("sink failure");
    });
    assertDoesNotThrow(() -> out.write("body".getBytes(StandardCharsets.US_ASCII)));
    assertDoesNotThrow(() -> out.write('!'));
    assertEquals("body!", wire.bytes.toString(StandardCharsets.US_ASCII));
  }
}
