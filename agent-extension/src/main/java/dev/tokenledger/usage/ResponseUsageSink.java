package dev.tokenledger.usage;

/** Takes records as soon as they are complete (batch lines, image stream events). */
public interface ResponseUsageSink {
  void accept(ResponseUsage record);
}
