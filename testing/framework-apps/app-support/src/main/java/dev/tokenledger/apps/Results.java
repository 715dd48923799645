package dev.tokenledger.apps;

import java.nio.charset.StandardCharsets;

/**
 * The RESULT lines of one scenario, one per call, on stdout (nothing else an app prints starts with
 * {@code RESULT }):
 *
 * <pre>
 * RESULT client=C scenario=S model=M status=ok bytes=raw sha256=HEX length=N
 * RESULT client=C scenario=S model=M status=ok bytes=parsed sha256=HEX length=N
 * RESULT client=C scenario=S model=M status=EXC:SimpleClassName bytes=- sha256=- length=-1
 * </pre>
 *
 * {@code model} is the model (or Azure deployment) the call asked for: the tests find the call's
 * ground truth by it. {@code bytes=raw} digests the response body exactly as the application read
 * it, to compare with what the simulator sent; {@code bytes=parsed} digests what the framework handed
 * to the application (text, finish reasons, usage numbers: never ids or timestamps), to compare with
 * a run of the same app without the agent. Prompts, completions and keys are never printed.
 */
public final class Results {

  private final String client;
  private final String scenario;

  Results(String client, String scenario) {
    this.client = client;
    this.scenario = scenario;
  }

  /** A body or stream read as bytes, digested as it was read. */
  public void raw(String model, Digest body) {
    print(model, "ok", "raw", body);
  }

  /** What a framework handed over, written out by the app in a fixed form. */
  public void parsed(String model, String rendering) {
    Digest digest = new Digest();
    digest.update(rendering.getBytes(StandardCharsets.UTF_8));
    print(model, "ok", "parsed", digest);
  }

  /** A call that failed in the application. */
  public void failed(String model, Throwable t) {
    System.out.println("RESULT client=" + client + " scenario=" + scenario + " model=" + model
        + " status=EXC:" + t.getClass().getSimpleName() + " bytes=- sha256=- length=-1");
    System.err.println("scenario " + scenario + " failed:");
    t.printStackTrace();
  }

  void failed(Throwable t) {
    failed("-", t);
  }

  private void print(String model, String status, String bytes, Digest digest) {
    System.out.println("RESULT client=" + client + " scenario=" + scenario + " model=" + model
        + " status=" + status + " bytes=" + bytes + " sha256=" + digest.hex() + " length=" + digest.length());
  }
}
