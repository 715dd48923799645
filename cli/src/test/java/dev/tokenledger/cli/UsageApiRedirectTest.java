package dev.tokenledger.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The admin key reads the whole organization's usage: it goes to the Usage API's own origin and
 * nowhere else. A redirect within that origin is followed with the key; a redirect to another
 * origin (here another port of the same machine, which browsers and OpenAI count as another
 * origin too) is refused before anything is sent there.
 */
class UsageApiRedirectTest {

  private static final String ADMIN_KEY = "sk-admin-redirect-test-0123456789";
  private static final String EMPTY_PAGE = "{\"object\":\"page\",\"data\":[],\"has_more\":false,\"next_page\":null}";

  /** One request as a server saw it: its path and the Authorization header it carried. */
  record Seen(String path, String authorization) {}

  private HttpServer api;
  private HttpServer elsewhere;
  private final List<Seen> apiSaw = new CopyOnWriteArrayList<>();
  private final List<Seen> elsewhereSaw = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws IOException {
    elsewhere = server();
    logged(elsewhere, elsewhereSaw, "/", x -> answer(x, 200, EMPTY_PAGE));
    elsewhere.start();
    api = server();
    logged(api, apiSaw, "/", x -> answer(x, 404, "{}"));
    api.start();
  }

  @AfterEach
  void stop() {
    api.stop(0);
    elsewhere.stop(0);
  }

  private static HttpServer server() throws IOException {
    return HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
  }

  private static void answer(HttpExchange x, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().set("Content-Type", "application/json");
    x.sendResponseHeaders(status, bytes.length);
    x.getResponseBody().write(bytes);
    x.close();
  }

  private static void redirect(HttpExchange x, int status, String location) throws IOException {
    x.getResponseHeaders().set("Location", location);
    x.sendResponseHeaders(status, -1);
    x.close();
  }

  private static String base(HttpServer s) {
    return "http://127.0.0.1:" + s.getAddress().getPort();
  }

  private void logged(HttpServer s, List<Seen> log, String path, HttpHandlerBody handler) {
    s.createContext(path, x -> {
      log.add(new Seen(x.getRequestURI().getPath(), x.getRequestHeaders().getFirst("Authorization")));
      handler.handle(x);
    });
  }

  interface HttpHandlerBody {
    void handle(HttpExchange x) throws IOException;
  }

  private List<ImportRow> importFrom(String baseUrl) throws CliException {
    return new OpenAiUsageApi(baseUrl, ADMIN_KEY)
        .completions(0, 86_400, List.of("input_tokens", "output_tokens"), new PrintStream(new ByteArrayOutputStream()));
  }

  @Test
  void aRedirectToAnotherOriginIsRefusedAndTheKeyNeverLeaves() {
    String target = base(elsewhere) + "/v1/organization/usage/completions";
    logged(api, apiSaw, "/v1/organization/usage/completions", x -> redirect(x, 302, target));

    CliException e = null;
    try {
      importFrom(base(api) + "/v1");
    } catch (CliException refused) {
      e = refused;
    }

    assertEquals(List.of(), elsewhereSaw, "nothing is sent to the other origin, let alone the key");
    assertNotNull(e, "the import fails");
    assertEquals(1, apiSaw.size());
    assertEquals("Bearer " + ADMIN_KEY, apiSaw.get(0).authorization());
    assertEquals(CliException.OPENAI_API, e.exitCode());
    assertTrue(e.getMessage().contains("to another origin, " + base(elsewhere) + ";"), e.getMessage());
    assertTrue(e.getMessage().contains("Nothing was imported"), e.getMessage());
    assertTrue(!e.getMessage().contains(ADMIN_KEY), "the key is never printed");
  }

  @Test
  void aRedirectWithinTheOriginIsFollowedWithTheKey() throws CliException {
    logged(api, apiSaw, "/v1/organization/usage/completions", x -> redirect(x, 308, "/v2/usage"));
    logged(api, apiSaw, "/v2/usage", x -> answer(x, 200, EMPTY_PAGE));

    assertEquals(List.of(), importFrom(base(api) + "/v1"));

    assertEquals(List.of("/v1/organization/usage/completions", "/v2/usage"),
        apiSaw.stream().map(Seen::path).toList());
    for (Seen s : apiSaw) {
      assertEquals("Bearer " + ADMIN_KEY, s.authorization(), s.path());
    }
    assertEquals(List.of(), elsewhereSaw);
  }

  @Test
  void aRedirectLoopEnds() {
    logged(api, apiSaw, "/v1/organization/usage/completions", x -> redirect(x, 307, "/v1/organization/usage/completions"));

    CliException e = assertThrows(CliException.class, () -> importFrom(base(api) + "/v1"));

    assertTrue(e.getMessage().contains("redirect"), e.getMessage());
    assertTrue(apiSaw.size() <= 10, "bounded: " + apiSaw.size());
    assertEquals(List.of(), elsewhereSaw);
  }
}
