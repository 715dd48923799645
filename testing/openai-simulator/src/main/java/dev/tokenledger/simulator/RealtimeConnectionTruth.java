package dev.tokenledger.simulator;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the simulator knows about one Realtime WebSocket connection, recorded when it ends.
 *
 * @param connectionId {@code ws-N}, the same id the connection's {@link GroundTruth} rows carry
 * @param path the handshake path with its query, without any {@code api-key} parameter
 * @param sessionId the server session the connection belonged to (shared by sideband connections
 *     that joined the same call)
 * @param requestModel the {@code model} or {@code deployment} of the URL; null for sideband and
 *     transcription-only connections
 * @param messagesSent data messages sent to the client (text and binary)
 * @param sentSha256 hex SHA-256 over those messages in {@link WebSocketConnection.MessageDigestFormat}
 *     form; the demo app prints the same digest of what it received
 * @param bytesSent payload bytes of those messages
 * @param end {@code client-close} (the client's close frame), {@code client-gone} (the TCP connection
 *     ended without a close frame), {@code drop} (the simulator cut it: a fault model) or
 *     {@code protocol-error}
 * @param responses {@code response.done} events sent
 */
public record RealtimeConnectionTruth(
    String connectionId,
    String path,
    String sessionId,
    String requestModel,
    long messagesSent,
    String sentSha256,
    long bytesSent,
    String end,
    int responses,
    Instant opened,
    Instant closed) {

  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("connectionId", connectionId);
    m.put("path", path);
    m.put("sessionId", sessionId);
    m.put("requestModel", requestModel);
    m.put("messagesSent", messagesSent);
    m.put("sentSha256", sentSha256);
    m.put("bytesSent", bytesSent);
    m.put("end", end);
    m.put("responses", responses);
    m.put("opened", opened.toString());
    m.put("closed", closed.toString());
    return Json.write(m);
  }

  @SuppressWarnings("unchecked")
  public static RealtimeConnectionTruth fromJson(String line) {
    Map<String, Object> m = (Map<String, Object>) Json.parse(line);
    return new RealtimeConnectionTruth(
        (String) m.get("connectionId"),
        (String) m.get("path"),
        (String) m.get("sessionId"),
        (String) m.get("requestModel"),
        ((Number) m.get("messagesSent")).longValue(),
        (String) m.get("sentSha256"),
        ((Number) m.get("bytesSent")).longValue(),
        (String) m.get("end"),
        ((Number) m.get("responses")).intValue(),
        Instant.parse((String) m.get("opened")),
        Instant.parse((String) m.get("closed")));
  }

  public static List<RealtimeConnectionTruth> parseJsonLines(String text) {
    return text.lines().filter(l -> !l.isBlank()).map(l -> fromJson(l.strip())).toList();
  }
}
