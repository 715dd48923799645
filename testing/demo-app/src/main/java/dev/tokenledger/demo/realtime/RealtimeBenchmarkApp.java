package dev.tokenledger.demo.realtime;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The application side of the Realtime benchmark, through the JDK WebSocket client. The runner starts
 * it under the agent alone and under agent + extension in the same run.
 *
 * <pre>
 * RealtimeBenchmarkApp WS_URL cpu CONNECTIONS TURNS PACE_MS [MAX_WARMUPS]
 * RealtimeBenchmarkApp WS_URL memory CONNECTIONS
 * </pre>
 *
 * <p>{@code cpu}: after a warm-up (unpaced, then the measured sessions until the JIT compiler is
 * nearly idle, at most MAX_WARMUPS times, default 3), CONNECTIONS concurrent
 * voice sessions of TURNS turns each, replayed at real audio rates (the caller's 24 kHz PCM16 audio
 * appended in 100 ms chunks every 100 ms, the answer's audio arriving as one delta per PACE_MS
 * carrying PACE_MS of audio, ~64 KB/s of base64 each way); prints the process CPU time of the
 * measured pass, the JIT compilation time within it, and (on Linux) its CPU time by group of threads. {@code memory}: opens CONNECTIONS connections, each with a
 * session and one answered turn, and keeps them open; prints the heap retained after GC before and
 * after, and the difference per connection.
 */
public final class RealtimeBenchmarkApp {

  private static final String KEY = "sk-bench-not-a-key";

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: RealtimeBenchmarkApp WS_URL cpu CONNECTIONS TURNS PACE_MS | WS_URL memory CONNECTIONS");
      System.exit(2);
    }
    URI base = URI.create(args[0]);
    int connections = Integer.parseInt(args[2]);
    try (JdkRealtime transport = new JdkRealtime()) {
      if (args[1].equals("cpu")) {
        cpu(transport, base, connections, Integer.parseInt(args[3]), Long.parseLong(args[4]),
            args.length > 5 ? Integer.parseInt(args[5]) : 3);
      } else {
        memory(transport, base, connections);
      }
    }
    System.exit(0);
  }

  private static RealtimeConversation open(JdkRealtime transport, URI base, long pace) throws Exception {
    RealtimeConversation c = new RealtimeConversation(transport, URI.create(base + "/v1/realtime?model=gpt-realtime"),
        Map.of("Authorization", "Bearer " + KEY), pace, n -> { });
    c.await("session.created");
    return c;
  }

  private static void session(JdkRealtime transport, URI base, int turns, long pace, long audioMillis)
      throws Exception {
    try (RealtimeConversation c = open(transport, base, pace)) {
      c.send(RealtimeConversation.event("session.update").set("session",
          RealtimeConversation.event("realtime").put("instructions", "Answer briefly.")));
      c.await("session.updated");
      for (int t = 0; t < turns; t++) {
        c.speak(pace > 0 ? 1000 : 300);
        com.fasterxml.jackson.databind.node.ObjectNode create = c.responseCreate("");
        ((com.fasterxml.jackson.databind.node.ObjectNode) create.get("response").get("metadata"))
            .put("sim_audio_ms", audioMillis);
        c.send(create);
        c.await("response.done");
      }
    }
  }

  private static void cpu(JdkRealtime transport, URI base, int connections, int turns, long pace, int maxWarmups)
      throws Exception {
    // Warm-up: the same code paths unpaced, then the measured workload itself, repeated until the JIT
    // compiler has (nearly) nothing left to do, so that the window below is the steady state of a
    // long-running application rather than the compiler catching up (a single warm-up left the
    // compiler threads busy for a third of the measured CPU time, in both JVMs, and the ratio swung
    // with when they ran). What the compiler still did in the window is printed.
    java.lang.management.CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    // Unpaced first, with many connections: the code that runs once per connection (handshake,
    // connection span, session events) needs as many runs to be compiled as the per-message code.
    runConcurrently(4, () -> {
      for (int i = 0; i < 100; i++) {
        session(transport, base, 2, 0, 2000);
      }
    });
    int warmups = 0;
    while (warmups < maxWarmups) {
      long jitStart = jit.getTotalCompilationTime();
      long start = System.nanoTime();
      runConcurrently(connections, () -> session(transport, base, turns, pace, 2000));
      warmups++;
      long passMillis = (System.nanoTime() - start) / 1_000_000;
      if (jit.getTotalCompilationTime() - jitStart <= passMillis / 100) {
        break; // compiling under 1% of the pass's wall time: settled
      }
    }
    awaitCompilerIdle(jit);
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long jitBefore = jit.getTotalCompilationTime();
    System.out.println("BENCH window starts");
    Map<String, Long> threadsBefore = ThreadCpu.byGroup();
    long cpuBefore = os.getProcessCpuTime();
    long start = System.nanoTime();
    runConcurrently(connections, () -> session(transport, base, turns, pace, 2000));
    long wall = System.nanoTime() - start;
    long cpu = os.getProcessCpuTime() - cpuBefore;
    Map<String, Long> threads = ThreadCpu.since(threadsBefore, cpu);
    long jitMillis = jit.getTotalCompilationTime() - jitBefore;
    StringBuilder groups = new StringBuilder();
    threads.forEach((group, nanos) -> groups.append(' ').append(group).append("CpuMillis=").append(nanos / 1_000_000));
    System.out.printf("BENCH mode=cpu connections=%d turns=%d paceMs=%d warmups=%d cpuMillis=%.1f wallMillis=%.1f"
            + " jitMillis=%d%s%n",
        connections, turns, pace, warmups, cpu / 1e6, wall / 1e6, jitMillis, groups);
  }

  /**
   * Waits (at most 30 s) until the JIT compiler finished what the warm-up queued: no compilation
   * ended for a second. On a busy machine the compiler threads get the CPU late, and the warm-up's
   * compilations would otherwise land in the window.
   */
  private static void awaitCompilerIdle(java.lang.management.CompilationMXBean jit) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    long last = jit.getTotalCompilationTime();
    int quiet = 0;
    while (quiet < 2 && System.nanoTime() < deadline) {
      Thread.sleep(500);
      long now = jit.getTotalCompilationTime();
      quiet = now == last ? quiet + 1 : 0;
      last = now;
    }
  }

  private interface Task {
    void run() throws Exception;
  }

  /** The sessions' threads, kept for the whole run: the same threads in the warm-up and the window. */
  private static ExecutorService pool;

  private static synchronized void runConcurrently(int n, Task task) throws Exception {
    if (pool == null || ((java.util.concurrent.ThreadPoolExecutor) pool).getMaximumPoolSize() < n) {
      if (pool != null) {
        pool.shutdown();
      }
      pool = Executors.newFixedThreadPool(n);
    }
    {
      List<Future<?>> all = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        all.add(pool.submit(() -> {
          task.run();
          return null;
        }));
      }
      for (Future<?> f : all) {
        f.get();
      }
    }
  }

  private static void memory(JdkRealtime transport, URI base, int connections) throws Exception {
    // Warm-up: classes loaded and code compiled for every step a measured connection takes.
    for (int i = 0; i < 50; i++) {
      try (RealtimeConversation c = open(transport, base, 0)) {
        c.speak(200);
        c.respond("");
      }
    }
    long before = heapAfterGc();
    List<RealtimeConversation> open = new ArrayList<>(connections);
    for (int i = 0; i < connections; i++) {
      RealtimeConversation c = open(transport, base, 0);
      c.speak(200);
      com.fasterxml.jackson.databind.node.ObjectNode create = c.responseCreate("");
      ((com.fasterxml.jackson.databind.node.ObjectNode) create.get("response").get("metadata"))
          .put("sim_audio_ms", 300);
      c.send(create);
      c.await("response.done");
      open.add(c);
    }
    long after = heapAfterGc();
    System.out.printf("BENCH mode=memory connections=%d heapBeforeBytes=%d heapAfterBytes=%d perConnectionBytes=%.1f%n",
        connections, before, after, (after - before) / (double) connections);
    for (RealtimeConversation c : open) {
      c.abort();
    }
  }

  private static long heapAfterGc() throws InterruptedException {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(200);
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  private RealtimeBenchmarkApp() {}
}
