package dev.tokenledger.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link TeeInputStream}, the response stream of the Apache client (and any transport that hands the
 * application an {@link InputStream}): the application reads exactly the underlying bytes however it
 * reads them, the call is fed exactly those bytes once, and the call ends complete only at end of
 * stream.
 */
@ExtendWith(TestTelemetry.Extension.class)
class TeeInputStreamTest {

  static final BatchBody BATCH = new BatchBody(300);

  interface ReadStyle extends BatchBody.ReadAll<InputStream> {}

  static Stream<Arguments> readStyles() {
    return Stream.of(
        Arguments.of("byte by byte", (ReadStyle) Reads::byteByByte),
        Arguments.of("arrays of 1", arrays(1)),
        Arguments.of("arrays of 7", arrays(7)),
        Arguments.of("arrays of 8192", arrays(8192)),
        Arguments.of("one array larger than the body", arrays(BATCH.bytes.length * 2)),
        Arguments.of("readAllBytes", (ReadStyle) InputStream::readAllBytes),
        Arguments.of("transferTo", (ReadStyle) Reads::transferred),
        Arguments.of("a channel into a heap buffer", channel(false)),
        Arguments.of("a channel into a direct buffer", channel(true)),
        Arguments.of("through a BufferedInputStream", (ReadStyle) in -> new BufferedInputStream(in, 100).readAllBytes()),
        Arguments.of("readFully, then end of stream", (ReadStyle) in -> {
          byte[] all = new byte[BATCH.bytes.length];
          new DataInputStream(in).readFully(all);
          assertEquals(-1, in.read());
          return all;
        }),
        Arguments.of("single bytes and arrays mixed", (ReadStyle) in -> {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          byte[] scratch = new byte[50];
          for (int i = 0; ; i++) {
            if (i % 2 == 0) {
              int b = in.read();
              if (b == -1) {
                break;
              }
              out.write(b);
            } else {
              int n = in.read(scratch, 3, 1 + i % 40);
              if (n == -1) {
                break;
              }
              out.write(scratch, 3, n);
            }
          }
          return out.toByteArray();
        }));
  }

  static ReadStyle arrays(int size) {
    return in -> Reads.inArrays(in, size);
  }

  static ReadStyle channel(boolean direct) {
    return in -> Reads.throughChannel(Channels.newChannel(in), direct, 1000);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("readStyles")
  void theApplicationAndTheCallSeeExactlyTheBodyWhateverTheReads(String name, ReadStyle style) throws Exception {
    BatchBody.forEachChunkPattern(chunks -> BATCH.assertReadOnceThenClosed(
        new TeeInputStream(new TestInputStream(BATCH.bytes, chunks), CallProbe.batchDownload()), style));
  }

  @Test
  void endOfStreamEndsTheCallComplete() throws IOException {
    byte[] audio = new byte[5000];
    TeeInputStream in = new TeeInputStream(new TestInputStream(audio, 700), CallProbe.speech());
    in.readNBytes(audio.length);
    assertNull(CallProbe.endStatus(), "every byte read, but the end not yet seen");
    assertEquals(-1, in.read(new byte[10]));
    assertEquals("completed", CallProbe.endStatus());
    assertEquals(-1, in.read());
    in.close();
    assertEquals("completed", CallProbe.endStatus(), "ended once");
  }

  @Test
  void endOfStreamSeenBySingleByteReadEndsTheCallComplete() throws IOException {
    TeeInputStream in = new TeeInputStream(new TestInputStream(new byte[3]), CallProbe.speech());
    in.read();
    in.read();
    in.read();
    assertNull(CallProbe.endStatus());
    assertEquals(-1, in.read());
    assertEquals("completed", CallProbe.endStatus());
  }

  @Test
  void closingBeforeTheEndClosesTheStreamAndEndsTheCallTruncated() throws IOException {
    TestInputStream underlying = new TestInputStream(new byte[5000], 100);
    TeeInputStream in = new TeeInputStream(underlying, CallProbe.speech());
    in.read(new byte[1000]);
    assertNull(CallProbe.endStatus());
    in.close();
    assertEquals(1, underlying.closes);
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void closingUnreadClosesTheStreamAndEndsTheCallTruncated() throws IOException {
    TestInputStream underlying = new TestInputStream(new byte[5000]);
    new TeeInputStream(underlying, CallProbe.speech()).close();
    assertEquals(1, underlying.closes);
    assertEquals(0, underlying.reads);
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void aReadFailureReachesTheApplicationUnchangedAndEndsTheCallTruncated() throws IOException {
    IOException reset = new IOException("connection reset");
    TestInputStream underlying = new TestInputStream(new byte[5000], 100).failingAt(1000, reset);
    TeeInputStream in = new TeeInputStream(underlying, CallProbe.speech());
    assertEquals(1000, in.readNBytes(1000).length);
    assertNull(CallProbe.endStatus());
    assertSame(reset, assertThrows(IOException.class, () -> in.read(new byte[100])));
    assertEquals("truncated", CallProbe.endStatus());
    assertFalse(underlying.closed(), "the application closes its stream, not the tee");
    assertSame(reset, assertThrows(IOException.class, in::read), "the next read fails the same way");
    assertEquals("truncated", CallProbe.endStatus());
  }

  /**
   * A single-byte read the stream fails with {@code failure}: the failure reaches the application
   * unchanged and the call ends truncated.
   */
  static void assertSingleByteReadFailsWith(Exception failure) {
    TeeInputStream in = new TeeInputStream(new TestInputStream(new byte[10]).failingAt(0, failure), CallProbe.speech());
    assertSame(failure, assertThrows(failure.getClass(), in::read));
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void aSingleByteReadFailureReachesTheApplicationUnchanged() {
    assertSingleByteReadFailsWith(new IOException("connection reset"));
  }

  @Test
  void aRuntimeFailureOfTheStreamReachesTheApplicationUnchanged() {
    UncheckedIOException broken = new UncheckedIOException(new IOException("decoder"));
    TeeInputStream in = new TeeInputStream(new TestInputStream(new byte[10]).failingAt(4, broken), CallProbe.speech());
    assertSame(broken, assertThrows(UncheckedIOException.class, () -> in.readNBytes(10)));
    assertEquals("truncated", CallProbe.endStatus());

    TestTelemetry.clear();
    assertSingleByteReadFailsWith(new IllegalStateException("pool shut down"));
  }

  @Test
  void aCloseFailureReachesTheApplicationUnchangedAndStillEndsTheCall() {
    IOException closing = new IOException("close failed");
    TeeInputStream in = new TeeInputStream(new TestInputStream(new byte[10]).failingOnClose(closing), CallProbe.speech());
    assertSame(closing, assertThrows(IOException.class, in::close));
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void skippedBytesAreReadThroughSoTheCallStillSeesThem() throws IOException {
    TeeInputStream in = new TeeInputStream(new TestInputStream(BATCH.bytes, 333), CallProbe.batchDownload());
    byte[] head = in.readNBytes(10);
    assertEquals(BATCH.bytes.length / 2 - 10, in.skip(BATCH.bytes.length / 2 - 10));
    byte[] tail = in.readAllBytes();
    assertArrayEquals(Arrays.copyOfRange(BATCH.bytes, 0, 10), head);
    assertArrayEquals(Arrays.copyOfRange(BATCH.bytes, BATCH.bytes.length / 2, BATCH.bytes.length), tail);
    BATCH.assertFedOnce();
  }

  @Test
  void skippingPastTheEndSkipsWhatIsLeftAndEndsTheCallComplete() throws IOException {
    TeeInputStream in = new TeeInputStream(new TestInputStream(new byte[20000], 512), CallProbe.speech());
    in.readNBytes(100);
    assertEquals(19900, in.skip(1_000_000));
    assertEquals("completed", CallProbe.endStatus());
    assertEquals(0, in.skip(5));
  }

  @Test
  void skippingNothingReadsNothing() throws IOException {
    TestInputStream underlying = new TestInputStream(new byte[100]);
    TeeInputStream in = new TeeInputStream(underlying, CallProbe.speech());
    assertEquals(0, in.skip(0));
    assertEquals(0, in.skip(-5));
    assertEquals(0, underlying.reads);
    assertNull(CallProbe.endStatus());
  }

  @Test
  void anEmptyReadIsNotTheEnd() throws IOException {
    TeeInputStream in = new TeeInputStream(new TestInputStream(new byte[100]), CallProbe.speech());
    assertEquals(0, in.read(new byte[10], 3, 0));
    assertNull(CallProbe.endStatus());
  }

  @Test
  void availableIsTheStreams() throws IOException {
    TeeInputStream in = new TeeInputStream(new TestInputStream(new byte[100]), CallProbe.speech());
    assertEquals(5, in.available());
  }

  @Test
  void markIsNotOffered() {
    assertFalse(new TeeInputStream(new ByteArrayInputStream(BATCH.bytes), CallProbe.batchDownload()).markSupported());
  }

  @Test
  void aResetDoesNotFeedTheCallTheSameBytesTwice() throws IOException {
    TeeInputStream in = new TeeInputStream(new ByteArrayInputStream(BATCH.bytes), CallProbe.batchDownload());
    int firstLine = CallProbeTest.indexOf(BATCH.bytes, (byte) '\n') + 1;
    in.mark(BATCH.bytes.length);
    in.readNBytes(firstLine);
    try {
      in.reset();
    } catch (IOException expected) {
      // what a stream without mark support does
    }
    in.readAllBytes();
    BATCH.assertFedOnce();
  }

  @Test
  void nothingEndsTheCallBeforeTheApplicationIsDone() throws IOException {
    TeeInputStream in = new TeeInputStream(new TestInputStream(BATCH.bytes, 4096), CallProbe.batchDownload());
    in.readNBytes(BATCH.bytes.length);
    assertTrue(CallProbe.spans().isEmpty());
  }
}
