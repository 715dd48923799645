package dev.tokenledger.usage;

import java.util.Locale;

/**
 * A short, one-way fingerprint of the credential a request used: the key's prefix class and its
 * last four characters, e.g. {@code sk-proj…aB3d}. It lets the ledger be joined to OpenAI's
 * {@code api_key_id} through a mapping table (docs/attribution.md) without ever recording the key.
 *
 * <p>Why this is safe: it reveals exactly what OpenAI itself shows to every member of a project in
 * the key list ({@code redacted_value}: a visible prefix plus the last characters). The prefix class
 * is one of a handful of public constants, the four characters are ~24 bits of a ~160+ bit secret,
 * so nothing usable can be derived from it. Keys shorter than {@link #MIN_KEY_LENGTH_FOR_SUFFIX}
 * get the class only, since four characters would be a real share of them.
 *
 * <p>Classes: {@code sk-proj}, {@code sk-svcacct}, {@code sk-admin}, {@code sk-None} (legacy user
 * keys), {@code sk} (other OpenAI keys), {@code ek} (ephemeral Realtime client secrets: minted per
 * session, expiring within minutes, and never mappable to a key id, so only the class is kept; a
 * suffix would give every session its own metric series), {@code azure} (Azure OpenAI
 * {@code api-key}s: 32 hex characters, or the newer 84-character alphanumeric keys), {@code jwt}
 * (bearer tokens such as Entra ID tokens: they rotate hourly, so only the class is kept),
 * {@code key} (anything else).
 */
public final class ApiKeyFingerprint {

  static final int MIN_KEY_LENGTH_FOR_SUFFIX = 20;
  private static final String ELLIPSIS = "\u2026";

  private ApiKeyFingerprint() {}

  /**
   * Accepts an {@code Authorization} header value ({@code Bearer <key>}) or a raw key ({@code api-key}
   * header); null or blank gives null. Never throws.
   */
  public static String of(String authorizationHeaderOrApiKeyHeader) {
    try {
      if (authorizationHeaderOrApiKeyHeader == null) {
        return null;
      }
      String v = authorizationHeaderOrApiKeyHeader.trim();
      if ("bearer".equalsIgnoreCase(v)) {
        return null; // a scheme without a credential
      }
      int space = indexOfWhitespace(v);
      if (space > 0) {
        String scheme = v.substring(0, space);
        if (!"bearer".equals(scheme.toLowerCase(Locale.ROOT))) {
          return null; // Basic or other schemes are not API keys
        }
        v = v.substring(space + 1).trim();
      }
      if (v.isEmpty()) {
        return null;
      }
      String cls = classOf(v);
      if ("jwt".equals(cls) || "ek".equals(cls) || v.length() < MIN_KEY_LENGTH_FOR_SUFFIX) {
        return cls; // short-lived credentials: a suffix would name one token, a series per session
      }
      return cls + ELLIPSIS + v.substring(v.length() - 4);
    } catch (Throwable t) {
      return null;
    }
  }

  private static String classOf(String key) {
    if (key.startsWith("sk-proj-")) {
      return "sk-proj";
    }
    if (key.startsWith("sk-svcacct-")) {
      return "sk-svcacct";
    }
    if (key.startsWith("sk-admin-")) {
      return "sk-admin";
    }
    if (key.startsWith("sk-None-")) {
      return "sk-None";
    }
    if (key.startsWith("sk-")) {
      return "sk";
    }
    if (key.startsWith("ek_")) {
      return "ek";
    }
    if (key.startsWith("eyJ") && key.indexOf('.') > 0) {
      return "jwt";
    }
    if ((key.length() == 32 && isHex(key)) || (key.length() >= 80 && key.length() <= 96 && isAlnum(key))) {
      return "azure";
    }
    return "key";
  }

  private static int indexOfWhitespace(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isWhitespace(s.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  private static boolean isHex(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.digit(s.charAt(i), 16) < 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean isAlnum(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
        return false;
      }
    }
    return true;
  }
}
