package dev.tokenledger.apps.clients;

import dev.tokenledger.apps.AppMain;
import dev.tokenledger.apps.Digest;
import dev.tokenledger.apps.Requests;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * {@code java.net.HttpURLConnection}: a chat call read whole, a chat stream read from
 * {@code getInputStream} in small reads as it arrives (how SSE is read on this client), and a Responses
 * call with a fixed-length streaming body.
 */
public final class HttpUrlConnectionApp {

  public static void main(String[] args) {
    String baseUrl = AppMain.env("OPENAI_BASE_URL");
    String authorization = "Bearer " + AppMain.env("OPENAI_API_KEY");
    int exit = new AppMain("httpurlconnection")
        .scenario("chat", results -> {
          String model = "gpt-4o-mini";
          HttpURLConnection connection = post(baseUrl + "/chat/completions", authorization, Requests.chat(model, false), false);
          try (InputStream in = connection.getInputStream()) {
            results.raw(model, new Digest().update(in.readAllBytes()));
          }
        })
        .scenario("chat-stream", results -> {
          String model = "gpt-4.1-mini";
          HttpURLConnection connection = post(baseUrl + "/chat/completions", authorization, Requests.chat(model, true), false);
          results.raw(model, readInSmallPieces(connection));
        })
        .scenario("responses-fixed-length", results -> {
          String model = "gpt-5-mini";
          HttpURLConnection connection = post(baseUrl + "/responses", authorization, Requests.responses(model, false), true);
          results.raw(model, readInSmallPieces(connection));
        })
        .run(args);
    System.exit(exit);
  }

  private static HttpURLConnection post(String url, String authorization, String json, boolean fixedLength)
      throws Exception {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    HttpURLConnection connection = (HttpURLConnection) URI.create(url).toURL().openConnection();
    connection.setRequestMethod("POST");
    connection.setDoOutput(true);
    connection.setRequestProperty("Authorization", authorization);
    connection.setRequestProperty("Content-Type", "application/json");
    if (fixedLength) {
      connection.setFixedLengthStreamingMode(body.length);
    }
    try (OutputStream out = connection.getOutputStream()) {
      out.write(body);
    }
    int status = connection.getResponseCode();
    if (status != 200) {
      throw new IllegalStateException("HTTP " + status);
    }
    return connection;
  }

  private static Digest readInSmallPieces(HttpURLConnection connection) throws Exception {
    Digest digest = new Digest();
    byte[] piece = new byte[256];
    try (InputStream in = connection.getInputStream()) {
      for (int n; (n = in.read(piece)) != -1; ) {
        digest.update(piece, 0, n);
      }
    }
    return digest;
  }
}
