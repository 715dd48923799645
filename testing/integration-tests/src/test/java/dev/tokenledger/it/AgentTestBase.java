package dev.tokenledger.it;

import dev.tokenledger.simulator.OpenAiSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the demo app under the agent talks to in a test class: the OpenAI simulator (the ground
 * truth) and the OTLP receiver (what the agent exported). Started once per class, emptied before
 * each test, closed after the class.
 */
abstract class AgentTestBase {

  static OpenAiSimulator simulator;
  static OtlpReceiver receiver;

  @BeforeAll
  static void startSimulatorAndReceiver() throws Exception {
    simulator = OpenAiSimulator.start(0);
    receiver = new OtlpReceiver();
  }

  @AfterAll
  static void stopSimulatorAndReceiver() {
    simulator.close();
    receiver.close();
  }

  @BeforeEach
  void emptySimulatorAndReceiver() {
    simulator.reset();
    receiver.reset();
  }
}
