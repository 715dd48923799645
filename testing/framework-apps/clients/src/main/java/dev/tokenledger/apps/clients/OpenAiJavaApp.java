package dev.tokenledger.apps.clients;

import com.openai.client.OpenAIClient;
import com.openai.client.OpenAIClientAsync;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.client.okhttp.OpenAIOkHttpClientAsync;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import dev.tokenledger.apps.AppMain;
import dev.tokenledger.apps.Requests;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The official openai-java SDK on its OkHttp client: an asynchronous call, a stream read through the
 * blocking client, and a stream through the asynchronous client, both with usage.
 */
public final class OpenAiJavaApp {

  public static void main(String[] args) {
    String baseUrl = AppMain.env("OPENAI_BASE_URL");
    String apiKey = AppMain.env("OPENAI_API_KEY");
    OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(baseUrl).apiKey(apiKey).build();
    OpenAIClientAsync async = OpenAIOkHttpClientAsync.builder().baseUrl(baseUrl).apiKey(apiKey).build();
    int exit = new AppMain("openai-java")
        .scenario("async", results -> {
          String model = "gpt-4o-mini";
          ChatCompletion completion = async.chat().completions().create(params(model, false)).get(1, TimeUnit.MINUTES);
          StringBuilder out = new StringBuilder("model=").append(completion.model())
              .append(" usage=").append(usage(completion.usage()));
          for (ChatCompletion.Choice choice : completion.choices()) {
            out.append(" text=").append(choice.message().content().orElse(null))
                .append(" finish=").append(choice.finishReason());
          }
          results.parsed(model, out.toString());
        })
        .scenario("stream", results -> {
          String model = "gpt-4.1-mini";
          StringBuilder out = new StringBuilder();
          try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params(model, true))) {
            stream.stream().forEach(chunk -> out.append(render(chunk)));
          }
          results.parsed(model, out.toString());
        })
        .scenario("async-stream", results -> {
          String model = "gpt-5-mini";
          StringBuilder out = new StringBuilder();
          async.chat().completions().createStreaming(params(model, true))
              .subscribe(chunk -> {
                synchronized (out) {
                  out.append(render(chunk));
                }
              })
              .onCompleteFuture().get(1, TimeUnit.MINUTES);
          synchronized (out) {
            results.parsed(model, out.toString());
          }
        })
        .run(args);
    client.close();
    async.close();
    System.exit(exit);
  }

  private static ChatCompletionCreateParams params(String model, boolean streamUsage) {
    ChatCompletionCreateParams.Builder builder = ChatCompletionCreateParams.builder().model(model).addUserMessage(Requests.PROMPT);
    if (streamUsage) {
      builder.streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build());
    }
    return builder.build();
  }

  private static String render(ChatCompletionChunk chunk) {
    StringBuilder out = new StringBuilder("model=").append(chunk.model()).append(" usage=").append(usage(chunk.usage()));
    for (ChatCompletionChunk.Choice choice : chunk.choices()) {
      out.append(" text=").append(choice.delta().content().orElse(null))
          .append(" finish=").append(choice.finishReason().orElse(null));
    }
    return out.append('\n').toString();
  }

  private static String usage(Optional<CompletionUsage> usage) {
    return usage.map(u -> u.promptTokens() + "/" + u.completionTokens() + "/" + u.totalTokens()).orElse("none");
  }
}
