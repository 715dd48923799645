package dev.tokenledger.usage;

import dev.tokenledger.fuzz.FuzzInput;
import java.util.ArrayList;
import java.util.List;

/**
 * Usage objects built from fuzzer bytes: every member any {@link UsageShape} reads, each present or
 * not, null, a string, a small count, or one of the numbers that break arithmetic (the largest and
 * smallest longs, values whose sums overflow, doubles past the long range, fractions).
 */
final class UsageObjects {

  private static final String[] TOP = {
    "prompt_tokens", "completion_tokens", "input_tokens", "output_tokens", "total_tokens", "seconds"
  };
  private static final String[] DETAILS = {
    "prompt_tokens_details", "completion_tokens_details", "input_tokens_details", "output_tokens_details",
    "input_token_details", "output_token_details"
  };
  private static final String[] DETAIL_COUNTS = {
    "cached_tokens", "cache_write_tokens", "text_tokens", "audio_tokens", "image_tokens", "reasoning_tokens"
  };
  private static final Object[] EXTREMES = {
    Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE / 2, Long.MAX_VALUE / 3, Long.MAX_VALUE / 4 + 1,
    4_000_000_000_000_000_000L, -4_000_000_000_000_000_000L, 9_007_199_254_740_993L, 1L << 62, -1L,
    1.0e19, -1.0e19, 9.1e18, 8.9e18, 3.0e18, 2.5, -0.5, 1.0e-3, Double.MAX_VALUE
  };

  private UsageObjects() {}

  /** Reads the bytes as one decision per member; missing bytes leave the rest absent. */
  static JsonObject build(byte[] program) {
    Reader in = new Reader(program);
    JsonObject usage = new JsonObject();
    int type = in.next();
    if (type % 5 == 1) {
      usage.put("type", "tokens");
    } else if (type % 5 == 2) {
      usage.put("type", "duration");
    } else if (type % 5 == 3) {
      usage.put("type", "unknown");
    }
    for (String key : TOP) {
      member(usage, key, in);
    }
    for (String details : DETAILS) {
      int presence = in.next();
      if (presence % 4 == 0) {
        continue;
      }
      if (presence % 4 == 1) {
        usage.put(details, null);
        continue;
      }
      JsonObject d = new JsonObject();
      for (String key : DETAIL_COUNTS) {
        member(d, key, in);
      }
      if ("input_token_details".equals(details) && in.next() % 2 == 1) {
        JsonObject cached = new JsonObject();
        for (String key : DETAIL_COUNTS) {
          member(cached, key, in);
        }
        d.put("cached_tokens_details", cached);
      }
      usage.put(details, d);
    }
    return usage;
  }

  private static void member(JsonObject o, String key, Reader in) {
    int b = in.next();
    switch (b % 8) {
      case 0:
        return;
      case 1:
        o.put(key, null);
        return;
      case 2:
        o.put(key, String.valueOf(b));
        return;
      case 3:
        o.put(key, EXTREMES[in.next() % EXTREMES.length]);
        return;
      case 4:
        o.put(key, (double) ((in.next() << 8) | in.next()) / 7);
        return;
      default:
        o.put(key, (long) ((in.next() << 8) | in.next()));
    }
  }

  /** Seeds for the structured mode: a few programs, small counts everywhere and extremes. */
  static List<byte[]> seeds() {
    List<byte[]> seeds = new ArrayList<>();
    int flag = 0x80;
    seeds.add(FuzzInput.encode(flag, 0, new byte[] {0, 5, 1, 16, 5, 2, 8, 5, 3, 0, 0, 0, 0}));
    byte[] all = new byte[200];
    for (int i = 0; i < all.length; i++) {
      all[i] = (byte) (i % 3 == 0 ? 5 : 1 + i % 7);
    }
    seeds.add(FuzzInput.encode(flag, 0, all));
    byte[] extremes = new byte[200];
    for (int i = 0; i < extremes.length; i++) {
      extremes[i] = (byte) (i % 2 == 0 ? 3 : i);
    }
    seeds.add(FuzzInput.encode(flag, 0, extremes));
    return seeds;
  }

  private static final class Reader {
    private final byte[] bytes;
    private int at;

    Reader(byte[] bytes) {
      this.bytes = bytes;
    }

    int next() {
      return at < bytes.length ? bytes[at++] & 0xff : 0;
    }
  }
}
