package dev.tokenledger.agent;

import java.nio.charset.Charset;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Mints {@code tokenledger.record.id}, the unit of exactly-once (docs/clickhouse.md#exactly-once):
 * however the Collector batches, retries or replays a usage record, every copy carries the same id,
 * and ClickHouse counts each id once.
 *
 * <p>An id is 32 lowercase hex digits: a random 64-bit prefix drawn once per process from {@link
 * SecureRandom}, then a per-process counter. Ids of one process never repeat; two processes collide
 * only if their prefixes do (one chance in 2<sup>64</sup> per pair). A counter instead of fresh random
 * bits per record keeps the hot path to one atomic increment, with no entropy read per call.
 *
 * <p>A Batch output line is the exception: the same file can be downloaded any number of times, and
 * each download must bill once, so its id is derived from the line ({@link #ofBatchLine}).
 */
final class RecordIds {

  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private static final long PREFIX = new SecureRandom().nextLong();
  private static final AtomicLong COUNTER = new AtomicLong();

  private RecordIds() {}

  /** A new id, unique for the life of this process and, with overwhelming probability, across processes. */
  static String next() {
    char[] out = new char[32];
    writeHex(out, 0, PREFIX);
    writeHex(out, 16, COUNTER.incrementAndGet());
    return new String(out);
  }

  /**
   * The id of a Batch output line, the same on every download of its file: the first 32 hex digits
   * of SHA-256 over {@code "batch-output\n" + fileId + "\n" + lineKey}, where the line key is the
   * line's {@code id} ({@code batch_req_…}), else {@code "custom_id:"} and its {@code custom_id}, else
   * {@code "line:"} and its position in the file (docs/signals.md). {@code fileId} null counts as empty.
   */
  static String ofBatchLine(String fileId, String lineKey) {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      return next(); // every Java runtime has SHA-256; without it the line is at least counted
    }
    byte[] digest = sha256.digest(
        ("batch-output\n" + (fileId == null ? "" : fileId) + "\n" + lineKey).getBytes(UTF_8));
    char[] out = new char[32];
    for (int i = 0; i < 16; i++) {
      out[2 * i] = HEX[(digest[i] >> 4) & 0xF];
      out[2 * i + 1] = HEX[digest[i] & 0xF];
    }
    return new String(out);
  }

  private static final Charset UTF_8 = Charset.forName("UTF-8");

  private static void writeHex(char[] out, int at, long value) {
    for (int i = 15; i >= 0; i--) {
      out[at + i] = HEX[(int) (value & 0xF)];
      value >>>= 4;
    }
  }
}
