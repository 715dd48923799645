package dev.tokenledger.apps.springai2;

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
 * A Spring Boot 4 application with Spring AI 2's OpenAI starter (the openai-java SDK underneath),
 * configured by properties only, calling through {@link ChatClient}: a call, and a stream (Spring AI 2
 * asks for stream usage by default).
 */
@SpringBootApplication(proxyBeanMethods = false)
public class SpringAi2App {

  public static void main(String[] args) {
    SpringApplication app = new SpringApplication(SpringAi2App.class);
    app.setWebApplicationType(WebApplicationType.NONE);
    app.setBannerMode(Banner.Mode.OFF);
    app.setDefaultProperties(Map.of(
        "spring.ai.openai.base-url", AppMain.env("OPENAI_BASE_URL"),
        "spring.ai.openai.api-key", AppMain.env("OPENAI_API_KEY"),
        "logging.level.root", "WARN",
        "spring.main.log-startup-info", "false"));
    int exit;
    try (ConfigurableApplicationContext context = app.run()) {
      ChatClient chat = ChatClient.create(context.getBean(ChatModel.class));
      exit = new AppMain("spring-ai-2")
          .scenario("call", results -> {
            String model = "gpt-4o-mini";
            ChatResponse response = chat.prompt().user(Requests.PROMPT)
                .options(OpenAiChatOptions.builder().model(model))
                .call().chatResponse();
            results.parsed(model, render(List.of(response)));
          })
          .scenario("stream", results -> {
            String model = "gpt-4.1-mini";
            List<ChatResponse> chunks = chat.prompt().user(Requests.PROMPT)
                .options(OpenAiChatOptions.builder().model(model))
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
