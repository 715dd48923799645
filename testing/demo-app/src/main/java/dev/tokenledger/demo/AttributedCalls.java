package dev.tokenledger.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * A web app in miniature, for attribution without code changes: an inbound endpoint
 * {@code POST /api/evaluation/judge} whose handler calls OpenAI. It calls itself twice, once with a
 * W3C {@code baggage} header naming the use case and the end user, once without. Prints one
 * {@code RESULT} line per inbound call.
 *
 * <pre>AttributedCalls BASE_URL</pre> (the API key comes from {@code OPENAI_API_KEY})
 */
public final class AttributedCalls {

  private static final byte[] CHAT = Scenarios.body(Scenarios.obj("model", "gpt-4o-mini",
      "messages", List.of(Scenarios.obj("role", "user", "content", Scenarios.PROMPT))));

  public static void main(String[] args) throws Exception {
    String baseUrl = args[0];
    String apiKey = System.getenv("OPENAI_API_KEY");
    OkHttpClient openAi = new OkHttpClient();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/api/evaluation/judge", exchange -> judge(exchange, openAi, baseUrl, apiKey));
    server.start();
    try {
      HttpClient client = HttpClient.newHttpClient();
      URI endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/api/evaluation/judge");
      for (String baggage : new String[] {"tokenledger.use_case=judge,enduser.id=user-42", null}) {
        HttpRequest.Builder request =
            HttpRequest.newBuilder(endpoint).POST(HttpRequest.BodyPublishers.ofString("{}"));
        if (baggage != null) {
          request.header("baggage", baggage);
        }
        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        System.out.println("RESULT inbound baggage=" + (baggage != null) + " status=" + response.statusCode()
            + " openai=" + response.body());
      }
    } finally {
      server.stop(0);
    }
    System.exit(0);
  }

  private static void judge(HttpExchange exchange, OkHttpClient openAi, String baseUrl, String apiKey)
      throws IOException {
    exchange.getRequestBody().readAllBytes();
    Request call =
        new Request.Builder()
            .url(baseUrl + "/chat/completions")
            .header("Authorization", "Bearer " + apiKey)
            .post(RequestBody.create(CHAT, MediaType.get("application/json")))
            .build();
    int status;
    try (Response response = openAi.newCall(call).execute()) {
      response.body().bytes();
      status = response.code();
    }
    byte[] body = Integer.toString(status).getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private AttributedCalls() {}
}
