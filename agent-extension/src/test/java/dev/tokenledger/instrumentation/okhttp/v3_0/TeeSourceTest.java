package dev.tokenledger.instrumentation.okhttp.v3_0;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.agent.BatchBody;
import dev.tokenledger.agent.CallProbe;
import dev.tokenledger.agent.Reads;
import dev.tokenledger.agent.TestTelemetry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import okio.Buffer;
import okio.BufferedSource;
import okio.Okio;
import okio.Source;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link TeeSource}, under the OkHttp response body the application reads: each chunk it pulls is
 * copied into the call straight from the segments, nothing more; the call ends complete at end of
 * stream, truncated on close or a read failure; the application's bytes and exceptions are the
 * network's.
 */
@ExtendWith(TestTelemetry.Extension.class)
class TeeSourceTest {

  static final BatchBody BATCH = new BatchBody(400);

  interface ReadStyle extends BatchBody.ReadAll<Source> {}

  static Stream<Arguments> readStyles() {
    return Stream.of(
        Arguments.of("raw reads of 1 byte", raw(1)),
        Arguments.of("raw reads of 7 bytes", raw(7)),
        Arguments.of("raw reads of 8192 bytes", raw(8192)),
        Arguments.of("raw reads into a buffer that already holds bytes", (ReadStyle) tee -> {
          Buffer buffer = new Buffer().writeUtf8("earlier bytes the application has not consumed");
          long before = buffer.size();
          while (tee.read(buffer, 1000) != -1) {
            // keep appending
          }
          buffer.skip(before);
          return buffer.readByteArray();
        }),
        Arguments.of("readByteArray", (ReadStyle) tee -> Okio.buffer(tee).readByteArray()),
        Arguments.of("line by line", (ReadStyle) tee -> {
          BufferedSource source = Okio.buffer(tee);
          StringBuilder out = new StringBuilder();
          for (String line; (line = source.readUtf8Line()) != null; ) {
            out.append(line).append('\n');
          }
          return out.toString().getBytes(StandardCharsets.UTF_8);
        }),
        Arguments.of("readByte until exhausted", (ReadStyle) tee -> {
          BufferedSource source = Okio.buffer(tee);
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          while (!source.exhausted()) {
            out.write(source.readByte());
          }
          return out.toByteArray();
        }),
        Arguments.of("an InputStream, byte by byte", (ReadStyle) tee -> Reads.byteByByte(Okio.buffer(tee).inputStream())),
        Arguments.of("a channel into a heap ByteBuffer", channel(false)),
        Arguments.of("a channel into a direct ByteBuffer", channel(true)),
        Arguments.of("peek everything first, then read", (ReadStyle) tee -> {
          BufferedSource source = Okio.buffer(tee);
          byte[] peeked = source.peek().readByteArray();
          byte[] read = source.readByteArray();
          assertArrayEquals(peeked, read);
          return read;
        }),
        Arguments.of("readAll into a sink", (ReadStyle) tee -> {
          Buffer out = new Buffer();
          Okio.buffer(tee).readAll(out);
          return out.readByteArray();
        }));
  }

  static ReadStyle raw(int size) {
    return tee -> {
      Buffer out = new Buffer();
      while (tee.read(out, size) != -1) {
        // the source appends to out
      }
      return out.readByteArray();
    };
  }

  static ReadStyle channel(boolean direct) {
    return tee -> Reads.throughChannel(Okio.buffer(tee), direct, 777);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("readStyles")
  void theApplicationAndTheCallSeeExactlyTheBodyWhateverTheReads(String name, ReadStyle style) throws Exception {
    BatchBody.forEachChunkPattern(chunks -> BATCH.assertReadOnceThenClosed(
        new TeeSource(new TestSource(BATCH.bytes, chunks), CallProbe.batchDownload()), style));
  }

  @Test
  void skippedBytesStillPassThroughTheCall() throws IOException {
    BufferedSource source = Okio.buffer(new TeeSource(new TestSource(BATCH.bytes, 1000), CallProbe.batchDownload()));
    source.skip(BATCH.bytes.length - 100);
    assertEquals(new String(BATCH.bytes, BATCH.bytes.length - 100, 100, StandardCharsets.UTF_8), source.readUtf8());
    BATCH.assertFedOnce();
  }

  @Test
  void endOfStreamEndsTheCallComplete() throws IOException {
    TeeSource tee = new TeeSource(new TestSource(new byte[3000], 1000), CallProbe.speech());
    Buffer sink = new Buffer();
    assertEquals(1000, tee.read(sink, 8192));
    assertEquals(1000, tee.read(sink, 8192));
    assertEquals(1000, tee.read(sink, 8192));
    assertNull(CallProbe.endStatus(), "every byte read, but the end not yet seen");
    assertEquals(-1, tee.read(sink, 8192));
    assertEquals("completed", CallProbe.endStatus());
    tee.close();
    assertEquals("completed", CallProbe.endStatus(), "ended once");
  }

  @Test
  void closingBeforeTheEndClosesTheSourceAndEndsTheCallTruncated() throws IOException {
    TestSource network = new TestSource(new byte[3000], 1000);
    TeeSource tee = new TeeSource(network, CallProbe.speech());
    tee.read(new Buffer(), 8192);
    tee.close();
    assertEquals(1, network.closes);
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void aReadFailureReachesTheApplicationUnchangedAndEndsTheCallTruncated() throws IOException {
    IOException reset = new IOException("stream was reset: CANCEL");
    TestSource network = new TestSource(new byte[3000], 1000).failingAt(2000, reset);
    BufferedSource source = Okio.buffer(new TeeSource(network, CallProbe.speech()));
    assertEquals(2000, source.readByteArray(2000).length);
    assertNull(CallProbe.endStatus());
    assertSame(reset, assertThrows(IOException.class, source::readByteArray));
    assertEquals("truncated", CallProbe.endStatus());
    assertEquals(0, network.closes, "the application closes its body, not the tee");
  }

  @Test
  void aRuntimeFailureOfTheSourceReachesTheApplicationUnchanged() {
    IllegalStateException closed = new IllegalStateException("closed");
    TeeSource tee = new TeeSource(new TestSource(new byte[10]).failingAt(0, closed), CallProbe.speech());
    assertSame(closed, assertThrows(IllegalStateException.class, () -> tee.read(new Buffer(), 10)));
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void aCloseFailureReachesTheApplicationUnchangedAndTheCallIsEnded() {
    IOException closing = new IOException("close failed");
    TeeSource tee = new TeeSource(new TestSource(new byte[10]).failingOnClose(closing), CallProbe.speech());
    assertSame(closing, assertThrows(IOException.class, tee::close));
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void anEmptyReadIsNotTheEnd() throws IOException {
    TeeSource tee = new TeeSource(new TestSource(new byte[10]), CallProbe.speech());
    assertEquals(0, tee.read(new Buffer(), 0));
    assertNull(CallProbe.endStatus());
  }

  @Test
  void theTimeoutIsTheNetworkSources() {
    TestSource network = new TestSource(new byte[10]);
    assertSame(network.timeout(), new TeeSource(network, CallProbe.speech()).timeout());
  }

  @Test
  void nothingEndsTheCallBeforeTheApplicationIsDone() throws IOException {
    BufferedSource source = Okio.buffer(new TeeSource(new TestSource(BATCH.bytes, 4096), CallProbe.batchDownload()));
    source.readByteArray(BATCH.bytes.length);
    assertTrue(CallProbe.spans().isEmpty());
  }

  @Test
  void aFailureAfterSomeLinesKeepsWhatTheCallWasFed() {
    UncheckedIOException broken = new UncheckedIOException(new IOException("gone"));
    int half = BATCH.bytes.length / 2;
    BufferedSource source =
        Okio.buffer(new TeeSource(new TestSource(BATCH.bytes, 3000).failingAt(half, broken), CallProbe.batchDownload()));
    assertSame(broken, assertThrows(UncheckedIOException.class, source::readByteArray));
    int completeLines = 0;
    for (int i = 0; i < half; i++) {
      if (BATCH.bytes[i] == '\n') {
        completeLines++;
      }
    }
    assertEquals(CallProbe.batchTokens(completeLines), CallProbe.rowInputTokens());
  }
}
