package dev.tokenledger.usage;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Diagnostics through {@code java.util.logging} at WARNING, at most once per interval per category,
 * with the number of messages suppressed in between. Malformed provider input can arrive on every
 * request; the application's log must not pay for it. Messages must never contain prompt or
 * completion content (callers pass fixed text, ids and counts only).
 */
public final class RateLimitedLog {

  /** Interval of the shared instance behind {@link #warn(String, String)}. */
  public static final long DEFAULT_INTERVAL_SECONDS = 60;
  /** Categories are fixed strings in code; the cap only guards against a caller passing data. */
  static final int MAX_CATEGORIES = 256;

  private static final RateLimitedLog SHARED =
      new RateLimitedLog(
          Logger.getLogger("dev.tokenledger"), TimeUnit.SECONDS.toNanos(DEFAULT_INTERVAL_SECONDS),
          new Clock());

  private final Logger logger;
  private final long intervalNanos;
  private final Clock clock;
  private final ConcurrentMap<String, Category> categories = new ConcurrentHashMap<String, Category>();

  /** Time source, replaceable in tests. */
  static class Clock {
    long nanoTime() {
      return System.nanoTime();
    }
  }

  private static final class Category {
    final AtomicLong nextAllowed;
    final AtomicLong suppressed = new AtomicLong();

    Category(long now) {
      nextAllowed = new AtomicLong(now);
    }
  }

  public RateLimitedLog(Logger logger, long intervalSeconds) {
    this(logger, TimeUnit.SECONDS.toNanos(intervalSeconds), new Clock());
  }

  RateLimitedLog(Logger logger, long intervalNanos, Clock clock) {
    this.logger = logger;
    this.intervalNanos = intervalNanos;
    this.clock = clock;
  }

  /** Logs through the shared instance (logger {@code dev.tokenledger}, once a minute per category). */
  public static void warn(String category, String message) {
    SHARED.log(category, message);
  }

  /**
   * Logs {@code message} unless this category logged less than an interval ago; returns whether it
   * was logged. Never throws.
   */
  public boolean log(String category, String message) {
    try {
      long now = clock.nanoTime();
      Category c = categories.get(category);
      if (c == null) {
        if (categories.size() >= MAX_CATEGORIES) {
          category = "(other)";
        }
        Category fresh = new Category(now);
        Category raced = categories.putIfAbsent(category, fresh);
        c = raced == null ? fresh : raced;
      }
      long next = c.nextAllowed.get();
      if (now - next < 0 || !c.nextAllowed.compareAndSet(next, now + intervalNanos)) {
        c.suppressed.incrementAndGet();
        return false;
      }
      long suppressed = c.suppressed.getAndSet(0);
      if (logger.isLoggable(Level.WARNING)) {
        logger.log(
            Level.WARNING,
            suppressed == 0
                ? message
                : message + " (" + suppressed + " similar message(s) suppressed)");
      }
      return true;
    } catch (Throwable t) {
      return false;
    }
  }

  /** Messages of this category suppressed since it last logged. */
  public long suppressed(String category) {
    Category c = categories.get(category);
    return c == null ? 0 : c.suppressed.get();
  }
}
