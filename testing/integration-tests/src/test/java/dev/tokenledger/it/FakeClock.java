package dev.tokenledger.it;

import dev.tokenledger.simulator.GroundTruth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A child process's wall clock moved by a fixed offset with libfaketime ({@code LD_PRELOAD}), so an
 * end-to-end run can put its telemetry on both sides of an hour or UTC-day boundary without waiting
 * for one. Only the wall clock moves ({@code FAKETIME_DONT_FAKE_MONOTONIC=1}): timeouts, schedules and
 * durations measured on the monotonic clock are untouched, and timed waits keep their length. The
 * library is the Debian/Ubuntu package {@code faketime} (or {@code libfaketime});
 * {@code TOKENLEDGER_LIBFAKETIME} names another copy.
 */
final class FakeClock {

  private static final List<String> CANDIDATES = List.of(
      "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
      "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
      "/usr/lib/faketime/libfaketime.so.1",
      "/usr/local/lib/faketime/libfaketime.so.1",
      "/usr/lib64/faketime/libfaketime.so.1");

  private FakeClock() {}

  /** The environment that starts a process with its wall clock {@code offsetSeconds} ahead (or behind). */
  static Map<String, String> environment(long offsetSeconds) {
    return Map.of(
        "LD_PRELOAD", library().toString(),
        "FAKETIME", (offsetSeconds >= 0 ? "+" : "") + offsetSeconds + "s",
        "FAKETIME_DONT_FAKE_MONOTONIC", "1",
        // Off: with glibc the library otherwise turns on a "monotonic fix" that makes timed waits
        // (pthread_cond_timedwait: Object.wait, LockSupport.parkNanos) return at once, so every
        // waiting JVM thread spins.
        "FAKETIME_FORCE_MONOTONIC_FIX", "0");
  }

  /**
   * libfaketime, the single-threaded build: with a fixed offset it keeps no state that threads could
   * race on, and the JVM reads the clock so often that the multi-threaded build's locking made the
   * demo app about ten times slower. A clear error when it is not installed.
   */
  static Path library() {
    String override = System.getenv("TOKENLEDGER_LIBFAKETIME");
    if (override != null && !override.isBlank()) {
      Path p = Paths.get(override);
      if (!Files.isRegularFile(p)) {
        throw new IllegalStateException("TOKENLEDGER_LIBFAKETIME names " + p + ", which is not a file: point it at "
            + "libfaketime.so.1 or unset it");
      }
      return p;
    }
    for (String c : CANDIDATES) {
      Path p = Paths.get(c);
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    throw new IllegalStateException("libfaketime is not installed, so the end-to-end test cannot move the demo app's"
        + " clock across an hour and a UTC-day boundary. Install it (Debian/Ubuntu: apt-get install faketime) or set"
        + " TOKENLEDGER_LIBFAKETIME to libfaketime.so.1. Looked in " + CANDIDATES);
  }

  /** A simulator record with its time moved by {@code offset}, every other field unchanged. */
  static GroundTruth shifted(GroundTruth t, Duration offset) {
    return new GroundTruth(t.responseId(), t.requestId(), t.api(), t.model(), t.requestModel(), t.httpStatus(),
        t.usageSource(), t.tokens(), t.audioSeconds(), t.inputCharacters(), t.serviceTier(), t.batch(), t.streamed(),
        t.project(), t.bodySha256(), t.bodyLength(), t.time().plus(offset), t.host(), t.status(), t.sessionId(),
        t.connectionId());
  }
}
