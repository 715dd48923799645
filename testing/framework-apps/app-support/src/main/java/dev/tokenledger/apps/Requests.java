package dev.tokenledger.apps;

/** The JSON request bodies the plain HTTP clients send; the frameworks write their own. */
public final class Requests {

  public static final String PROMPT = "Write one line about keeping a ledger.";

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
