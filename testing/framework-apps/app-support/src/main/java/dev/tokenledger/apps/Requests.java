package dev.tokenledger.apps;

/**
 * What the apps ask: the prompt texts (the tests check that none of them reaches the telemetry) and
 * the JSON request bodies the plain HTTP clients send; the frameworks write their own.
 */
public final class Requests {

  public static final String PROMPT = "Write one line about keeping a ledger.";

  /** What the Realtime app types in each turn. */
  public static final String REALTIME_TEXT = "Read me the ledger's last line.";

  private Requests() {}

  public static String chat(String model, boolean stream) {
    String body = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT + "\"}]";
    if (stream) {
      body += ",\"stream\":true,\"stream_options\":{\"include_usage\":true}";
    }
    return body + "}";
  }

  public static String responses(String model, boolean stream) {
    return "{\"model\":\"" + model + "\",\"input\":\"" + PROMPT + "\"" + (stream ? ",\"stream\":true" : "") + "}";
  }
}
