package dev.tokenledger.apps.springai;

import dev.tokenledger.apps.AppMain;
import dev.tokenledger.apps.Requests;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.metadata.Usage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.openai.OpenAiChatOptions;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A Spring Boot application with Spring AI 1's OpenAI starter, configured by properties only, calling
 * through {@link ChatClient}: a call, a stream with usage ({@code stream-usage}), a stream without
 * ({@code stream-usage} off, the default). Which HTTP client Boot gives Spring AI depends on the
 * class path alone: the JDK client with the starter, Reactor Netty once WebFlux is there.
 */
@SpringBootApplication(proxyBeanMethods = false)
public class SpringAi1App {

  public static void main(String[] args) {
    SpringApplication app = new SpringApplication(SpringAi1App.class);
    app.setWebApplicationType(WebApplicationType.NONE);
    app.setBannerMode(Banner.Mode.OFF);
    app.setDefaultProperties(Map.of(
        "spring.ai.openai.base-url", AppMain.hostUrl(),
        "spring.ai.openai.api-key", AppMain.env("OPENAI_API_KEY"),
        "logging.level.root", "WARN",
        "spring.main.log-startup-info", "false"));
    int exit;
    try (ConfigurableApplicationContext context = app.run()) {
      ChatClient chat = ChatClient.create(context.getBean(ChatModel.class));
      exit = new AppMain("spring-ai-1")
          .scenario("call", results -> {
            String model = "gpt-4o-mini";
            ChatResponse response = chat.prompt().user(Requests.PROMPT)
                .options(OpenAiChatOptions.builder().model(model).build())
                .call().chatResponse();
            results.parsed(model, render(List.of(response)));
          })
          .scenario("stream", results -> {
            String model = "gpt-4.1-mini";
            List<ChatResponse> chunks = chat.prompt().user(Requests.PROMPT)
                .options(OpenAiChatOptions.builder().model(model).streamUsage(true).build())
                .stream().chatResponse().collectList().block(Duration.ofMinutes(1));
            results.parsed(model, render(chunks));
          })
          .scenario("stream-no-usage", results -> {
            String model = "gpt-4.1-nano";
            List<ChatResponse> chunks = chat.prompt().user(Requests.PROMPT)
                .options(OpenAiChatOptions.builder().model(model).build())
                .stream().chatResponse().collectList().block(Duration.ofMinutes(1));
            results.parsed(model, render(chunks));
          })
          .run(args);
    }
    System.exit(exit);
  }

  /** Model, usage numbers, texts and finish reasons of each response or chunk, in order. */
  static String render(List<ChatResponse> responses) {
    StringBuilder out = new StringBuilder();
    for (ChatResponse response : responses) {
      out.append("model=").append(response.getMetadata().getModel());
      Usage usage = response.getMetadata().getUsage();
      if (usage != null) {
        out.append(" usage=").append(usage.getPromptTokens()).append('/').append(usage.getCompletionTokens())
            .append('/').append(usage.getTotalTokens());
      }
      for (Generation generation : response.getResults()) {
        out.append(" text=").append(generation.getOutput().getText())
            .append(" finish=").append(generation.getMetadata().getFinishReason());
      }
      out.append('\n');
    }
    return out.toString();
  }
}
