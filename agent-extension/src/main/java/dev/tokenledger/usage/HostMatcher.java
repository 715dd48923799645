package dev.tokenledger.usage;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Which hosts count as OpenAI ({@code otel.instrumentation.tokenledger.hosts}): a comma-separated
 * list of exact host names and {@code *.suffix} patterns, case-insensitive. {@code *.openai.azure.com}
 * matches {@code x.openai.azure.com} but not {@code openai.azure.com} itself (list both if both are
 * wanted). A lone {@code *} matches every host (for OpenAI-compatible gateways). Entries may carry a
 * port ({@code localhost:8080}); ports are ignored on both sides, since a listed host is OpenAI on any
 * port and scheme (docs/architecture.md).
 */
public final class HostMatcher {

  public static final String DEFAULT_HOSTS =
      "api.openai.com,*.openai.azure.com,*.cognitiveservices.azure.com";

  private final List<String> exact;
  private final List<String> suffixes; // with the leading dot
  private final boolean any;
  private final String spec;

  private HostMatcher(List<String> exact, List<String> suffixes, boolean any, String spec) {
    this.exact = exact;
    this.suffixes = suffixes;
    this.any = any;
    this.spec = spec;
  }

  /** Parses the list; null means {@link #DEFAULT_HOSTS}, an empty string matches nothing. */
  public static HostMatcher parse(String commaSeparated) {
    String spec = commaSeparated == null ? DEFAULT_HOSTS : commaSeparated;
    List<String> exact = new ArrayList<String>();
    List<String> suffixes = new ArrayList<String>();
    boolean any = false;
    for (String raw : spec.split(",")) {
      String entry = raw.trim().toLowerCase(Locale.ROOT);
      if (entry.isEmpty()) {
        continue;
      }
      if ("*".equals(entry)) {
        any = true;
      } else if (entry.startsWith("*.")) {
        String suffix = normalize(entry.substring(1));
        if (suffix.length() > 1) {
          suffixes.add(suffix);
        }
      } else {
        String host = normalize(entry);
        if (!host.isEmpty()) {
          exact.add(host);
        }
      }
    }
    return new HostMatcher(
        Collections.unmodifiableList(exact), Collections.unmodifiableList(suffixes), any, spec);
  }

  public boolean matches(String host) {
    if (host == null) {
      return false;
    }
    String h = normalize(host.trim().toLowerCase(Locale.ROOT));
    if (h.isEmpty()) {
      return false;
    }
    if (any) {
      return true;
    }
    for (String e : exact) {
      if (e.equals(h)) {
        return true;
      }
    }
    for (String s : suffixes) {
      if (h.length() > s.length() && h.endsWith(s)) {
        return true;
      }
    }
    return false;
  }

  /** Drops a port, IPv6 brackets and a trailing dot. */
  private static String normalize(String h) {
    if (h.startsWith("[")) {
      int close = h.indexOf(']');
      return close > 0 ? h.substring(1, close) : h.substring(1);
    }
    int colon = h.indexOf(':');
    if (colon >= 0 && colon == h.lastIndexOf(':')) {
      h = h.substring(0, colon); // host:port (a bare IPv6 address has several colons)
    }
    while (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    return h;
  }

  @Override
  public String toString() {
    return spec;
  }
}
