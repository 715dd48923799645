package dev.tokenledger.demo;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * The application side of the freshness benchmark: chat completions through OkHttp at a steady rate
 * for a while, printing for each response the moment the application had read it whole and the
 * request id the server gave it ({@code x-request-id}, which the ledger keeps as request_id):
 * {@code RECEIVED <epoch millis> <request id>}. Then it stays up, idle, for LINGER_S seconds, so
 * the last responses leave through the agent's scheduled export like every other one, not through
 * the flush at exit.
 *
 * <pre>SteadyChat BASE_URL CALLS_PER_SECOND SECONDS LINGER_S</pre>
 */
public final class SteadyChat {

  private static final String BODY =
      "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}]}";

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: SteadyChat BASE_URL CALLS_PER_SECOND SECONDS LINGER_S");
      System.exit(2);
    }
    String url = args[0] + "/chat/completions";
    double rate = Double.parseDouble(args[1]);
    int calls = (int) Math.round(rate * Double.parseDouble(args[2]));
    long lingerMillis = (long) (Double.parseDouble(args[3]) * 1000);
    String key = System.getenv().getOrDefault("OPENAI_API_KEY", "sk-proj-freshness-benchmark");
    OkHttpClient client = new OkHttpClient();
    MediaType json = MediaType.get("application/json");
    AtomicInteger done = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    long periodNanos = (long) (1e9 / rate);
    timer.scheduleAtFixedRate(() -> {
      if (done.get() + failed.get() >= calls) {
        return;
      }
      Request request = new Request.Builder().url(url).header("Authorization", "Bearer " + key)
          .post(RequestBody.create(BODY, json)).build();
      try (Response response = client.newCall(request).execute()) {
        response.body().bytes();
        long received = System.currentTimeMillis();
        String requestId = response.header("x-request-id");
        if (response.code() == 200 && requestId != null) {
          System.out.println("RECEIVED " + received + " " + requestId);
          done.incrementAndGet();
        } else {
          System.out.println("FAILED status " + response.code());
          failed.incrementAndGet();
        }
      } catch (Exception e) {
        System.out.println("FAILED " + e);
        failed.incrementAndGet();
      }
    }, 0, periodNanos, TimeUnit.NANOSECONDS);
    while (done.get() + failed.get() < calls) {
      Thread.sleep(50);
    }
    timer.shutdownNow();
    System.out.println("CALLS done=" + done.get() + " failed=" + failed.get());
    Thread.sleep(lingerMillis);
    System.exit(failed.get() == 0 ? 0 : 1);
  }

  private SteadyChat() {}
}
