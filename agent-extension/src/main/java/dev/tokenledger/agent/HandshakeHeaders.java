package dev.tokenledger.agent;

import java.util.Locale;

/**
 * The few headers of a WebSocket handshake that attribute usage, copied from a client that shows
 * them only as it builds the request or reads the response: the credential (only ever
 * fingerprinted), project and organization, and the response's request id. Everything else is
 * dropped on the way in.
 */
public final class HandshakeHeaders implements Headers {

  private static final String[] KEPT = {
    "authorization", "api-key", "openai-project", "openai-organization", "x-request-id"
  };

  private final String[] values = new String[KEPT.length];

  /** True for the header names this class keeps (case-insensitive). */
  public static boolean isKept(String name) {
    return name != null && indexOf(name) >= 0;
  }

  /** Keeps the header when it is one of the attributing ones; the first value of a name wins. */
  public void put(String name, String value) {
    if (name == null || value == null) {
      return;
    }
    int at = indexOf(name);
    if (at >= 0 && values[at] == null) {
      values[at] = value;
    }
  }

  /** As {@link #put(String, String)} for each value of a header list. */
  public void putAll(String name, Iterable<String> values) {
    if (values != null) {
      for (String value : values) {
        put(name, value);
      }
    }
  }

  @Override
  public String get(String name) {
    int at = name == null ? -1 : indexOf(name);
    return at < 0 ? null : values[at];
  }

  private static int indexOf(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    for (int i = 0; i < KEPT.length; i++) {
      if (KEPT[i].equals(lower)) {
        return i;
      }
    }
    return -1;
  }
}
