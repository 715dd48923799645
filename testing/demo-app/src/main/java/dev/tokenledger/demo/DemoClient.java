package dev.tokenledger.demo;

/** One way of talking to OpenAI: an SDK or an HTTP client library. */
interface DemoClient extends AutoCloseable {

  /** The name printed as {@code client=} on RESULT lines. */
  String name();

  /** Performs the scenario and reads its response fully; exceptions are the app's failures. */
  Result run(String scenario) throws Exception;

  @Override
  default void close() {}
}
