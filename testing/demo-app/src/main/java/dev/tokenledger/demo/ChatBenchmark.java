package dev.tokenledger.demo;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient.ResponseReceiver;

/**
 * The application side of the overhead benchmark: N sequential chat completions through one client,
 * after a warm-up, printing throughput, the process CPU time per call and the bytes allocated per
 * call by all threads (the JDK client parses responses on its own worker threads). The benchmark
 * runner starts it under the agent alone and under agent + extension in the same run. With
 * LATENCY_MS the simulator waits that long before answering, as a provider would.
 *
 * <p>Clients: {@code okhttp} (openai-java's transport), {@code jdk} ({@code java.net.http}),
 * {@code netty} (Reactor Netty, Spring WebClient's transport) and {@code huc}
 * ({@code HttpURLConnection}, Spring's simple request factory).
 *
 * <pre>ChatBenchmark BASE_URL CLIENT(okhttp|jdk|netty|huc) WARMUP CALLS [LATENCY_MS]</pre>
 */
public final class ChatBenchmark {

  private static final String BODY =
      "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}]}";

  public static void main(String[] args) throws Exception {
    if (args.length < 4 || args.length > 5) {
      System.err.println("usage: ChatBenchmark BASE_URL okhttp|jdk|netty|huc WARMUP CALLS [LATENCY_MS]");
      System.exit(2);
    }
    String url = args[0] + "/chat/completions";
    String latency = args.length == 5 ? args[4] : "0";
    Call call;
    switch (args[1]) {
      case "okhttp" -> call = okhttp(url, latency);
      case "jdk" -> call = jdk(url, latency);
      case "netty" -> call = netty(url, latency);
      case "huc" -> call = huc(url, latency);
      default -> {
        System.err.println("unknown client '" + args[1] + "': choose okhttp, jdk, netty or huc");
        System.exit(2);
        return;
      }
    }
    int warmup = Integer.parseInt(args[2]);
    int calls = Integer.parseInt(args[3]);
    for (int i = 0; i < warmup; i++) {
      call.run();
    }
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    Map<Long, Long> allocatedBefore = allocatedByThread();
    long cpuBefore = os.getProcessCpuTime();
    long start = System.nanoTime();
    long bytes = 0;
    for (int i = 0; i < calls; i++) {
      bytes += call.run();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    long cpu = os.getProcessCpuTime() - cpuBefore;
    long allocated = 0;
    for (Map.Entry<Long, Long> after : allocatedByThread().entrySet()) {
      allocated += after.getValue() - allocatedBefore.getOrDefault(after.getKey(), 0L);
    }
    System.out.printf(
        "BENCH client=%s calls=%d seconds=%.3f callsPerSecond=%.1f cpuMicrosPerCall=%.1f"
            + " allocatedBytesPerCall=%d bodyBytes=%d%n",
        args[1], calls, seconds, calls / seconds, cpu / 1e3 / calls, allocated / calls, bytes);
    System.exit(0);
  }

  /** Bytes allocated so far by each live thread (threads that ended in between are not counted). */
  private static Map<Long, Long> allocatedByThread() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long[] ids = threads.getAllThreadIds();
    long[] allocated = threads.getThreadAllocatedBytes(ids);
    Map<Long, Long> byThread = new HashMap<>();
    for (int i = 0; i < ids.length; i++) {
      if (allocated[i] >= 0) {
        byThread.put(ids[i], allocated[i]);
      }
    }
    return byThread;
  }

  private interface Call {
    long run() throws Exception;
  }

  private static Call okhttp(String url, String latency) {
    OkHttpClient client = new OkHttpClient();
    MediaType json = MediaType.get("application/json");
    return () -> {
      Request request =
          new Request.Builder()
              .url(url)
              .header("Authorization", "Bearer sk-bench")
              .header("X-Sim-Latency-Ms", latency)
              .post(RequestBody.create(BODY, json))
              .build();
      try (Response response = client.newCall(request).execute()) {
        return response.body().bytes().length;
      }
    };
  }

  private static Call jdk(String url, String latency) {
    HttpClient client = HttpClient.newHttpClient();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(url))
            .header("Authorization", "Bearer sk-bench")
            .header("X-Sim-Latency-Ms", latency)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(BODY, StandardCharsets.UTF_8))
            .build();
    return () -> client.send(request, HttpResponse.BodyHandlers.ofByteArray()).body().length;
  }

  private static Call netty(String url, String latency) {
    reactor.netty.http.client.HttpClient client =
        reactor.netty.http.client.HttpClient.create()
            .headers(h -> h.set("Authorization", "Bearer sk-bench")
                .set("X-Sim-Latency-Ms", latency)
                .set("Content-Type", "application/json"));
    return () -> {
      ResponseReceiver<?> post = client.post().uri(url).send(ByteBufFlux.fromString(Mono.just(BODY)));
      byte[] bytes = post.responseContent().aggregate().asByteArray().block();
      return bytes == null ? 0 : bytes.length;
    };
  }

  private static Call huc(String url, String latency) throws java.net.MalformedURLException {
    URL target = URI.create(url).toURL();
    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
    return () -> {
      HttpURLConnection connection = (HttpURLConnection) target.openConnection();
      connection.setRequestMethod("POST");
      connection.setDoOutput(true);
      connection.setRequestProperty("Authorization", "Bearer sk-bench");
      connection.setRequestProperty("X-Sim-Latency-Ms", latency);
      connection.setRequestProperty("Content-Type", "application/json");
      try (OutputStream out = connection.getOutputStream()) {
        out.write(body);
      }
      try (InputStream in = connection.getInputStream()) {
        return in.readAllBytes().length;
      }
    };
  }

  private ChatBenchmark() {}
}
