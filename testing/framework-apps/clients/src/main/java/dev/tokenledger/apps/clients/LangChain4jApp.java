package dev.tokenledger.apps.clients;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.model.output.TokenUsage;
import dev.tokenledger.apps.AppMain;
import dev.tokenledger.apps.Requests;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * LangChain4j's OpenAI models on their default HTTP client (the JDK's): chat, streaming chat (with
 * usage, LangChain4j's default) and embeddings.
 */
public final class LangChain4jApp {

  public static void main(String[] args) {
    String baseUrl = AppMain.env("OPENAI_BASE_URL");
    String apiKey = AppMain.env("OPENAI_API_KEY");
    ChatRequest request = ChatRequest.builder().messages(UserMessage.from(Requests.PROMPT)).build();
    int exit = new AppMain("langchain4j")
        .scenario("chat", results -> {
          String model = "gpt-4o-mini";
          OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey(apiKey).modelName(model).build();
          results.parsed(model, render(chat.chat(request), ""));
        })
        .scenario("streaming", results -> {
          String model = "gpt-4.1-mini";
          OpenAiStreamingChatModel chat =
              OpenAiStreamingChatModel.builder().baseUrl(baseUrl).apiKey(apiKey).modelName(model).build();
          StringBuilder partials = new StringBuilder();
          CompletableFuture<ChatResponse> complete = new CompletableFuture<>();
          chat.chat(request, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partialResponse) {
              partials.append("partial=").append(partialResponse).append('\n');
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
              complete.complete(response);
            }

            @Override
            public void onError(Throwable error) {
              complete.completeExceptionally(error);
            }
          });
          ChatResponse response = complete.get(1, TimeUnit.MINUTES);
          results.parsed(model, render(response, partials.toString()));
        })
        .scenario("embeddings", results -> {
          String model = "text-embedding-3-small";
          OpenAiEmbeddingModel embeddings =
              OpenAiEmbeddingModel.builder().baseUrl(baseUrl).apiKey(apiKey).modelName(model).build();
          Response<Embedding> response = embeddings.embed(Requests.PROMPT);
          results.parsed(model, "vector=" + Arrays.toString(response.content().vector())
              + " usage=" + usage(response.tokenUsage()));
        })
        .run(args);
    System.exit(exit);
  }

  /** Model, usage numbers, text and finish reason (and the partial texts of a stream): no ids. */
  private static String render(ChatResponse response, String partials) {
    return partials + "model=" + response.modelName() + " usage=" + usage(response.tokenUsage())
        + " text=" + response.aiMessage().text() + " finish=" + response.finishReason();
  }

  private static String usage(TokenUsage usage) {
    return usage == null ? "none"
        : usage.inputTokenCount() + "/" + usage.outputTokenCount() + "/" + usage.totalTokenCount();
  }
}
