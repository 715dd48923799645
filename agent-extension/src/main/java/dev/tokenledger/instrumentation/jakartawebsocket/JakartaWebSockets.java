package dev.tokenledger.instrumentation.jakartawebsocket;

import dev.tokenledger.agent.HandshakeHeaders;
import dev.tokenledger.agent.RealtimeConnection;
import dev.tokenledger.usage.RateLimitedLog;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.CloseReason;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the advice on {@code Session} and {@code Endpoint} does. A session to a Realtime endpoint
 * becomes a {@link RealtimeConnection} when the application registers its first text handler (the
 * handshake is over by then: the connection counts from there); sessions are held weakly, by
 * identity, only while they have wrapped handlers.
 */
public final class JakartaWebSockets {

  private static final Map<Session, Registration> SESSIONS =
      Collections.synchronizedMap(new WeakHashMap<Session, Registration>());

  /** Handshake headers a configurator saw, until its endpoint opens (configurators are reused). */
  private static final Map<Object, Handshake> CONFIGURATORS =
      Collections.synchronizedMap(new WeakHashMap<Object, Handshake>());

  /** Handshake headers of opened sessions that have no text handler yet. */
  private static final Map<Session, Handshake> OPENED =
      Collections.synchronizedMap(new WeakHashMap<Session, Handshake>());

  /** The attributing headers of one handshake: the request's and the response's. */
  static final class Handshake {
    final HandshakeHeaders request = new HandshakeHeaders();
    volatile HandshakeHeaders response;
    /**
     * Another handshake began on the same configurator before this one's endpoint opened (an app
     * connecting in parallel with one shared config): which session gets which headers is unknown,
     * so neither is attributed rather than one being attributed to the other's key or project.
     */
    volatile boolean ambiguous;
  }

  public static void onBeforeRequest(Object configurator, Map<String, ?> headers) {
    try {
      if (configurator == null || headers == null) {
        return;
      }
      Handshake handshake = new Handshake();
      for (Map.Entry<String, ?> header : headers.entrySet()) {
        if (HandshakeHeaders.isKept(header.getKey()) && header.getValue() instanceof Iterable) {
          for (Object value : (Iterable<?>) header.getValue()) {
            handshake.request.put(header.getKey(), value == null ? null : value.toString());
          }
        }
      }
      Handshake pending = CONFIGURATORS.put(configurator, handshake);
      if (pending != null) {
        pending.ambiguous = true;
        handshake.ambiguous = true;
      }
    } catch (Throwable t) {
      RateLimitedLog.warn("jakarta-websocket", "TokenLedger could not read WebSocket handshake headers: " + t);
    }
  }

  public static void onAfterResponse(Object configurator, HandshakeResponse response) {
    try {
      if (configurator == null || response == null || response.getHeaders() == null) {
        return;
      }
      Handshake handshake = CONFIGURATORS.get(configurator);
      if (handshake == null) {
        handshake = new Handshake();
        CONFIGURATORS.put(configurator, handshake);
      }
      HandshakeHeaders headers = new HandshakeHeaders();
      for (Map.Entry<String, List<String>> header : response.getHeaders().entrySet()) {
        if (HandshakeHeaders.isKept(header.getKey())) {
          headers.putAll(header.getKey(), header.getValue());
        }
      }
      handshake.response = headers;
    } catch (Throwable t) {
      RateLimitedLog.warn("jakarta-websocket", "TokenLedger could not read WebSocket handshake headers: " + t);
    }
  }

  /**
   * The container could not connect with {@code config} (the handshake was refused, or failed): no
   * endpoint opens for the handshake its configurator saw, so those headers go, and the
   * configurator's next handshake is not taken for one running in parallel.
   */
  public static void connectFailed(Object config) {
    try {
      if (!(config instanceof ClientEndpointConfig)) {
        return;
      }
      Object configurator = ((ClientEndpointConfig) config).getConfigurator();
      if (configurator != null) {
        CONFIGURATORS.remove(configurator);
      }
    } catch (Throwable t) {
      RateLimitedLog.warn("jakarta-websocket", "TokenLedger could not read a WebSocket endpoint's configuration: " + t);
    }
  }

  /** An endpoint opened: its configurator's handshake headers now belong to this session. */
  public static void opened(Session session, Object config) {
    try {
      if (session == null || !(config instanceof ClientEndpointConfig)) {
        return;
      }
      Object configurator = ((ClientEndpointConfig) config).getConfigurator();
      // Claimed once: the configurator's next handshake starts unambiguous again.
      Handshake handshake = configurator == null ? null : CONFIGURATORS.remove(configurator);
      if (handshake != null && !handshake.ambiguous) {
        OPENED.put(session, handshake);
      }
    } catch (Throwable t) {
      RateLimitedLog.warn("jakarta-websocket", "TokenLedger could not read a WebSocket endpoint's configuration: " + t);
    }
  }

  /** A session's connection and the wrappers registered on it (rarely more than one). */
  static final class Registration {
    final RealtimeConnection connection;
    final List<TextHandler> handlers = new ArrayList<TextHandler>(1);
    /**
     * The session has a handler whose message type only the container knows (a lambda, a container's
     * own handler for an annotated endpoint): its text is read as the container dispatches it.
     */
    boolean containerTyped;

    Registration(RealtimeConnection connection) {
      this.connection = connection;
    }
  }

  /** Sessions whose text is read as the container dispatches it: none, most of the time. */
  private static final AtomicInteger CONTAINER_TYPED = new AtomicInteger();

  /**
   * The handler to register: ours around the application's when it receives text on a Realtime
   * session, else the application's own. {@code type} is the declared message type of the
   * two-argument overloads, null for the one-argument one (then read from the handler's class as the
   * container does).
   */
  public static Object wrap(Session session, Class<?> type, Object handler) {
    try {
      if (session == null || handler instanceof TextHandler || !(handler instanceof MessageHandler)) {
        return handler;
      }
      boolean whole = handler instanceof MessageHandler.Whole;
      boolean partial = handler instanceof MessageHandler.Partial;
      if (whole == partial) {
        return handler;
      }
      Class<?> messageType =
          type != null ? type : messageType(handler.getClass(), whole ? MessageHandler.Whole.class : MessageHandler.Partial.class);
      if (messageType != String.class) {
        return handler;
      }
      Registration registration = registration(session);
      if (registration == null) {
        return handler;
      }
      TextHandler wrapper =
          whole
              ? new WholeTextHandler(castWhole(handler), registration.connection)
              : new PartialTextHandler(castPartial(handler), registration.connection);
      synchronized (registration) {
        registration.handlers.add(wrapper);
      }
      return wrapper;
    } catch (Throwable t) {
      RateLimitedLog.warn("jakarta-websocket", "TokenLedger could not inspect a WebSocket message handler: " + t);
      return handler;
    }
  }

  /**
   * The container accepted a handler given to the one-argument {@code addMessageHandler}. When its
   * message type cannot be read from its class (a lambda's cannot), only the container knows which
   * messages it gets: a Realtime session's text is then read where the container dispatches it
   * ({@link #dispatched}).
   */
  public static void added(Session session, Object handler) {
    try {
      if (session == null || handler instanceof TextHandler || !(handler instanceof MessageHandler)) {
        return;
      }
      boolean whole = handler instanceof MessageHandler.Whole;
      if (whole == handler instanceof MessageHandler.Partial) {
        return;
      }
      Class<?> handlerInterface = whole ? MessageHandler.Whole.class : MessageHandler.Partial.class;
      if (messageType(handler.getClass(), handlerInterface) != null) {
        return; // declared: a text handler was wrapped, any other is not text
      }
      Registration registration = registration(session);
      if (registration == null) {
        return;
      }
      synchronized (registration) {
        if (!registration.containerTyped) {
          registration.containerTyped = true;
          CONTAINER_TYPED.incrementAndGet();
        }
      }
    } catch (Throwable t) {
      RateLimitedLog.warn("jakarta-websocket", "TokenLedger could not inspect a WebSocket message handler: " + t);
    }
  }

  /**
   * The container hands {@code message} to the session's handlers ({@code last}: the message's last
   * fragment). Read here when a handler of the session has a type only the container knows and no
   * text handler of ours reads the session's text already; text only.
   */
  public static void dispatched(Session session, Object message, boolean last) {
    if (CONTAINER_TYPED.get() == 0 || !(message instanceof String) || session == null) {
      return;
    }
    try {
      Registration registration = SESSIONS.get(session);
      if (registration == null) {
        return;
      }
      synchronized (registration) {
        if (!registration.containerTyped || !registration.handlers.isEmpty()) {
          return;
        }
      }
      registration.connection.onText((String) message, last);
    } catch (Throwable t) {
      RateLimitedLog.warn("jakarta-websocket", "TokenLedger could not read a WebSocket message: " + t);
    }
  }

  /** The handler the session holds for the application's {@code handler} (to remove it). */
  public static Object registered(Session session, Object handler) {
    try {
      Registration registration = session == null ? null : SESSIONS.get(session);
      if (registration == null) {
        return handler;
      }
      synchronized (registration) {
        for (TextHandler wrapper : registration.handlers) {
          if (wrapper.delegate() == handler) {
            registration.handlers.remove(wrapper);
            return wrapper;
          }
        }
      }
    } catch (Throwable t) {
      RateLimitedLog.warn("jakarta-websocket", "TokenLedger could not find a wrapped message handler: " + t);
    }
    return handler;
  }

  /** The session's handlers as the application registered them. */
  public static Set<?> unwrap(Set<?> handlers) {
    try {
      if (handlers == null) {
        return null;
      }
      boolean wrapped = false;
      for (Object handler : handlers) {
        if (handler instanceof TextHandler) {
          wrapped = true;
          break;
        }
      }
      if (!wrapped) {
        return handlers;
      }
      Set<Object> own = new LinkedHashSet<Object>();
      for (Object handler : handlers) {
        own.add(handler instanceof TextHandler ? ((TextHandler) handler).delegate() : handler);
      }
      return Collections.unmodifiableSet(own);
    } catch (Throwable t) {
      return handlers;
    }
  }

  /** The session closed; {@code closeReason} is a {@code CloseReason} or a description. */
  public static void closed(Session session, Object closeReason) {
    RealtimeConnection connection = remove(session);
    if (connection == null) {
      return;
    }
    int code = 1005; // "no status received"
    try {
      if (closeReason instanceof CloseReason) {
        code = ((CloseReason) closeReason).getCloseCode().getCode();
      }
    } catch (Throwable ignored) {
      // the code is descriptive only
    }
    connection.onClosed(code);
  }

  /**
   * The container reported an error. Jakarta also reports errors that leave the session open (a
   * handler's exception, a message that could not be decoded): only a closed session ends here.
   */
  public static void failed(Session session, Throwable error) {
    try {
      if (session == null || session.isOpen()) {
        return;
      }
    } catch (Throwable ignored) {
      // a session that cannot say is treated as closed
    }
    RealtimeConnection connection = remove(session);
    if (connection != null) {
      connection.onFailure(error);
    }
  }

  private static RealtimeConnection remove(Session session) {
    try {
      if (session != null) {
        OPENED.remove(session);
      }
      Registration registration = session == null ? null : SESSIONS.remove(session);
      if (registration == null) {
        return null;
      }
      synchronized (registration) {
        if (registration.containerTyped) {
          registration.containerTyped = false;
          CONTAINER_TYPED.decrementAndGet();
        }
      }
      return registration.connection;
    } catch (Throwable t) {
      return null;
    }
  }

  private static Registration registration(Session session) {
    synchronized (SESSIONS) {
      Registration registration = SESSIONS.get(session);
      if (registration != null) {
        return registration;
      }
      URI uri = session.getRequestURI();
      Handshake handshake = OPENED.remove(session);
      RealtimeConnection connection = JakartaWebSocketSingletons.instrumenter().startConnection(uri, handshake == null ? null : handshake.request);
      if (connection == null) {
        return null;
      }
      connection.onOpen(handshake == null ? null : handshake.response);
      registration = new Registration(connection);
      SESSIONS.put(session, registration);
      return registration;
    }
  }

  /**
   * The {@code T} of {@code Whole<T>}/{@code Partial<T>} as the handler's class declares it, or null
   * when it does not (a lambda, a raw or generic declaration, a container's own handler type).
   */
  static Class<?> messageType(Class<?> handlerClass, Class<?> handlerInterface) {
    for (Class<?> c = handlerClass; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Type type : c.getGenericInterfaces()) {
        if (type instanceof ParameterizedType && ((ParameterizedType) type).getRawType() == handlerInterface) {
          Type argument = ((ParameterizedType) type).getActualTypeArguments()[0];
          if (argument instanceof ParameterizedType) {
            argument = ((ParameterizedType) argument).getRawType();
          }
          return argument instanceof Class ? (Class<?>) argument : null;
        }
      }
    }
    return null;
  }

  @SuppressWarnings("unchecked")
  private static MessageHandler.Whole<String> castWhole(Object handler) {
    return (MessageHandler.Whole<String>) handler;
  }

  @SuppressWarnings("unchecked")
  private static MessageHandler.Partial<String> castPartial(Object handler) {
    return (MessageHandler.Partial<String>) handler;
  }

  private JakartaWebSockets() {}
}
