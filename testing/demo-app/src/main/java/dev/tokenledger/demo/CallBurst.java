package dev.tokenledger.demo;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * A burst of chat completions: CALLS requests through OkHttp (openai-java's transport) from THREADS
 * threads at once, as fast as the server answers, then exit. The ledger test runs it under the agent
 * against a server that answers at once, so the records are made faster than a loaded Collector
 * takes them.
 *
 * <pre>CallBurst BASE_URL CALLS THREADS</pre>
 *
 * Prints {@code BURST calls=N failed=F seconds=S} on stdout.
 */
public final class CallBurst {

  private static final String BODY =
      "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}]}";

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: CallBurst BASE_URL CALLS THREADS");
      System.exit(2);
    }
    String url = args[0] + "/chat/completions";
    int calls = Integer.parseInt(args[1]);
    int threads = Integer.parseInt(args[2]);
    OkHttpClient client = new OkHttpClient.Builder().retryOnConnectionFailure(false).build();
    MediaType json = MediaType.get("application/json");
    AtomicInteger next = new AtomicInteger();
    AtomicLong failed = new AtomicLong();
    CountDownLatch done = new CountDownLatch(threads);
    long start = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      Thread worker = new Thread(() -> {
        try {
          while (next.getAndIncrement() < calls) {
            Request request = new Request.Builder()
                .url(url)
                .header("Authorization", "Bearer sk-burst")
                .post(RequestBody.create(BODY, json))
                .build();
            try (Response response = client.newCall(request).execute()) {
              response.body().bytes();
              if (response.code() != 200) {
                failed.incrementAndGet();
              }
            } catch (Exception e) {
              failed.incrementAndGet();
            }
          }
        } finally {
          done.countDown();
        }
      }, "burst-" + t);
      worker.start();
    }
    if (!done.await(10, TimeUnit.MINUTES)) {
      System.err.println("the burst did not end in 10 minutes");
      System.exit(1);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("BURST calls=%d failed=%d seconds=%.3f%n", calls, failed.get(), seconds);
    System.exit(0);
  }

  private CallBurst() {}
}
