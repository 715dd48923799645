package dev.tokenledger.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * A batch output file ({@link CallProbe#batchFile}) as the tee tests hand it to a transport, and what
 * they check of every read of it: the application got exactly its bytes, and the call was fed them
 * once, in order (one ledger row per line, see {@link CallProbe}). Also the ways a network delivers a
 * body, for the tests that read it under each.
 */
public final class BatchBody {

  /**
   * How a network hands a body over, as the chunk sizes it cycles through ({@link TestInputStream},
   * the OkHttp test source, the JDK client's buffers): all at once, a byte at a time, tiny uneven
   * pieces, pieces around the clients' buffer sizes, and pieces larger than any buffer.
   */
  public static final List<int[]> CHUNK_PATTERNS = List.of(
      new int[] {Integer.MAX_VALUE},
      new int[] {1},
      new int[] {1, 2, 3},
      new int[] {3, 1000, 17, 8192},
      new int[] {100, 7000, 1},
      new int[] {8192, 13, 100_000},
      new int[] {16384});

  /** A test run under one chunk pattern. */
  public interface ChunkedTest {
    void run(int[] chunks) throws Exception;
  }

  /** How an application reads a whole body from what a transport hands it. */
  public interface ReadAll<T> {
    byte[] readAll(T body) throws IOException;
  }

  /**
   * Runs {@code test} under each of {@link #CHUNK_PATTERNS}, each time on fresh telemetry; a failure
   * names its pattern.
   */
  public static void forEachChunkPattern(ChunkedTest test) throws Exception {
    for (int[] chunks : CHUNK_PATTERNS) {
      TestTelemetry.clear();
      try {
        test.run(chunks);
      } catch (AssertionError e) {
        throw new AssertionError("chunks " + Arrays.toString(chunks) + ": " + e.getMessage(), e);
      }
    }
  }

  public final int lines;
  public final byte[] bytes;

  /** A file of {@code lines} lines of a few hundred bytes each: a body spanning many buffers. */
  public BatchBody(int lines) {
    this.lines = lines;
    this.bytes = CallProbe.batchFile(lines, 40);
  }

  public String text() {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** The call was fed the whole body exactly once, in order: one row per line. */
  public void assertFedOnce(String message) {
    assertEquals(CallProbe.batchTokens(lines), CallProbe.rowInputTokens(), message);
  }

  public void assertFedOnce() {
    assertFedOnce("the call's bytes, once, in order");
  }

  /** The application read exactly the body, and the call was fed it once, in order. */
  public void assertReadOnce(byte[] read) {
    assertReadOnce("", read);
  }

  /** The same, each message led by {@code context}. */
  public void assertReadOnce(String context, byte[] read) {
    assertArrayEquals(bytes, read, context + "the application's bytes");
    assertFedOnce(context + "the call's bytes, once, in order");
  }

  /** The application read exactly the body as text, and the call was fed it once, in order. */
  public void assertTextReadOnce(String read) {
    assertEquals(text(), read, "the application's text");
    assertFedOnce();
  }

  /**
   * Reads the whole body through {@code tee} as {@code read} does: the application gets exactly the
   * body and the call is fed it once, in order; closing the tee after the end adds nothing.
   */
  public <T extends Closeable> void assertReadOnceThenClosed(T tee, ReadAll<? super T> read) throws IOException {
    try (T body = tee) {
      assertReadOnce(read.readAll(body));
    }
    assertFedOnce("close after the end adds nothing");
  }
}
