package dev.tokenledger.fuzz;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One fuzzer input: a three-byte header and the payload (the bytes a transport would deliver). The
 * header picks the variant a target runs (which API, which delivery) and seeds the cuts that split
 * the payload into chunks, so the fuzzer mutates the chunking as well as the bytes, and every input
 * replays exactly.
 *
 * <pre>
 * byte 0     selector (read through {@link #choose(int)} and {@link #flag(int)})
 * bytes 1-2  seed of the chunk cuts
 * bytes 3-   payload
 * </pre>
 */
public final class FuzzInput {

  public static final int HEADER_BYTES = 3;

  private final int selector;
  private final int cutSeed;
  private final byte[] payload;

  private FuzzInput(int selector, int cutSeed, byte[] payload) {
    this.selector = selector;
    this.cutSeed = cutSeed;
    this.payload = payload;
  }

  public static FuzzInput of(byte[] data) {
    int selector = data.length > 0 ? data[0] & 0xff : 0;
    int cutSeed = (data.length > 1 ? (data[1] & 0xff) << 8 : 0) | (data.length > 2 ? data[2] & 0xff : 0);
    byte[] payload = data.length > HEADER_BYTES ? Arrays.copyOfRange(data, HEADER_BYTES, data.length) : new byte[0];
    return new FuzzInput(selector, cutSeed, payload);
  }

  /** The input bytes that decode to this selector, cut seed and payload. */
  public static byte[] encode(int selector, int cutSeed, byte[] payload) {
    byte[] data = new byte[HEADER_BYTES + payload.length];
    data[0] = (byte) selector;
    data[1] = (byte) (cutSeed >> 8);
    data[2] = (byte) cutSeed;
    System.arraycopy(payload, 0, data, HEADER_BYTES, payload.length);
    return data;
  }

  public byte[] payload() {
    return payload;
  }

  public int selector() {
    return selector;
  }

  /** One of {@code n} variants, from the low bits of the selector. */
  public int choose(int n) {
    return (selector & 0x1f) % n;
  }

  /** Bits 5-7 of the selector, as independent switches. */
  public boolean flag(int bit) {
    return (selector & (0x20 << bit)) != 0;
  }

  /** Randomness for the target's other choices; the same for the same input. */
  public SplittableRandom random() {
    return new SplittableRandom(0x5DEECE66DL * (cutSeed + 1) + selector);
  }

  /**
   * Lengths of consecutive chunks covering {@code n} bytes. Mostly tiny chunks (every split position
   * matters to an incremental reader), some large ones, now and then an empty one. Seed 0 means one
   * chunk of everything.
   */
  public int[] chunkLengths(int n) {
    if (cutSeed == 0) {
      return new int[] {n};
    }
    SplittableRandom r = new SplittableRandom(cutSeed);
    List<Integer> lengths = new ArrayList<>();
    int left = n;
    while (left > 0) {
      int len;
      switch (r.nextInt(8)) {
        case 0:
          len = 0;
          break;
        case 1:
        case 2:
          len = 1;
          break;
        case 3:
        case 4:
          len = 1 + r.nextInt(8);
          break;
        case 5:
        case 6:
          len = 1 + r.nextInt(256);
          break;
        default:
          len = 1 + r.nextInt(8192);
      }
      len = Math.min(len, left);
      lengths.add(len);
      left -= len;
    }
    int[] out = new int[lengths.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = lengths.get(i);
    }
    return out;
  }

  /** The payload split at {@link #chunkLengths}: each chunk in an array of its own, at an offset. */
  public List<Chunk> chunks(byte[] bytes) {
    List<Chunk> chunks = new ArrayList<>();
    int at = 0;
    int k = 0;
    for (int len : chunkLengths(bytes.length)) {
      // Copied into a larger array at an offset: readers must honour (off, len) and never look past it.
      int pad = (k++ % 3);
      byte[] copy = new byte[len + 2 * pad];
      Arrays.fill(copy, (byte) '"');
      System.arraycopy(bytes, at, copy, pad, len);
      chunks.add(new Chunk(copy, pad, len));
      at += len;
    }
    return chunks;
  }

  /** A slice of a larger array, as a transport hands it on. */
  public record Chunk(byte[] array, int offset, int length) {}
}
