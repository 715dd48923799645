package dev.tokenledger.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads completions usage from OpenAI's organization Usage API
 * ({@code GET /v1/organization/usage/completions}, docs/token-vocabulary.md#the-usage-export) in daily buckets grouped by
 * project, API key and model — the grouping {@code usage_parity_daily} compares — following
 * {@code next_page} until the range is complete. Every page is fetched and checked before anything
 * is stored, so an interrupted download imports nothing.
 */
final class OpenAiUsageApi {

  static final String DEFAULT_BASE_URL = "https://api.openai.com/v1";
  private static final int MAX_PAGES = 10_000;
  private static final int ATTEMPTS = 4;

  private static final int MAX_REDIRECTS = 5;

  private final String baseUrl;
  private final String adminKey;
  // Redirects are followed by hand (see send): the client's own redirect handling would carry the
  // Authorization header, the admin key, to whatever host a redirect names.
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(15))
      .followRedirects(HttpClient.Redirect.NEVER).build();

  OpenAiUsageApi(String baseUrl, String adminKey) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.adminKey = adminKey;
  }

  /** Every result of [from, to) (unix seconds), all pages, with the counts of {@code tokenColumns}. */
  List<ImportRow> completions(long from, long to, List<String> tokenColumns, PrintStream err) throws CliException {
    List<ImportRow> rows = new ArrayList<>();
    Map<String, Integer> seen = UsageJson.newSeen();
    String page = null;
    for (int n = 1; n <= MAX_PAGES; n++) {
      String url = baseUrl + "/organization/usage/completions?start_time=" + from + "&end_time=" + to
          + "&bucket_width=1d&group_by=project_id&group_by=api_key_id&group_by=model"
          + (page == null ? "" : "&page=" + URLEncoder.encode(page, StandardCharsets.UTF_8));
      String body = get(url, n);
      JsonInput.Node root;
      List<ImportRow> pageRows;
      try {
        root = JsonInput.parse(body);
        List<JsonInput.Node> pages = UsageJson.pages(root);
        pageRows = UsageJson.rows(pages.get(0), tokenColumns, seen);
      } catch (InputException e) {
        throw new CliException(CliException.OPENAI_API, "The Usage API's answer for page " + n + " is not what"
            + " OpenAI documents: " + e.describe("page " + n) + ". Nothing was imported.");
      }
      rows.addAll(pageRows);
      int buckets = root.object().get("data").array().size();
      err.println("tokenledger: Usage API page " + n + ": " + buckets + " daily buckets, " + pageRows.size()
          + " results (" + rows.size() + " so far)");
      JsonInput.Node more = root.object().get("has_more");
      JsonInput.Node next = root.object().get("next_page");
      boolean hasMore = more != null && Boolean.TRUE.equals(more.value());
      if (!hasMore) {
        return rows;
      }
      if (next == null || !(next.value() instanceof String s) || s.isEmpty()) {
        throw new CliException(CliException.OPENAI_API, "The Usage API said has_more but gave no next_page on page " + n
            + "; nothing was imported. Try again, or import a CSV export.");
      }
      page = s;
    }
    throw new CliException(CliException.OPENAI_API, "The Usage API kept paging past " + MAX_PAGES + " pages; nothing was"
        + " imported. Import a shorter range with --days.");
  }

  private String get(String url, int pageNumber) throws CliException {
    long backoffMs = 1000;
    for (int attempt = 1; ; attempt++) {
      HttpResponse<String> resp;
      try {
        resp = send(URI.create(url));
      } catch (IOException e) {
        if (attempt < ATTEMPTS) {
          sleep(backoffMs);
          backoffMs *= 2;
          continue;
        }
        throw new CliException(CliException.OPENAI_API, "Cannot reach the OpenAI Usage API at " + baseUrl + ": "
            + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage())
            + ". Check the network (or --base-url); nothing was imported.", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CliException(CliException.OPENAI_API, "Interrupted while reading the Usage API; nothing was imported.");
      }
      int status = resp.statusCode();
      if (status == 200) {
        return resp.body();
      }
      String detail = errorMessage(resp.body());
      if ((status == 429 || status >= 500) && attempt < ATTEMPTS) {
        sleep(backoffMs);
        backoffMs *= 2;
        continue;
      }
      String what = switch (status) {
        case 401 -> "OpenAI rejected the admin key (HTTP 401" + detail + "). Check OPENAI_ADMIN_KEY: it must be an"
            + " Admin key (sk-admin-…) from the organization settings (Admin keys), not a project key.";
        case 403 -> "OpenAI refused access to usage data (HTTP 403" + detail + "). The Usage API needs an organization"
            + " Admin key (sk-admin-…) of an organization owner; project keys cannot read it.";
        case 404 -> "The Usage API was not found at " + baseUrl + " (HTTP 404" + detail + "). Check --base-url"
            + " (default " + DEFAULT_BASE_URL + ").";
        case 429 -> "OpenAI kept rate-limiting the Usage API (HTTP 429" + detail + "). Wait a minute and try again.";
        default -> "The Usage API answered HTTP " + status + detail + " for page " + pageNumber + ".";
      };
      throw new CliException(CliException.OPENAI_API, what + " Nothing was imported.");
    }
  }

  /**
   * One GET with the admin key, following redirects within the origin (scheme, host and port) of
   * the first request only. A redirect elsewhere is refused before anything is sent there: the key
   * reads the whole organization's usage, and a redirect is no reason to hand it to another host.
   */
  private HttpResponse<String> send(URI first) throws IOException, InterruptedException, CliException {
    URI uri = first;
    for (int redirects = 0; ; redirects++) {
      HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
          .header("Authorization", "Bearer " + adminKey).header("Accept", "application/json").GET().build();
      HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      int status = resp.statusCode();
      Optional<String> location = resp.headers().firstValue("Location");
      boolean redirect = status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
      if (!redirect || location.isEmpty()) {
        return resp;
      }
      URI next;
      try {
        next = uri.resolve(location.get().trim());
      } catch (IllegalArgumentException e) {
        throw new CliException(CliException.OPENAI_API, "The Usage API at " + baseUrl + " redirected (HTTP " + status
            + ") to an address that is not a valid URL. Nothing was imported.");
      }
      if (!sameOrigin(first, next)) {
        throw new CliException(CliException.OPENAI_API, "The Usage API at " + baseUrl + " redirected (HTTP " + status
            + ") to another origin, " + origin(next) + "; the admin key is only ever sent to the origin of --base-url"
            + " (" + origin(first) + "), so the redirect was not followed. If that address really serves the Usage"
            + " API, pass it with --base-url. Nothing was imported.");
      }
      if (redirects == MAX_REDIRECTS) {
        throw new CliException(CliException.OPENAI_API, "The Usage API at " + baseUrl + " kept redirecting (more than "
            + MAX_REDIRECTS + " redirects). Check --base-url. Nothing was imported.");
      }
      uri = next;
    }
  }

  static boolean sameOrigin(URI a, URI b) {
    return a.getScheme() != null && a.getScheme().equalsIgnoreCase(b.getScheme())
        && a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost())
        && port(a) == port(b);
  }

  private static int port(URI u) {
    if (u.getPort() != -1) {
      return u.getPort();
    }
    return "https".equalsIgnoreCase(u.getScheme()) ? 443 : "http".equalsIgnoreCase(u.getScheme()) ? 80 : -1;
  }

  /** Scheme, host and port only: a redirect's path or query may carry anything. */
  private static String origin(URI u) {
    return u.getScheme() + "://" + u.getHost() + (u.getPort() == -1 ? "" : ":" + u.getPort());
  }

  // OpenAI's error shape: {"error": {"message": …}}; the message never contains the key.
  private static String errorMessage(String body) {
    try {
      JsonInput.Node n = JsonInput.parse(body);
      JsonInput.Node e = n.object().get("error");
      JsonInput.Node m = e == null ? null : e.object().get("message");
      if (m != null && m.value() instanceof String s) {
        return ": " + (s.length() > 300 ? s.substring(0, 300) + "…" : s);
      }
    } catch (InputException | RuntimeException notJson) {
      // fall through: no detail
    }
    return "";
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
