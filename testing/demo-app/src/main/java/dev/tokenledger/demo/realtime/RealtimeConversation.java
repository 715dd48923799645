package dev.tokenledger.demo.realtime;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.util.Base64;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * One Realtime connection seen from the application: send client events, wait for server events by
 * type, speak (append audio, commit), ask for a response and wait for its {@code response.done}.
 * Every {@code response.done} that arrives is reported to {@code onResponseDone} (the demo's
 * stop-after counter).
 */
final class RealtimeConversation implements AutoCloseable {

  /** Thrown when the connection ended while an event was awaited. */
  static final class Ended extends Exception {
    final String how;

    Ended(String how) {
      super("connection " + how, null, false, false);
      this.how = how;
    }
  }

  static final int PCM_BYTES_PER_SECOND = 24_000 * 2;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long AWAIT_MILLIS = 60_000;

  final RealtimeInbox inbox = new RealtimeInbox();
  private final RealtimeTransport.Socket socket;
  private final IntConsumer onResponseDone;
  private final long paceMillis;
  private int responses;
  /** Deltas seen since the last response.created. */
  int audioDeltas;

  RealtimeConversation(RealtimeTransport transport, URI uri, Map<String, String> headers, long paceMillis,
      IntConsumer onResponseDone) throws Exception {
    this.socket = transport.connect(uri, headers, inbox);
    this.paceMillis = paceMillis;
    this.onResponseDone = onResponseDone;
  }

  int responses() {
    return responses;
  }

  void send(ObjectNode event) throws Exception {
    socket.send(JSON.writeValueAsString(event));
  }

  static ObjectNode event(String type) {
    return JSON.createObjectNode().put("type", type);
  }

  /** The next event of this type; other events pass by (counted where they matter). */
  JsonNode await(String type) throws Exception {
    long deadline = System.currentTimeMillis() + AWAIT_MILLIS;
    while (true) {
      long left = deadline - System.currentTimeMillis();
      RealtimeInbox.Message m = inbox.poll(Math.max(1, left));
      if (m == null) {
        throw new IllegalStateException("no " + type + " within " + AWAIT_MILLIS + " ms");
      }
      if (m.isEnd()) {
        throw new Ended(m.end());
      }
      if (m.text() == null) {
        continue; // binary: not part of the protocol, ignored
      }
      String t = typeOf(m.text());
      if (t == null) {
        continue; // not JSON: ignored, as a robust client does
      }
      if (t.endsWith("audio.delta")) {
        audioDeltas++;
        if (t.equals(type)) {
          return null; // audio is not parsed: a player would decode it
        }
        continue;
      }
      if (!t.equals(type) && !t.equals("response.done") && !t.equals("response.created")) {
        continue;
      }
      JsonNode event;
      try {
        event = JSON.readTree(m.text());
      } catch (JsonProcessingException malformed) {
        continue; // a broken event is skipped, as a robust client does
      }
      if (t.equals("response.created")) {
        audioDeltas = 0;
      } else if (t.equals("response.done")) {
        responses++;
        onResponseDone.accept(responses);
      }
      if (t.equals(type)) {
        return event;
      }
    }
  }

  /**
   * The event's top-level {@code type}; null when the text is not a JSON object with a string type
   * there. Only the members before the type are read, and the simulator, like OpenAI, writes it
   * first, so an audio delta's payload is not decoded.
   */
  static String typeOf(String text) {
    try (JsonParser p = JSON.createParser(text)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if (name.equals("type")) {
          return value == JsonToken.VALUE_STRING ? p.getText() : null;
        }
        p.skipChildren();
      }
      return null;
    } catch (IOException malformed) {
      return null;
    }
  }

  /** Appends {@code millis} of 24 kHz PCM16 audio in 100 ms chunks (at real time when paced), commits. */
  void speak(long millis) throws Exception {
    byte[] chunk = new byte[PCM_BYTES_PER_SECOND / 10];
    for (int i = 0; i < chunk.length; i++) {
      chunk[i] = (byte) (Math.sin(i / 7.0) * 40);
    }
    String audio = Base64.getEncoder().encodeToString(chunk);
    for (long sent = 0; sent < millis; sent += 100) {
      send(event("input_audio_buffer.append").put("audio", audio));
      if (paceMillis > 0) {
        Thread.sleep(100);
      }
    }
    send(event("input_audio_buffer.commit"));
  }

  /** Asks for a response with the simulator's metadata ({@code sim}: a fault model, or empty). */
  ObjectNode responseCreate(String sim) {
    ObjectNode create = event("response.create");
    ObjectNode metadata = create.putObject("response").putObject("metadata");
    metadata.put("topic", "billing");
    if (!sim.isEmpty()) {
      metadata.put("sim", sim);
    }
    if (paceMillis > 0) {
      metadata.put("sim_delta_ms", paceMillis);
    }
    return create;
  }

  /** Sends {@code response.create} and returns its {@code response.done}. */
  JsonNode respond(String sim) throws Exception {
    send(responseCreate(sim));
    return await("response.done");
  }

  String digestHex() {
    return inbox.digestHex();
  }

  long messages() {
    return inbox.messages();
  }

  void abort() {
    socket.abort();
  }

  @Override
  public void close() {
    if (!inbox.isEnded()) {
      socket.close();
    }
  }
}
