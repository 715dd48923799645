package dev.tokenledger.demo;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponse;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.models.audio.AudioResponseFormat;
import com.openai.models.audio.speech.SpeechCreateParams;
import com.openai.models.audio.transcriptions.TranscriptionCreateParams;
import com.openai.models.audio.transcriptions.TranscriptionCreateResponse;
import com.openai.models.audio.translations.TranslationCreateParams;
import com.openai.models.audio.translations.TranslationCreateResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionAudioParam;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionContentPart;
import com.openai.models.chat.completions.ChatCompletionContentPartImage;
import com.openai.models.chat.completions.ChatCompletionContentPartInputAudio;
import com.openai.models.chat.completions.ChatCompletionContentPartText;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.images.ImageGenerateParams;
import com.openai.models.images.ImagesResponse;
import com.openai.models.moderations.ModerationCreateParams;
import com.openai.models.moderations.ModerationCreateResponse;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import java.io.InputStream;
import java.util.Base64;
import java.util.List;

/**
 * The official openai-java SDK (its OkHttp flavour). Every call goes through
 * {@code withRawResponse()} so the HTTP status can be printed, then {@code parse()} reads and parses
 * the body the way an SDK user's code does. Where the SDK cannot express a scenario (Azure
 * deployment URLs against a non-Azure host), the call falls back to raw OkHttp; the RESULT line
 * still says {@code openai-java} and a note goes to stderr.
 */
final class OpenAiJavaClient implements DemoClient {

  private final DemoApp.Config cfg;
  private final OpenAIClient client;
  private OpenAIClient otherHostClient;
  private final OkHttpDemoClient fallback;

  OpenAiJavaClient(DemoApp.Config cfg) {
    this.cfg = cfg;
    this.client = build(cfg.baseUrl());
    this.fallback = new OkHttpDemoClient(cfg);
  }

  private OpenAIClient build(String baseUrl) {
    OpenAIOkHttpClient.Builder b = OpenAIOkHttpClient.builder()
        .baseUrl(baseUrl)
        .apiKey(cfg.apiKey())
        // One scenario, one request: SDK retries would turn a 429 or 500 into three requests.
        .maxRetries(0)
        .timeout(cfg.timeout());
    if (cfg.project() != null) {
      b.project(cfg.project());
    }
    return b.build();
  }

  @Override
  public String name() {
    return "openai-java";
  }

  @Override
  public Result run(String scenario) throws Exception {
    switch (scenario) {
      case "responses" -> {
        try (HttpResponseFor<Response> r = client.responses().withRawResponse().create(responseParams())) {
          r.parse();
          return Result.parsedBySdk(r.statusCode());
        }
      }
      case "responses-stream" -> {
        try (HttpResponseFor<StreamResponse<ResponseStreamEvent>> r =
            client.responses().withRawResponse().createStreaming(responseParams());
            StreamResponse<ResponseStreamEvent> events = r.parse()) {
          events.stream().forEach(e -> {});
          return Result.parsedBySdk(r.statusCode());
        }
      }
      case "completions" -> {
        try (HttpResponseFor<Completion> r = client.completions().withRawResponse().create(
            CompletionCreateParams.builder().model("gpt-3.5-turbo-instruct").prompt(Scenarios.PROMPT)
                .maxTokens(64).build())) {
          r.parse();
          return Result.parsedBySdk(r.statusCode());
        }
      }
      case "embeddings" -> {
        try (HttpResponseFor<CreateEmbeddingResponse> r = client.embeddings().withRawResponse().create(
            EmbeddingCreateParams.builder().model("text-embedding-3-small")
                .inputOfArrayOfStrings(List.of("token accounting", "usage ledger")).build())) {
          r.parse();
          return Result.parsedBySdk(r.statusCode());
        }
      }
      case "transcription", "transcription-whisper", "transcription-text" -> {
        TranscriptionCreateParams p = TranscriptionCreateParams.builder()
            .model(scenario.equals("transcription") ? "gpt-4o-transcribe" : "whisper-1")
            .responseFormat(scenario.equals("transcription-text") ? AudioResponseFormat.TEXT
                : AudioResponseFormat.JSON)
            .file(Bodies.silenceWav())
            .build();
        try (HttpResponseFor<TranscriptionCreateResponse> r =
            client.audio().transcriptions().withRawResponse().create(p)) {
          r.parse();
          return Result.parsedBySdk(r.statusCode());
        }
      }
      case "translation" -> {
        TranslationCreateParams p = TranslationCreateParams.builder().model("whisper-1")
            .responseFormat(TranslationCreateParams.ResponseFormat.JSON)
            .file(Bodies.silenceWav()).build();
        try (HttpResponseFor<TranslationCreateResponse> r =
            client.audio().translations().withRawResponse().create(p)) {
          r.parse();
          return Result.parsedBySdk(r.statusCode());
        }
      }
      case "speech" -> {
        // The SDK hands binary bodies over raw, so here the app does see the exact bytes.
        try (HttpResponse r = client.audio().speech().create(SpeechCreateParams.builder()
            .model("gpt-4o-mini-tts").voice("alloy").input(Scenarios.SPEECH_TEXT)
            .responseFormat(SpeechCreateParams.ResponseFormat.MP3).build());
            InputStream in = r.body()) {
          return Result.of(r.statusCode(), Bodies.drain(in));
        }
      }
      case "images" -> {
        try (HttpResponseFor<ImagesResponse> r = client.images().withRawResponse().generate(
            ImageGenerateParams.builder().model("gpt-image-1").prompt("A ledger book on a desk")
                .size(ImageGenerateParams.Size._1024X1024).quality(ImageGenerateParams.Quality.LOW)
                .build())) {
          r.parse();
          return Result.parsedBySdk(r.statusCode());
        }
      }
      case "moderations" -> {
        try (HttpResponseFor<ModerationCreateResponse> r = client.moderations().withRawResponse().create(
            ModerationCreateParams.builder().model("omni-moderation-latest").input(Scenarios.PROMPT)
                .build())) {
          r.parse();
          return Result.parsedBySdk(r.statusCode());
        }
      }
      case "batch-output" -> {
        // File content is also handed over raw (JSON lines), so the bytes are known here too.
        try (HttpResponse r = client.files().content(Scenarios.FILE_ID); InputStream in = r.body()) {
          return Result.of(r.statusCode(), Bodies.drain(in));
        }
      }
      case "azure-chat" -> {
        // The SDK switches to Azure URLs only for Azure host names, never for 127.0.0.1.
        System.err.println("NOTE openai-java scenario=azure-chat: the SDK cannot address an Azure "
            + "deployment URL on this host; sent with raw OkHttp");
        return fallback.run(scenario, Scenarios.call(scenario, cfg));
      }
      case "non-openai-host" -> {
        String other = Scenarios.otherHostName(cfg.baseUrl());
        if (other == null) {
          throw new IllegalStateException("non-openai-host needs a base URL on 127.0.0.1");
        }
        if (otherHostClient == null) {
          otherHostClient = build(other);
        }
        return chat(otherHostClient, scenario);
      }
      default -> {
        return chat(client, scenario);
      }
    }
  }

  private static ResponseCreateParams responseParams() {
    return ResponseCreateParams.builder().model("gpt-5-mini").instructions(Scenarios.SYSTEM)
        .input(Scenarios.PROMPT).build();
  }

  private Result chat(OpenAIClient c, String scenario) {
    ChatCompletionCreateParams.Builder b = ChatCompletionCreateParams.builder()
        .model(Scenarios.chatModel(scenario))
        .addSystemMessage(Scenarios.SYSTEM);
    switch (scenario) {
      case "chat-audio" -> b
          .addModality(ChatCompletionCreateParams.Modality.TEXT)
          .addModality(ChatCompletionCreateParams.Modality.AUDIO)
          .audio(ChatCompletionAudioParam.builder().voice("alloy")
              .format(ChatCompletionAudioParam.Format.WAV).build())
          .addUserMessageOfArrayOfContentParts(List.of(
              ChatCompletionContentPart.ofText(
                  ChatCompletionContentPartText.builder().text(Scenarios.PROMPT).build()),
              ChatCompletionContentPart.ofInputAudio(ChatCompletionContentPartInputAudio.builder()
                  .inputAudio(ChatCompletionContentPartInputAudio.InputAudio.builder()
                      .data(Base64.getEncoder().encodeToString(Bodies.silenceWav()))
                      .format(ChatCompletionContentPartInputAudio.InputAudio.Format.WAV).build())
                  .build())));
      case "chat-image" -> b.addUserMessageOfArrayOfContentParts(List.of(
          ChatCompletionContentPart.ofText(
              ChatCompletionContentPartText.builder().text(Scenarios.PROMPT).build()),
          ChatCompletionContentPart.ofImageUrl(ChatCompletionContentPartImage.builder()
              .imageUrl(ChatCompletionContentPartImage.ImageUrl.builder()
                  .url(Scenarios.pngDataUrl()).build())
              .build())));
      default -> b.addUserMessage(Scenarios.PROMPT);
    }
    if (scenario.equals("gzip")) {
      b.putAdditionalHeader("X-Sim-Gzip", "1");
    }
    ChatCompletionCreateParams params;
    if (Scenarios.chatStreams(scenario)) {
      if (Scenarios.chatIncludesUsage(scenario)) {
        b.streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build());
      }
      params = b.build();
      try (HttpResponseFor<StreamResponse<ChatCompletionChunk>> r =
          c.chat().completions().withRawResponse().createStreaming(params);
          StreamResponse<ChatCompletionChunk> chunks = r.parse()) {
        chunks.stream().forEach(chunk -> {});
        return Result.parsedBySdk(r.statusCode());
      }
    }
    params = b.build();
    try (HttpResponseFor<ChatCompletion> r = c.chat().completions().withRawResponse().create(params)) {
      r.parse();
      return Result.parsedBySdk(r.statusCode());
    }
  }

  @Override
  public void close() {
    client.close();
    if (otherHostClient != null) {
      otherHostClient.close();
    }
    fallback.close();
  }
}
