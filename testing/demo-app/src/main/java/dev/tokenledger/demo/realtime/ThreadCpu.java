package dev.tokenledger.demo.realtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The process's CPU time by group of threads, from Linux's per-thread counters (elsewhere: nothing),
 * to tell where a difference in whole-process CPU comes from: the JIT compiler, the garbage
 * collector and VM, the telemetry SDK's export threads, or the application's own threads (which
 * run the instrumentation). Threads that end between two readings are missing from the difference.
 */
final class ThreadCpu {

  private static final Path TASKS = Paths.get("/proc/self/task");
  /** Clock ticks per second of the counters ({@code getconf CLK_TCK}; 100 on every Linux built today). */
  private static final long TICK_NANOS = 10_000_000L;

  /** CPU nanoseconds so far, by thread id (to diff) and group; empty where not readable. */
  static Map<String, Long> byGroup() {
    Map<String, Long> ticks = new HashMap<>();
    if (!Files.isDirectory(TASKS)) {
      return ticks;
    }
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
      for (Path task : tasks) {
        try {
          String stat = new String(Files.readAllBytes(task.resolve("stat")), StandardCharsets.US_ASCII);
          // pid (comm) state ...: the name may hold spaces and parentheses, so split after the last ')'.
          int close = stat.lastIndexOf(')');
          String name = stat.substring(stat.indexOf('(') + 1, close);
          String[] fields = stat.substring(close + 2).split(" ");
          long cpu = (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * TICK_NANOS; // utime, stime
          ticks.put(task.getFileName() + "/" + group(name), cpu);
        } catch (IOException | RuntimeException e) {
          // the thread ended meanwhile
        }
      }
    } catch (IOException e) {
      return new HashMap<>();
    }
    return ticks;
  }

  /**
   * The CPU nanoseconds by group since {@code before}, of the threads alive at the second reading;
   * {@code ended}: the rest of {@code processNanos}, the threads that ended in between.
   */
  static Map<String, Long> since(Map<String, Long> before, long processNanos) {
    Map<String, Long> groups = new TreeMap<>();
    Map<String, Long> now = byGroup();
    if (now.isEmpty()) {
      return groups;
    }
    long counted = 0;
    for (Map.Entry<String, Long> thread : now.entrySet()) {
      String group = thread.getKey().substring(thread.getKey().indexOf('/') + 1);
      long nanos = thread.getValue() - before.getOrDefault(thread.getKey(), 0L);
      groups.merge(group, nanos, Long::sum);
      counted += nanos;
    }
    groups.put("ended", Math.max(0, processNanos - counted));
    return groups;
  }

  private static String group(String name) {
    if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
      return "jit";
    }
    if (name.startsWith("GC ") || name.startsWith("G1 ") || name.startsWith("VM ") || name.equals("VM Thread")) {
      return "gcvm";
    }
    if (name.startsWith("OkHttp") || name.startsWith("okhttp") || name.startsWith("BatchSpanProce")
        || name.startsWith("BatchLogRecord") || name.startsWith("PeriodicMetric")) {
      return "export";
    }
    return "app";
  }

  private ThreadCpu() {}
}
