package dev.tokenledger.instrumentation.netty.v4_1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Frame text read in place: every split of a message's bytes into frames gives the message's chars. */
class Utf8FramesTest {

  @BeforeAll
  static void installAdvice() {
    PipelineAdvice.install(); // before the first buffer, so that every test class's leaks are seen
  }

  static final String TEXT = "{\"type\":\"response.done\",\"t\":\"a\u00e9\u20ac\uD83D\uDE00z \u00fc\u00df\u4e2d\uD83C\uDF89\"}";

  /** The chars of {@code bytes} split into frames at {@code cuts}, as the reader gets them. */
  static String read(byte[] bytes, int... cuts) {
    Utf8Frames frames = new Utf8Frames();
    StringBuilder out = new StringBuilder();
    List<ByteBuf> buffers = new ArrayList<>();
    int from = 0;
    for (int i = 0; i <= cuts.length; i++) {
      int to = i < cuts.length ? cuts[i] : bytes.length;
      ByteBuf frame = Unpooled.directBuffer().writeBytes(bytes, from, to - from);
      buffers.add(frame);
      Utf8Text text = frames.next(frame, i == 0, i == cuts.length);
      assertEquals(0, frame.readerIndex());
      for (int c = 0; c < text.length(); c++) {
        out.append(text.charAt(c));
      }
      assertEquals(text.toString(), out.substring(out.length() - text.length()), "random access gives the same chars");
      from = to;
    }
    buffers.forEach(ByteBuf::release);
    return out.toString();
  }

  @Test
  void everySplitIntoTwoOrThreeFramesGivesTheText() {
    byte[] bytes = TEXT.getBytes(StandardCharsets.UTF_8);
    assertEquals(TEXT, read(bytes));
    for (int a = 0; a <= bytes.length; a++) {
      assertEquals(TEXT, read(bytes, a), "split at " + a);
      for (int b = a; b <= bytes.length; b++) {
        assertEquals(TEXT, read(bytes, a, b), "split at " + a + " and " + b);
      }
    }
  }

  @Test
  void malformedBytesBecomeReplacementCharsCountedAsRead() {
    byte[][] inputs = {
      {(byte) 0x80, 'a'}, {'a', (byte) 0xC3}, {(byte) 0xE2, (byte) 0x82, 'b'}, {(byte) 0xF0, (byte) 0x9F, 'c', 'd'},
      {(byte) 0xFF, 'e'}, {'f', (byte) 0xC3, (byte) 0xA9, (byte) 0xA9, 'g'}
    };
    String[] expected = {"a", "a\uFFFD", "\uFFFDb", "\uFFFD\uFFFDcd", "\uFFFDe", "f\u00e9g"};
    for (int i = 0; i < inputs.length; i++) {
      assertEquals(expected[i], read(inputs[i]));
    }
  }

  /**
   * Without its length counted first, a frame's text gives the same bounded counts and the same
   * chars, ending where length() ends (the reader skips audio deltas that way).
   */
  @Test
  void boundedCountsAndReadingWithoutTheLengthAgreeWithTheLength() {
    byte[][] inputs = {
      TEXT.getBytes(StandardCharsets.UTF_8), {(byte) 0x80, 'a'}, {'a', (byte) 0xC3},
      {(byte) 0xF0, (byte) 0x9F, 'c', 'd'}, {(byte) 0x80, (byte) 0x80}, {}
    };
    for (byte[] bytes : inputs) {
      ByteBuf frame = Unpooled.directBuffer().writeBytes(bytes);
      try {
        int length = new Utf8Frames().next(frame, true, true).length();
        for (int limit = 0; limit <= length + 2; limit++) {
          assertEquals(Math.min(length, limit), new Utf8Frames().next(frame, true, true).lengthAtMost(limit));
        }
        Utf8Text text = new Utf8Frames().next(frame, true, true);
        StringBuilder chars = new StringBuilder();
        for (int c = 0; c < length; c++) {
          chars.append(text.charAt(c));
        }
        int end = length;
        assertThrows(IndexOutOfBoundsException.class, () -> text.charAt(end));
        assertThrows(IndexOutOfBoundsException.class, () -> new Utf8Frames().next(frame, true, true).charAt(end));
        assertEquals(new Utf8Frames().next(frame, true, true).toString(), chars.toString());
      } finally {
        frame.release();
      }
    }
  }
}
