package dev.tokenledger.instrumentation.netty.v4_1;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * Netty's leak detector at its paranoid level, with every leak it reports kept here, so that a test
 * fails on it instead of a log line nobody reads.
 */
final class NettyLeaks {

  private static final List<String> LEAKS = new ArrayList<>();
  private static boolean installed;

  static synchronized void install() {
    if (installed) {
      return;
    }
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
      @Override
      @SuppressWarnings("deprecation")
      public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
        return new Recording<>(resource, samplingInterval);
      }
    });
    installed = true;
  }

  private static final class Recording<T> extends ResourceLeakDetector<T> {
    Recording(Class<T> resource, int samplingInterval) {
      super(resource, samplingInterval);
    }

    @Override
    protected boolean needReport() {
      return true;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
      record("LEAK " + resourceType + ": " + records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
      record("LEAK " + resourceType);
    }
  }

  private static void record(String leak) {
    synchronized (LEAKS) {
      LEAKS.add(leak);
    }
  }

  /**
   * Collects garbage and makes the detector look at what it found (it reports when a buffer is next
   * tracked); fails when any buffer was collected without being released.
   */
  static void assertNoLeaks() throws InterruptedException {
    assertEquals(List.of(), collect(), "Netty reported leaked buffers");
  }

  /** The leaks reported so far, after a collection; forgets them. */
  static List<String> collect() throws InterruptedException {
    for (int round = 0; round < 5; round++) {
      System.gc();
      Thread.sleep(50);
      for (int i = 0; i < 200; i++) {
        ByteBuf pooled = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        pooled.release();
        ByteBuf heap = Unpooled.buffer(16);
        heap.release();
      }
    }
    synchronized (LEAKS) {
      List<String> leaks = new ArrayList<>(LEAKS);
      LEAKS.clear();
      return leaks;
    }
  }

  private NettyLeaks() {}
}
