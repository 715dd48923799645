package dev.tokenledger.instrumentation.httpurlconnection;

import dev.tokenledger.agent.Headers;
import java.net.HttpURLConnection;

/**
 * The request properties of a connection not yet sent, with the {@code Authorization} header the
 * JDK keeps from {@code getRequestProperty} supplied from what the setter was given.
 */
final class RequestHeaders implements Headers {

  static final String AUTHORIZATION = "Authorization";

  private final HttpURLConnection connection;
  private final String authorization;

  RequestHeaders(HttpURLConnection connection, String authorization) {
    this.connection = connection;
    this.authorization = authorization;
  }

  @Override
  public String get(String name) {
    if (AUTHORIZATION.equalsIgnoreCase(name)) {
      return authorization;
    }
    try {
      return connection.getRequestProperty(name);
    } catch (RuntimeException e) {
      return null;
    }
  }
}
