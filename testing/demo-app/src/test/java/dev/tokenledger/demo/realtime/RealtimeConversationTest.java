package dev.tokenledger.demo.realtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The cheap look at a server event's type that decides whether the event is parsed at all. */
class RealtimeConversationTest {

  @Test
  void typeIsReadFromTheTopLevelOnly() {
    assertEquals("response.done", RealtimeConversation.typeOf("{\"type\":\"response.done\",\"response\":{}}"));
    assertEquals("session.created", RealtimeConversation.typeOf(" { \"event_id\" : \"e1\", \"session\": {\"type\": \"realtime\"},"
        + " \"type\" : \"session.created\" }"));
    assertNull(RealtimeConversation.typeOf("{\"event\":{\"type\":\"response.done\"}}"));
    assertNull(RealtimeConversation.typeOf("{\"type\":42}"));
  }

  @Test
  void aCutEventStillShowsItsTypeAndNonObjectsHaveNone() {
    // The simulator's malformed frames: a cut audio delta and a cut copy of response.done.
    assertEquals("response.output_audio.delta",
        RealtimeConversation.typeOf("{\"type\":\"response.output_audio.delta\",\"event_id\":\"e\",\"delta\":\"AAAA"));
    assertEquals("response.done",
        RealtimeConversation.typeOf("{\"type\":\"response.done\",\"response\":{\"id\":\"r\",\"usage\":{\"input_tokens\":12,"));
    assertNull(RealtimeConversation.typeOf("{\"event_id\":\"e\",\"delta\":\"AAAA"));
    assertNull(RealtimeConversation.typeOf("[\"type\",\"x\"]"));
    assertNull(RealtimeConversation.typeOf("not json"));
    assertNull(RealtimeConversation.typeOf(""));
  }
}
