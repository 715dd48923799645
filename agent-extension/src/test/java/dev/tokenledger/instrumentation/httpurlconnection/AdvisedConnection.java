package dev.tokenledger.instrumentation.httpurlconnection;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.util.ArrayList;
import java.util.List;

/**
 * A real {@code HttpURLConnection} used the way the application uses one, with {@link
 * HttpUrlConnectionCalls} called around each method exactly as the advice calls it in the agent
 * (the JDK's classes are not transformed in these tests): entry and exit of {@code connect},
 * {@code getOutputStream} and {@code getInputStream}, with the returned stream replaced by what the
 * exit returns; exit of {@code getErrorStream}, {@code disconnect} and the request-property setters.
 * {@code getResponseCode} goes through {@code getInputStream}, as the JDK's does. The context current
 * inside each sending method is recorded, as the upstream agent's HTTP span would see it.
 */
final class AdvisedConnection {

  final HttpURLConnection connection;
  private final HttpUrlConnectionCalls calls;
  /** The span context current inside each sending method, in order. */
  final List<SpanContext> contextsInside = new ArrayList<>();

  AdvisedConnection(HttpURLConnection connection, HttpUrlConnectionCalls calls) {
    this.connection = connection;
    this.calls = calls;
  }

  void setRequestProperty(String name, String value) {
    connection.setRequestProperty(name, value);
    calls.requestPropertySet(connection, name, value, true);
  }

  void addRequestProperty(String name, String value) {
    connection.addRequestProperty(name, value);
    calls.requestPropertySet(connection, name, value, false);
  }

  void connect() throws IOException {
    Object entered = calls.enter(connection, false);
    contextsInside.add(Span.current().getSpanContext());
    try {
      connection.connect();
    } catch (IOException | RuntimeException e) {
      calls.connectReturned(entered, e);
      throw e;
    }
    calls.connectReturned(entered, null);
  }

  OutputStream getOutputStream() throws IOException {
    Object entered = calls.enter(connection, true);
    contextsInside.add(Span.current().getSpanContext());
    OutputStream out;
    try {
      out = connection.getOutputStream();
    } catch (IOException | RuntimeException e) {
      calls.outputStreamReturned(connection, entered, null, e);
      throw e;
    }
    Object[] replaced = calls.outputStreamReturned(connection, entered, out, null);
    return replaced == null ? out : (OutputStream) replaced[0];
  }

  InputStream getInputStream() throws IOException {
    Object entered = calls.enter(connection, false);
    contextsInside.add(Span.current().getSpanContext());
    InputStream in;
    try {
      in = connection.getInputStream();
    } catch (IOException | RuntimeException e) {
      calls.inputStreamReturned(connection, entered, null, e, responseCodeField());
      throw e;
    }
    Object[] replaced = calls.inputStreamReturned(connection, entered, in, null, responseCodeField());
    return replaced == null ? in : (InputStream) replaced[0];
  }

  /** As {@code java.net.HttpURLConnection.getResponseCode()}: through {@code getInputStream}. */
  int getResponseCode() throws IOException {
    try {
      getInputStream();
    } catch (IOException e) {
      // the JDK's getResponseCode swallows it too, and reads the status line
    }
    return connection.getResponseCode();
  }

  InputStream getErrorStream() throws IOException {
    InputStream error = connection.getErrorStream();
    // A non-null error stream means the response is in: reading the status has no side effect then.
    Object[] replaced = calls.errorStreamReturned(connection, error, error == null ? -1 : connection.getResponseCode());
    return replaced == null ? error : (InputStream) replaced[0];
  }

  void disconnect() {
    connection.disconnect();
    calls.disconnected(connection);
  }

  /**
   * The advice reads the {@code responseCode} field; here the public getter, which after
   * {@code getInputStream} has returned or thrown sends nothing.
   */
  private int responseCodeField() {
    try {
      return connection.getResponseCode();
    } catch (IOException e) {
      return -1;
    }
  }
}
