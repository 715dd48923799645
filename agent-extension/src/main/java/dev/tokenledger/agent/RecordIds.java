package dev.tokenledger.agent;

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

  private static void writeHex(char[] out, int at, long value) {
    for (int i = 15; i >= 0; i--) {
      out[at + i] = HEX[(int) (value & 0xF)];
      value >>>= 4;
    }
  }
}
