package dev.tokenledger.usage;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which billable OpenAI API an HTTP request calls, from its method and path alone.
 *
 * <p>Paths are matched on their last segments, so {@code /v1/chat/completions},
 * {@code /chat/completions}, Azure's {@code /openai/deployments/{d}/chat/completions}, Azure v1
 * {@code /openai/v1/chat/completions} and a proxy's {@code /gateway/openai/v1/chat/completions} are all
 * the same API; trailing slashes and a query left on the path are ignored. Reads and listings
 * ({@code GET /v1/models}, {@code GET /v1/responses/{id}}, stored-completion reads, batch and file
 * listings, {@code POST /v1/responses/input_tokens} which only counts) return null: they are not new
 * spend (docs/token-vocabulary.md, billable endpoints). {@code GET …/files/{id}/content} is classified as
 * {@code batch.output}: only lines that carry a response with usage produce records, so downloading
 * any other file produces none.
 *
 * <p>What each API means for reading its responses lives on {@link OpenAiApi}.
 */
public final class OpenAiEndpoint {

  private final OpenAiApi api;
  private final String azureDeployment;
  private final String azureApiVersion;
  private final boolean azure;
  private final String fileId;

  private OpenAiEndpoint(OpenAiApi api, String azureDeployment, String azureApiVersion, boolean azure, String fileId) {
    this.api = api;
    this.azureDeployment = azureDeployment;
    this.azureApiVersion = azureApiVersion;
    this.azure = azure;
    this.fileId = fileId;
  }

  /** Classifies a request; null when it is not a billable call. Never throws. */
  public static OpenAiEndpoint classify(String method, String path, String rawQuery) {
    return classify(method, null, path, rawQuery);
  }

  /**
   * As {@link #classify(String, String, String)}, also counting {@code host} names under
   * {@code .azure.com} as Azure (the path alone cannot tell an Azure v1 call from a proxy).
   */
  public static OpenAiEndpoint classify(String method, String host, String path, String rawQuery) {
    try {
      return classifyUnsafe(method, host, path, rawQuery);
    } catch (Throwable t) {
      return null;
    }
  }

  /** The plain (not Azure) endpoint of an API, e.g. for batch lines or tests. */
  public static OpenAiEndpoint of(OpenAiApi api) {
    return new OpenAiEndpoint(api, null, null, false, null);
  }

  private static OpenAiEndpoint classifyUnsafe(String method, String host, String path, String rawQuery) {
    if (path == null) {
      return null;
    }
    int cut = indexOfAny(path, '?', '#');
    if (cut >= 0) {
      if (rawQuery == null && path.charAt(cut) == '?') {
        int hash = path.indexOf('#', cut);
        rawQuery = path.substring(cut + 1, hash < 0 ? path.length() : hash);
      }
      path = path.substring(0, cut);
    }
    List<String> original = new ArrayList<String>();
    for (String s : path.split("/")) {
      if (!s.isEmpty()) {
        original.add(s);
      }
    }
    int n = original.size();
    if (n == 0) {
      return null;
    }
    String[] segs = new String[n];
    for (int i = 0; i < n; i++) {
      segs[i] = original.get(i).toLowerCase(Locale.ROOT);
    }
    String m = method == null ? null : method.trim().toUpperCase(Locale.ROOT);
    boolean post = m == null || "POST".equals(m);
    boolean get = m == null || "GET".equals(m);

    OpenAiApi api = null;
    String last = segs[n - 1];
    String previous = n >= 2 ? segs[n - 2] : "";
    if (post) {
      if ("completions".equals(last)) {
        api = "chat".equals(previous) ? OpenAiApi.CHAT_COMPLETIONS : OpenAiApi.COMPLETIONS;
      } else if ("responses".equals(last)) {
        api = OpenAiApi.RESPONSES;
      } else if ("compact".equals(last) && "responses".equals(previous)) {
        api = OpenAiApi.RESPONSES_COMPACT;
      } else if ("embeddings".equals(last)) {
        api = OpenAiApi.EMBEDDINGS;
      } else if ("moderations".equals(last)) {
        api = OpenAiApi.MODERATIONS;
      } else if ("audio".equals(previous) || "images".equals(previous)) {
        api = OpenAiApi.named(previous + "." + last); // audio.speech, images.edits, …
      }
    }
    if (api == null && get && "content".equals(last) && n >= 3 && "files".equals(segs[n - 3])) {
      api = OpenAiApi.BATCH_OUTPUT;
    }
    if (api == null) {
      return null;
    }

    String deployment = null;
    for (int i = 0; i + 2 < n; i++) {
      if ("openai".equals(segs[i]) && "deployments".equals(segs[i + 1])) {
        deployment = percentDecode(original.get(i + 2));
        break;
      }
    }
    String apiVersion = queryParameter(rawQuery, "api-version");
    boolean azure =
        deployment != null
            || apiVersion != null
            || (n >= 2 && "openai".equals(segs[0]) && "v1".equals(segs[1]))
            || (host != null && host.toLowerCase(Locale.ROOT).endsWith(".azure.com"));
    String fileId = api == OpenAiApi.BATCH_OUTPUT ? percentDecode(original.get(n - 2)) : null;
    return new OpenAiEndpoint(api, deployment, apiVersion, azure, fileId);
  }

  private static int indexOfAny(String s, char a, char b) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == a || c == b) {
        return i;
      }
    }
    return -1;
  }

  /** The first value of a query parameter, percent-decoded; null when absent or empty. */
  public static String queryParameter(String rawQuery, String name) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return null;
    }
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      if (name.equals(percentDecode(key))) {
        String value = eq < 0 ? "" : percentDecode(pair.substring(eq + 1));
        return value.isEmpty() ? null : value;
      }
    }
    return null;
  }

  /** Lenient percent-decoding (UTF-8, '+' as space); malformed escapes are kept as they are. */
  static String percentDecode(String s) {
    if (s.indexOf('%') < 0 && s.indexOf('+') < 0) {
      return s;
    }
    byte[] out = new byte[s.length() * 3];
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%' && i + 2 < s.length()
          && Character.digit(s.charAt(i + 1), 16) >= 0
          && Character.digit(s.charAt(i + 2), 16) >= 0) {
        out[n++] = (byte) ((Character.digit(s.charAt(i + 1), 16) << 4) | Character.digit(s.charAt(i + 2), 16));
        i += 2;
      } else if (c == '+') {
        out[n++] = ' ';
      } else {
        byte[] enc = String.valueOf(c).getBytes(Json.UTF_8);
        System.arraycopy(enc, 0, out, n, enc.length);
        n += enc.length;
      }
    }
    return new String(out, 0, n, Json.UTF_8);
  }

  public OpenAiApi api() {
    return api;
  }

  /** The {@code gen_ai.operation.name}. */
  public String operationName() {
    return api.operationName();
  }

  /** The deployment of a classic Azure path {@code /openai/deployments/{deployment}/…}, else null. */
  public String azureDeployment() {
    return azureDeployment;
  }

  /** The file of a {@code batch.output} download ({@code GET …/files/{id}/content}), else null. */
  public String fileId() {
    return fileId;
  }

  /** The {@code api-version} query parameter, else null. */
  public String azureApiVersion() {
    return azureApiVersion;
  }

  /**
   * True for classic Azure deployment paths, requests with {@code api-version}, paths that begin
   * with Azure's {@code /openai/v1/}, and (when given) hosts under {@code .azure.com}.
   */
  public boolean isAzure() {
    return azure;
  }

  @Override
  public String toString() {
    return api + (azureDeployment != null ? " (azure deployment " + azureDeployment + ")" : azure ? " (azure)" : "");
  }
}
