package dev.tokenledger.demo;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * The application side of the overhead benchmark: N sequential chat completions through one client,
 * after a warm-up, printing throughput and the bytes the calling thread allocated per call. The
 * benchmark runner starts it under the agent alone and under agent + extension in the same run.
 *
 * <pre>ChatBenchmark BASE_URL CLIENT(okhttp|jdk) WARMUP CALLS</pre>
 */
public final class ChatBenchmark {

  private static final String BODY =
      "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}]}";

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: ChatBenchmark BASE_URL okhttp|jdk WARMUP CALLS");
      System.exit(2);
    }
    String url = args[0] + "/chat/completions";
    Call call = args[1].equals("jdk") ? jdk(url) : okhttp(url);
    int warmup = Integer.parseInt(args[2]);
    int calls = Integer.parseInt(args[3]);
    for (int i = 0; i < warmup; i++) {
      call.run();
    }
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    long allocatedBefore = threads.getThreadAllocatedBytes(thread);
    long start = System.nanoTime();
    long bytes = 0;
    for (int i = 0; i < calls; i++) {
      bytes += call.run();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    long allocated = threads.getThreadAllocatedBytes(thread) - allocatedBefore;
    System.out.printf(
        "BENCH client=%s calls=%d seconds=%.3f callsPerSecond=%.1f allocatedBytesPerCall=%d bodyBytes=%d%n",
        args[1], calls, seconds, calls / seconds, allocated / calls, bytes);
    System.exit(0);
  }

  private interface Call {
    long run() throws Exception;
  }

  private static Call okhttp(String url) {
    OkHttpClient client = new OkHttpClient();
    MediaType json = MediaType.get("application/json");
    return () -> {
      Request request =
          new Request.Builder()
              .url(url)
              .header("Authorization", "Bearer sk-bench")
              .post(RequestBody.create(BODY, json))
              .build();
      try (Response response = client.newCall(request).execute()) {
        return response.body().bytes().length;
      }
    };
  }

  private static Call jdk(String url) {
    HttpClient client = HttpClient.newHttpClient();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(url))
            .header("Authorization", "Bearer sk-bench")
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(BODY, StandardCharsets.UTF_8))
            .build();
    return () -> client.send(request, HttpResponse.BodyHandlers.ofByteArray()).body().length;
  }

  private ChatBenchmark() {}
}
