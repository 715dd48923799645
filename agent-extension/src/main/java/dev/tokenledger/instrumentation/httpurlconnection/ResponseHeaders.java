package dev.tokenledger.instrumentation.httpurlconnection;

import dev.tokenledger.agent.Headers;
import java.util.List;
import java.util.Map;

/**
 * The response head as {@code getHeaderFields()} gives it (names as the server sent them, the status
 * line under the null name), looked up without regard to case.
 */
final class ResponseHeaders implements Headers {

  private final Map<String, List<String>> fields;

  ResponseHeaders(Map<String, List<String>> fields) {
    this.fields = fields;
  }

  @Override
  public String get(String name) {
    if (fields == null || name == null) {
      return null;
    }
    for (Map.Entry<String, List<String>> field : fields.entrySet()) {
      String key = field.getKey();
      if (key != null && key.equalsIgnoreCase(name)) {
        List<String> values = field.getValue();
        return values == null || values.isEmpty() ? null : values.get(0);
      }
    }
    return null;
  }
}
