package dev.tokenledger.agent;

import dev.tokenledger.realtime.RealtimeMessageReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * A microbenchmark, printed, not a test: the per-message cost of reading Realtime traffic through a
 * {@link RealtimeConnection} (audio deltas skipped after their type, whole and in the fragments the
 * JDK client delivers), and the heap a {@link RealtimeConnection} retains per open, idle connection
 * (its SDK span included). The end-to-end benchmark against the upstream agent alone is the
 * integration tests' {@code RealtimeBenchmark}.
 *
 * <pre>java -cp &lt;test classpath&gt; dev.tokenledger.agent.RealtimeOverheadMain [connections]</pre>
 */
public final class RealtimeOverheadMain {

  public static void main(String[] args) throws Exception {
    int connections = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    String session = fixture("realtime-session-created.json");
    String created = fixture("realtime-response-created.json");
    String done = fixture("realtime-response-done-completed.json");
    String delta = audioDelta(100); // 100 ms of 24 kHz PCM16: 6.4 KB of base64
    String bigDelta = audioDelta(1000); // 1 s: 64 KB

    RealtimeConnection connection = TestTelemetry.INSTRUMENTER.startConnection(URI.create("wss://api.openai.com/v1/realtime?model=m"), null);
    connection.onOpen(null);
    connection.onText(session, true);
    System.out.printf("skip a 100 ms audio delta, whole:          %7.1f ns/message%n", perMessage(connection, delta, 0));
    System.out.printf("skip a 1 s audio delta, whole:             %7.1f ns/message%n", perMessage(connection, bigDelta, 0));
    System.out.printf("skip a 1 s audio delta, 16 KiB fragments:  %7.1f ns/message%n", perMessage(connection, bigDelta, 16 * 1024));
    System.out.printf("read response.created + response.done:     %7.1f ns/pair (emission included)%n",
        perPair(connection, created, done));
    System.out.printf("reference: one char copy of a 1 s delta:   %7.1f ns/message%n", copyBaseline(bigDelta));
    connection.onClosed(1000);

    // Retained heap per open connection after a session and one finished response.
    List<RealtimeConnection> open = new ArrayList<>(connections);
    long before = usedHeap();
    for (int i = 0; i < connections; i++) {
      RealtimeConnection c = TestTelemetry.INSTRUMENTER.startConnection(URI.create("wss://api.openai.com/v1/realtime?model=gpt-realtime"), null);
      c.onOpen(null);
      c.onText(session.replace("sess_C9G5QPteg4UIbo", "sess_" + i), true);
      c.onText(delta, true);
      open.add(c);
    }
    long after = usedHeap();
    System.out.printf("retained per open idle connection:         %7d bytes (%d connections)%n",
        (after - before) / connections, connections);
    for (RealtimeConnection c : open) {
      c.onClosed(1000);
    }
    TestTelemetry.clear();
  }

  private static double perMessage(RealtimeConnection connection, String message, int fragment) {
    int rounds = 200_000;
    for (int warm = 0; warm < 2; warm++) {
      long start = System.nanoTime();
      for (int i = 0; i < rounds; i++) {
        if (fragment == 0) {
          connection.onText(message, true);
        } else {
          for (int at = 0; at < message.length(); at += fragment) {
            int end = Math.min(message.length(), at + fragment);
            connection.onText(java.nio.CharBuffer.wrap(message, at, end), end == message.length());
          }
        }
      }
      if (warm == 1) {
        return (System.nanoTime() - start) / (double) rounds;
      }
    }
    return 0;
  }

  private static double perPair(RealtimeConnection connection, String created, String done) {
    int rounds = 20_000;
    double result = 0;
    for (int warm = 0; warm < 2; warm++) {
      long start = System.nanoTime();
      for (int i = 0; i < rounds; i++) {
        String id = "resp_" + warm + "_" + i;
        connection.onText(created.replace("resp_CCXHw0UJld", id), true);
        connection.onText(done.replace("resp_CCXHw0UJld", id), true);
      }
      result = (System.nanoTime() - start) / (double) rounds;
      TestTelemetry.clear();
    }
    return result;
  }

  /** Reference: one copy of the message's chars, which every client makes to deliver it. */
  private static double copyBaseline(String message) {
    int rounds = 20_000;
    long sink = 0;
    double result = 0;
    for (int warm = 0; warm < 2; warm++) {
      long start = System.nanoTime();
      for (int i = 0; i < rounds; i++) {
        sink += message.toCharArray().length;
      }
      result = (System.nanoTime() - start) / (double) rounds;
    }
    if (sink == 42) {
      System.out.println();
    }
    return result;
  }

  private static long usedHeap() throws InterruptedException {
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static String audioDelta(int millis) {
    StringBuilder b = new StringBuilder("{\"type\":\"response.output_audio.delta\",\"event_id\":\"event_D\","
        + "\"response_id\":\"resp_1\",\"item_id\":\"item_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"");
    for (int i = 0; i < 48 * millis * 4 / 3; i++) {
      b.append((char) ('A' + i % 26));
    }
    return b.append("\"}").toString();
  }

  private static String fixture(String name) throws java.io.IOException {
    try (java.io.InputStream in = RealtimeOverheadMain.class.getResourceAsStream("/fixtures/" + name)) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  private RealtimeOverheadMain() {}
}
