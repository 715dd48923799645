package dev.tokenledger.instrumentation.javahttpclient;

import dev.tokenledger.agent.HandshakeHeaders;
import dev.tokenledger.agent.RealtimeConnection;
import dev.tokenledger.usage.RateLimitedLog;
import io.opentelemetry.context.Scope;
import java.net.URI;
import java.net.http.WebSocket;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/**
 * What the advice on the JDK's {@code WebSocket.Builder} does. The advice state of
 * {@code buildAsync} is {@code {listener, connection, scope}}: the listener Byte Buddy passes on in
 * the application's place (ours or the application's own; an array, so that a suppressed failure,
 * which returns null, replaces nothing), the {@link RealtimeConnection}, if the URI is a Realtime
 * endpoint, and the scope of its context: {@code buildAsync} sends the handshake before it returns,
 * so the client's HTTP span of the handshake is the connection span's child, as on every transport
 * (and the call is known to be read).
 */
public final class JavaWebSockets {

  /**
   * The attribution headers set on builders not yet built, by builder identity (builders do not
   * override equals). Only the attributing headers are kept; a builder that is never built is collected.
   */
  private static final Map<WebSocket.Builder, HandshakeHeaders> HEADERS =
      Collections.synchronizedMap(new WeakHashMap<WebSocket.Builder, HandshakeHeaders>());

  public static void onHeader(WebSocket.Builder builder, String name, String value) {
    try {
      if (builder == null || !HandshakeHeaders.isKept(name)) {
        return;
      }
      synchronized (HEADERS) {
        HandshakeHeaders headers = HEADERS.get(builder);
        if (headers == null) {
          headers = new HandshakeHeaders();
          HEADERS.put(builder, headers);
        }
        headers.put(name, value);
      }
    } catch (Throwable t) {
      RateLimitedLog.warn("java-websocket", "TokenLedger could not read a WebSocket handshake header: " + t);
    }
  }

  public static Object[] onBuildAsync(WebSocket.Builder builder, URI uri, WebSocket.Listener listener) {
    try {
      if (listener == null || listener instanceof TokenLedgerWebSocketListener) {
        return new Object[] {listener, null};
      }
      HandshakeHeaders headers = HEADERS.get(builder); // a builder may build again
      RealtimeConnection connection = JavaHttpClientSingletons.instrumenter().startConnection(uri, headers);
      if (connection == null) {
        return new Object[] {listener, null};
      }
      return new Object[] {
        new TokenLedgerWebSocketListener(listener, connection), connection, connection.context().makeCurrent()
      };
    } catch (Throwable t) {
      RateLimitedLog.warn("java-websocket", "TokenLedger could not inspect a WebSocket connection: " + t);
      return new Object[] {listener, null};
    }
  }

  public static void onBuildAsyncReturned(Object[] state, CompletableFuture<?> future, Throwable thrown) {
    if (state != null && state.length > 2 && state[2] instanceof Scope) {
      ((Scope) state[2]).close();
    }
    if (state == null || state.length < 2 || !(state[1] instanceof RealtimeConnection)) {
      return;
    }
    RealtimeConnection connection = (RealtimeConnection) state[1];
    if (thrown != null) {
      connection.onFailure(thrown);
    } else if (future != null) {
      future.whenComplete(new EndOnFailure(connection));
    }
  }

  /** Ends a connection whose handshake failed (the listener is never called then). */
  static final class EndOnFailure implements BiConsumer<Object, Throwable> {
    private final RealtimeConnection connection;

    EndOnFailure(RealtimeConnection connection) {
      this.connection = connection;
    }

    @Override
    public void accept(Object webSocket, Throwable error) {
      if (error != null) {
        connection.onFailure(error);
      }
    }
  }

  private JavaWebSockets() {}
}
