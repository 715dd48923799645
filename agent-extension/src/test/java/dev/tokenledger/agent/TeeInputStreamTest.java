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
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
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

  static final int LINES = 300;
  static final byte[] FILE = CallProbe.batchFile(LINES, 40);

  interface ReadStyle {
    byte[] readAll(InputStream in) throws IOException;
  }

  static Stream<Arguments> readStyles() {
    return Stream.of(
        Arguments.of("byte by byte", (ReadStyle) in -> {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          for (int b; (b = in.read()) != -1; ) {
            out.write(b);
          }
          return out.toByteArray();
        }),
        Arguments.of("arrays of 1", arrays(1)),
        Arguments.of("arrays of 7", arrays(7)),
        Arguments.of("arrays of 8192", arrays(8192)),
        Arguments.of("one array larger than the body", arrays(FILE.length * 2)),
        Arguments.of("readAllBytes", (ReadStyle) InputStream::readAllBytes),
        Arguments.of("transferTo", (ReadStyle) in -> {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          in.transferTo(out);
          return out.toByteArray();
        }),
        Arguments.of("a channel into a heap buffer", channel(false)),
        Arguments.of("a channel into a direct buffer", channel(true)),
        Arguments.of("through a BufferedInputStream", (ReadStyle) in -> new BufferedInputStream(in, 100).readAllBytes()),
        Arguments.of("readFully, then end of stream", (ReadStyle) in -> {
          byte[] all = new byte[FILE.length];
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

  /** Reads into arrays at an offset, so that a tee ignoring the offset would show. */
  static ReadStyle arrays(int size) {
    return in -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] scratch = new byte[size + 5];
      Arrays.fill(scratch, (byte) '#');
      for (int n; (n = in.read(scratch, 5, size)) != -1; ) {
        out.write(scratch, 5, n);
      }
      return out.toByteArray();
    };
  }

  static ReadStyle channel(boolean direct) {
    return in -> {
      ReadableByteChannel channel = Channels.newChannel(in);
      ByteBuffer buffer = direct ? ByteBuffer.allocateDirect(1000) : ByteBuffer.allocate(1000);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      while (channel.read(buffer) != -1) {
        buffer.flip();
        byte[] chunk = new byte[buffer.remaining()];
        buffer.get(chunk);
        out.write(chunk);
        buffer.clear();
      }
      return out.toByteArray();
    };
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("readStyles")
  void theApplicationAndTheCallSeeExactlyTheBodyWhateverTheReads(String name, ReadStyle style) throws IOException {
    for (int[] chunks : new int[][] {{}, {1}, {3, 1000, 17, 8192}}) {
      TestTelemetry.clear();
      try (TeeInputStream in = new TeeInputStream(new TestInputStream(FILE, chunks), CallProbe.batchDownload())) {
        assertArrayEquals(FILE, style.readAll(in), "the application's bytes");
        assertEquals(CallProbe.batchTokens(LINES), CallProbe.rowInputTokens(), "the call's bytes, once, in order");
      }
      assertEquals(CallProbe.batchTokens(LINES), CallProbe.rowInputTokens(), "close after the end adds nothing");
    }
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

  @Test
  void aSingleByteReadFailureReachesTheApplicationUnchanged() {
    IOException reset = new IOException("connection reset");
    TeeInputStream in = new TeeInputStream(new TestInputStream(new byte[10]).failingAt(0, reset), CallProbe.speech());
    assertSame(reset, assertThrows(IOException.class, in::read));
    assertEquals("truncated", CallProbe.endStatus());
  }

  @Test
  void aRuntimeFailureOfTheStreamReachesTheApplicationUnchanged() {
    UncheckedIOException broken = new UncheckedIOException(new IOException("decoder"));
    TeeInputStream in = new TeeInputStream(new TestInputStream(new byte[10]).failingAt(4, broken), CallProbe.speech());
    assertSame(broken, assertThrows(UncheckedIOException.class, () -> in.readNBytes(10)));
    assertEquals("truncated", CallProbe.endStatus());

    TestTelemetry.clear();
    IllegalStateException state = new IllegalStateException("pool shut down");
    TeeInputStream single = new TeeInputStream(new TestInputStream(new byte[10]).failingAt(0, state), CallProbe.speech());
    assertSame(state, assertThrows(IllegalStateException.class, single::read));
    assertEquals("truncated", CallProbe.endStatus());
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
    TeeInputStream in = new TeeInputStream(new TestInputStream(FILE, 333), CallProbe.batchDownload());
    byte[] head = in.readNBytes(10);
    assertEquals(FILE.length / 2 - 10, in.skip(FILE.length / 2 - 10));
    byte[] tail = in.readAllBytes();
    assertArrayEquals(Arrays.copyOfRange(FILE, 0, 10), head);
    assertArrayEquals(Arrays.copyOfRange(FILE, FILE.length / 2, FILE.length), tail);
    assertEquals(CallProbe.batchTokens(LINES), CallProbe.rowInputTokens());
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
    assertFalse(new TeeInputStream(new ByteArrayInputStream(FILE), CallProbe.batchDownload()).markSupported());
  }

  @Test
  void aResetDoesNotFeedTheCallTheSameBytesTwice() throws IOException {
    TeeInputStream in = new TeeInputStream(new ByteArrayInputStream(FILE), CallProbe.batchDownload());
    int firstLine = CallProbeTest.indexOf(FILE, (byte) '\n') + 1;
    in.mark(FILE.length);
    in.readNBytes(firstLine);
    try {
      in.reset();
    } catch (IOException expected) {
      // what a stream without mark support does
    }
    in.readAllBytes();
    assertEquals(CallProbe.batchTokens(LINES), CallProbe.rowInputTokens());
  }

  @Test
  void nothingEndsTheCallBeforeTheApplicationIsDone() throws IOException {
    TeeInputStream in = new TeeInputStream(new TestInputStream(FILE, 4096), CallProbe.batchDownload());
    in.readNBytes(FILE.length);
    assertTrue(CallProbe.rows().isEmpty());
    assertTrue(CallProbe.spans().isEmpty());
  }
}
