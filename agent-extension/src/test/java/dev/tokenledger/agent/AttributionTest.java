package dev.tokenledger.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link Attribution}: the use case from baggage, else from the first calling class a rule names; the
 * end user from baggage; empty values count as absent. And a call started by a transport carries
 * both to its ledger row.
 */
@ExtendWith(TestTelemetry.Extension.class)
class AttributionTest {

  static final List<TokenLedgerConfig.UseCaseRule> JUDGE_RULE =
      TokenLedgerConfig.UseCaseRule.parseAll(Judge.class.getName() + "=judge");

  static Context baggage(String... pairs) {
    io.opentelemetry.api.baggage.BaggageBuilder builder = Baggage.builder();
    for (int i = 0; i < pairs.length; i += 2) {
      builder.put(pairs[i], pairs[i + 1]);
    }
    return Context.root().with(builder.build());
  }

  /** Application code a rule names: attribution asked for from inside it sees it on the stack. */
  static final class Judge {
    static Attribution attribute(Context context) {
      return Attribution.of(context, JUDGE_RULE);
    }
  }

  @Test
  void baggageNamesTheUseCaseAndTheEndUser() {
    Attribution a = Attribution.of(baggage("tokenledger.use_case", "support", "enduser.id", "user-42"), Collections.emptyList());
    assertEquals("support", a.useCase);
    assertEquals("user-42", a.enduserId);
  }

  @Test
  void withoutBaggageNothingIsAttributed() {
    Attribution a = Attribution.of(Context.root(), Collections.emptyList());
    assertNull(a.useCase);
    assertNull(a.enduserId);
  }

  @Test
  void emptyBaggageValuesAreAbsent() {
    Attribution a = Attribution.of(baggage("tokenledger.use_case", "", "enduser.id", ""), Collections.emptyList());
    assertNull(a.useCase);
    assertNull(a.enduserId);
  }

  @Test
  void aRuleNamesTheUseCaseOfCallsFromTheClassesItNames() {
    assertEquals("judge", Judge.attribute(Context.root()).useCase);
    assertNull(Attribution.of(Context.root(), JUDGE_RULE).useCase, "this test class is not under the rule's prefix");
  }

  @Test
  void baggageWinsOverARule() {
    assertEquals("support", Judge.attribute(baggage("tokenledger.use_case", "support")).useCase);
    assertEquals("judge", Judge.attribute(baggage("tokenledger.use_case", "")).useCase, "an empty entry is no entry");
  }

  @Test
  void aStartedCallCarriesTheAttributionToItsRow() {
    try (Scope ignored = baggage("tokenledger.use_case", "support", "enduser.id", "user-42").makeCurrent()) {
      CallProbe.speech().end(true);
    }
    Attributes row = CallProbe.rows().get(0).getAttributes();
    assertEquals("support", row.get(AttributeKey.stringKey("tokenledger.use_case")));
    assertEquals("user-42", row.get(AttributeKey.stringKey("enduser.id")));
  }
}
