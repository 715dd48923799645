package dev.tokenledger.apps.clients;

import dev.tokenledger.apps.AppMain;
import dev.tokenledger.apps.Digest;
import dev.tokenledger.apps.Requests;
import java.io.InputStream;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpPost;
import org.apache.http.entity.ContentType;
import org.apache.http.entity.StringEntity;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.util.EntityUtils;

/** Apache HttpClient 4.x classic: a chat call read with EntityUtils, a chat stream read in small pieces. */
public final class Apache4App {

  public static void main(String[] args) throws Exception {
    String baseUrl = AppMain.env("OPENAI_BASE_URL");
    String authorization = "Bearer " + AppMain.env("OPENAI_API_KEY");
    try (CloseableHttpClient client = HttpClients.createDefault()) {
      int exit = new AppMain("apache4")
          .scenario("chat", results -> {
            String model = "gpt-4o-mini";
            try (CloseableHttpResponse response = client.execute(post(baseUrl, authorization, Requests.chat(model, false)))) {
              results.raw(model, new Digest().update(EntityUtils.toByteArray(response.getEntity())));
            }
          })
          .scenario("chat-stream", results -> {
            String model = "gpt-4.1-mini";
            try (CloseableHttpResponse response = client.execute(post(baseUrl, authorization, Requests.chat(model, true)));
                InputStream in = response.getEntity().getContent()) {
              Digest digest = new Digest();
              byte[] piece = new byte[256];
              for (int n; (n = in.read(piece)) != -1; ) {
                digest.update(piece, 0, n);
              }
              results.raw(model, digest);
            }
          })
          .run(args);
      System.exit(exit);
    }
  }

  private static HttpPost post(String baseUrl, String authorization, String json) {
    HttpPost post = new HttpPost(baseUrl + "/chat/completions");
    post.setHeader("Authorization", authorization);
    post.setEntity(new StringEntity(json, ContentType.APPLICATION_JSON));
    return post;
  }
}
