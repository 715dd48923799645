package dev.tokenledger.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Locale;

/**
 * What every {@link Headers} adapter promises, checked the same way for each: a name reads the same
 * in any case, and a missing header is null.
 */
public final class HeadersContract {

  /** Each name of {@code nameValuePairs} reads as its value spelled as given, in lower and in upper case. */
  public static void assertReads(Headers headers, String... nameValuePairs) {
    for (int i = 0; i < nameValuePairs.length; i += 2) {
      for (String spelling : spellings(nameValuePairs[i])) {
        assertEquals(nameValuePairs[i + 1], headers.get(spelling), spelling);
      }
    }
  }

  /** Each of {@code names} is null, however it is spelled. */
  public static void assertAbsent(Headers headers, String... names) {
    for (String name : names) {
      for (String spelling : spellings(name)) {
        assertNull(headers.get(spelling), spelling);
      }
    }
  }

  private static List<String> spellings(String name) {
    return List.of(name, name.toLowerCase(Locale.ROOT), name.toUpperCase(Locale.ROOT));
  }

  private HeadersContract() {}
}
