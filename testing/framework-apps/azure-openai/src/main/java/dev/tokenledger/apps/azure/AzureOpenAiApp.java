package dev.tokenledger.apps.azure;

import com.azure.ai.openai.OpenAIClient;
import com.azure.ai.openai.OpenAIClientBuilder;
import com.azure.ai.openai.models.ChatChoice;
import com.azure.ai.openai.models.ChatCompletionStreamOptions;
import com.azure.ai.openai.models.ChatCompletions;
import com.azure.ai.openai.models.ChatCompletionsOptions;
import com.azure.ai.openai.models.ChatRequestUserMessage;
import com.azure.ai.openai.models.CompletionsUsage;
import com.azure.ai.openai.models.EmbeddingItem;
import com.azure.ai.openai.models.Embeddings;
import com.azure.ai.openai.models.EmbeddingsOptions;
import com.azure.core.credential.AzureKeyCredential;
import dev.tokenledger.apps.AppMain;
import dev.tokenledger.apps.Requests;
import java.util.List;

/**
 * The Azure OpenAI SDK on its default HTTP client (azure-core-http-netty), with an API key, which the
 * SDK sends over HTTPS only: chat, a chat stream with usage, embeddings. Azure names a deployment, not
 * a model: the deployment names are the simulator's model names.
 */
public final class AzureOpenAiApp {

  public static void main(String[] args) {
    OpenAIClient client = new OpenAIClientBuilder()
        .endpoint(AppMain.env("AZURE_OPENAI_ENDPOINT"))
        .credential(new AzureKeyCredential(AppMain.env("OPENAI_API_KEY")))
        .buildClient();
    int exit = new AppMain("azure-openai")
        .scenario("chat", results -> {
          String deployment = "gpt-4o-mini";
          ChatCompletions completions = client.getChatCompletions(deployment, options());
          results.parsed(deployment, render(completions));
        })
        .scenario("chat-stream", results -> {
          String deployment = "gpt-4.1-mini";
          StringBuilder chunks = new StringBuilder();
          client.getChatCompletionsStream(deployment, options(),
                  new ChatCompletionStreamOptions().setIncludeUsage(true))
              .forEach(chunk -> chunks.append(render(chunk)));
          results.parsed(deployment, chunks.toString());
        })
        .scenario("embeddings", results -> {
          String deployment = "text-embedding-3-small";
          Embeddings embeddings = client.getEmbeddings(deployment, new EmbeddingsOptions(List.of(Requests.PROMPT)));
          StringBuilder out = new StringBuilder("usage=")
              .append(embeddings.getUsage().getPromptTokens()).append('/').append(embeddings.getUsage().getTotalTokens());
          for (EmbeddingItem item : embeddings.getData()) {
            out.append(" embedding=").append(item.getPromptIndex()).append(':').append(item.getEmbedding());
          }
          results.parsed(deployment, out.toString());
        })
        .run(args);
    System.exit(exit);
  }

  private static ChatCompletionsOptions options() {
    return new ChatCompletionsOptions(List.of(new ChatRequestUserMessage(Requests.PROMPT)));
  }

  /** Model, usage numbers, message or delta texts and finish reasons: never ids or timestamps. */
  private static String render(ChatCompletions completions) {
    StringBuilder out = new StringBuilder("model=").append(completions.getModel());
    CompletionsUsage usage = completions.getUsage();
    if (usage != null) {
      out.append(" usage=").append(usage.getPromptTokens()).append('/').append(usage.getCompletionTokens())
          .append('/').append(usage.getTotalTokens());
    }
    for (ChatChoice choice : completions.getChoices()) {
      var message = choice.getMessage() != null ? choice.getMessage() : choice.getDelta();
      out.append(" text=").append(message == null ? null : message.getContent())
          .append(" finish=").append(choice.getFinishReason());
    }
    return out.append('\n').toString();
  }
}
