package dev.tokenledger.fuzz;

import java.util.function.Supplier;

/** A property a fuzz target checks did not hold for an input: the fuzzer reports it as a finding. */
public final class FuzzFinding extends RuntimeException {

  public FuzzFinding(String message) {
    super(message);
  }

  public static void check(boolean holds, Supplier<String> what) {
    if (!holds) {
      throw new FuzzFinding(what.get());
    }
  }

  /** {@code expected} and {@code actual} are the outcome of the same bytes delivered two ways. */
  public static void same(String expected, String actual, String how) {
    if (!expected.equals(actual)) {
      throw new FuzzFinding(how + " changed the result:\n--- expected\n" + expected + "\n--- actual\n" + actual);
    }
  }
}
