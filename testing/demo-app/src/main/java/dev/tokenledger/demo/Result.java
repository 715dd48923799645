package dev.tokenledger.demo;

/**
 * What one (client, scenario) call produced, as printed on its RESULT line.
 *
 * @param status the HTTP status, or {@code EXC:<ExceptionClass>} when the call failed
 * @param sha256 hex SHA-256 of the body bytes the app received (after content decoding), or
 *     {@code -} when not known (SDK-parsed bodies, failures)
 * @param length the number of those bytes, or -1 when not known
 */
record Result(String status, String sha256, long length) {

  static Result of(int status, byte[] body) {
    return new Result(String.valueOf(status), Bodies.sha256Hex(body), body.length);
  }

  static Result of(int status, Bodies.Digest digest) {
    return new Result(String.valueOf(status), digest.hex(), digest.length());
  }

  /** SDK calls: the body went through the SDK's parser, so no byte-level proof is possible. */
  static Result parsedBySdk(int status) {
    return new Result(String.valueOf(status), "-", -1);
  }

  static Result failed(Throwable t) {
    return new Result("EXC:" + Bodies.unwrap(t).getClass().getSimpleName(), "-", -1);
  }

  String line(String client, String scenario) {
    return "RESULT client=" + client + " scenario=" + scenario + " status=" + status + " sha256="
        + sha256 + " length=" + length;
  }
}
