package dev.tokenledger.usage;

/**
 * Somewhere a transport hands the bytes of a body as they pass: a response to its call, a request
 * to its scanner. Implementations never throw.
 */
public interface ByteSink {
  void onBytes(byte[] bytes, int offset, int length);
}
