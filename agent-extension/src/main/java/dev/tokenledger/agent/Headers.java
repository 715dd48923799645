package dev.tokenledger.agent;

/**
 * Read access to one message's headers, whatever the transport's own header type. Names are
 * case-insensitive; a missing header is {@code null}.
 */
public interface Headers {
  String get(String name);
}
