package dev.tokenledger.demo;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
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
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient.ResponseReceiver;

/**
 * The application side of the overhead benchmark: N sequential chat completions through one client,
 * after a warm-up, printing throughput, the process CPU time per call and the bytes allocated per
 * call by all threads (the JDK client parses responses on its own worker threads). The benchmark
 * runner starts it under the agent alone and under agent + extension in the same run. With
 * LATENCY_MS the simulator waits that long before answering, as a provider would; THINK_CALLS and
 * THINK_MS add a second measurement in the same, already warm JVM, answered after THINK_MS. Each
 * measurement prints one {@code BENCH} line.
 *
 * <p>Clients: {@code openai} (the openai-java SDK on its default OkHttp transport; the call goes
 * through {@code chat().completions().create(...)}, the method the upstream agent's own openai-java
 * instrumentation wraps, and the SDK parses the answer into its model), {@code okhttp} (plain OkHttp),
 * {@code jdk} ({@code java.net.http}), {@code netty} (Reactor Netty, Spring WebClient's transport),
 * {@code huc} ({@code HttpURLConnection}, Spring's simple request factory), {@code apache5} (Apache
 * HttpClient 5 classic) and {@code apache4} (Apache HttpClient 4 classic). Each client is built once
 * and makes every call.
 *
 * <pre>ChatBenchmark BASE_URL CLIENT WARMUP CALLS [LATENCY_MS [THINK_CALLS THINK_MS]]</pre>
 */
public final class ChatBenchmark {

  private static final String BODY =
      "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}]}";

  /** The client names. */
  public static final String CLIENTS = "openai, okhttp, jdk, netty, huc, apache5, apache4";

  public static void main(String[] args) throws Exception {
    if (args.length < 4 || args.length > 7 || args.length == 6) {
      System.err.println("usage: ChatBenchmark BASE_URL CLIENT WARMUP CALLS [LATENCY_MS [THINK_CALLS THINK_MS]];"
          + " clients: " + CLIENTS);
      System.exit(2);
    }
    String url = args[0] + "/chat/completions";
    String latency = args.length >= 5 ? args[4] : "0";
    Call call;
    switch (args[1]) {
      case "openai" -> call = openai(args[0]);
      case "okhttp" -> call = okhttp(url);
      case "jdk" -> call = jdk(url);
      case "netty" -> call = netty(url);
      case "huc" -> call = huc(url);
      case "apache5" -> call = apache5(url);
      case "apache4" -> call = apache4(url);
      default -> {
        System.err.println("unknown client '" + args[1] + "': choose one of " + CLIENTS);
        System.exit(2);
        return;
      }
    }
    int warmup = Integer.parseInt(args[2]);
    for (int i = 0; i < warmup; i++) {
      call.run(latency);
    }
    measure(args[1], call, Integer.parseInt(args[3]), latency);
    if (args.length == 7) {
      measure(args[1], call, Integer.parseInt(args[5]), args[6]);
    }
    System.exit(0);
  }

  private static void measure(String client, Call call, int calls, String latency) throws Exception {
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    Map<Long, Long> allocatedBefore = allocatedByThread();
    long cpuBefore = os.getProcessCpuTime();
    long start = System.nanoTime();
    long received = 0;
    for (int i = 0; i < calls; i++) {
      received += call.run(latency);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    long cpu = os.getProcessCpuTime() - cpuBefore;
    long allocated = 0;
    for (Map.Entry<Long, Long> after : allocatedByThread().entrySet()) {
      allocated += after.getValue() - allocatedBefore.getOrDefault(after.getKey(), 0L);
    }
    System.out.printf(
        "BENCH client=%s latencyMs=%s calls=%d seconds=%.3f callsPerSecond=%.1f cpuMicrosPerCall=%.1f"
            + " allocatedBytesPerCall=%d received=%d%n",
        client, latency, calls, seconds, calls / seconds, cpu / 1e3 / calls, allocated / calls, received);
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
    /**
     * Makes one call, answered after {@code latency} ms; returns the body bytes the app received (for
     * the SDK: its answer's characters).
     */
    long run(String latency) throws Exception;
  }

  /**
   * The openai-java SDK: one client, the same request each time. The count returned is the length of
   * the answer's text, as the SDK hands the parsed body to the app rather than its bytes.
   */
  private static Call openai(String baseUrl) {
    OpenAIClient client =
        OpenAIOkHttpClient.builder()
            .baseUrl(baseUrl)
            .apiKey("sk-bench")
            // One call, one request: a retry would measure two.
            .maxRetries(0)
            .build();
    // The same request each time: built once per latency setting.
    Map<String, ChatCompletionCreateParams> params = new HashMap<>();
    return latency -> {
      ChatCompletion completion = client.chat().completions().create(params.computeIfAbsent(latency,
          l -> ChatCompletionCreateParams.builder().model("gpt-4o-mini").addUserMessage("Say hello.")
              .putAdditionalHeader("X-Sim-Latency-Ms", l).build()));
      return completion.choices().get(0).message().content().map(String::length).orElse(0);
    };
  }

  private static Call okhttp(String url) {
    OkHttpClient client = new OkHttpClient();
    MediaType json = MediaType.get("application/json");
    return latency -> {
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

  private static Call jdk(String url) {
    HttpClient client = HttpClient.newHttpClient();
    // The same request each time: built once per latency setting.
    Map<String, HttpRequest> requests = new HashMap<>();
    return latency -> {
      HttpRequest request = requests.computeIfAbsent(latency, l ->
          HttpRequest.newBuilder(URI.create(url))
              .header("Authorization", "Bearer sk-bench")
              .header("X-Sim-Latency-Ms", l)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(BODY, StandardCharsets.UTF_8))
              .build());
      return client.send(request, HttpResponse.BodyHandlers.ofByteArray()).body().length;
    };
  }

  private static Call netty(String url) {
    reactor.netty.http.client.HttpClient base = reactor.netty.http.client.HttpClient.create();
    // One client (one connection pool), configured once per latency setting.
    Map<String, reactor.netty.http.client.HttpClient> configured = new HashMap<>();
    return latency -> {
      reactor.netty.http.client.HttpClient client = configured.computeIfAbsent(latency, l ->
          base.headers(h -> h.set("Authorization", "Bearer sk-bench")
              .set("X-Sim-Latency-Ms", l)
              .set("Content-Type", "application/json")));
      ResponseReceiver<?> post = client.post().uri(url).send(ByteBufFlux.fromString(Mono.just(BODY)));
      byte[] bytes = post.responseContent().aggregate().asByteArray().block();
      return bytes == null ? 0 : bytes.length;
    };
  }

  private static Call huc(String url) throws java.net.MalformedURLException {
    URL target = URI.create(url).toURL();
    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
    return latency -> {
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

  private static Call apache5(String url) {
    CloseableHttpClient client = HttpClients.createDefault();
    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
    return latency -> {
      HttpPost post = new HttpPost(url);
      post.setHeader("Authorization", "Bearer sk-bench");
      post.setHeader("X-Sim-Latency-Ms", latency);
      post.setEntity(new ByteArrayEntity(body, ContentType.APPLICATION_JSON));
      return client.execute(post, response -> EntityUtils.toByteArray(response.getEntity()).length);
    };
  }

  private static Call apache4(String url) {
    org.apache.http.impl.client.CloseableHttpClient client = org.apache.http.impl.client.HttpClients.createDefault();
    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
    return latency -> {
      org.apache.http.client.methods.HttpPost post = new org.apache.http.client.methods.HttpPost(url);
      post.setHeader("Authorization", "Bearer sk-bench");
      post.setHeader("X-Sim-Latency-Ms", latency);
      post.setEntity(new org.apache.http.entity.ByteArrayEntity(body, org.apache.http.entity.ContentType.APPLICATION_JSON));
      return client.execute(
          post, response -> org.apache.http.util.EntityUtils.toByteArray(response.getEntity()).length);
    };
  }

  private ChatBenchmark() {}
}
