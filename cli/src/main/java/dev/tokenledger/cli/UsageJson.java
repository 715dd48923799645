package dev.tokenledger.cli;

import dev.tokenledger.cli.JsonInput.Node;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads OpenAI's Usage API answers for completions (docs/token-vocabulary.md#the-usage-export): a page object
 * ({@code {"object":"page","data":[bucket…],"has_more":…,"next_page":…}}), or an array of such pages
 * as saved from several requests. Each bucket's {@code results} become {@link ImportRow}s; grouping
 * fields the request did not group by are null and stored empty. Every value is checked; the first
 * problem is reported with its line and column.
 */
final class UsageJson {

  private UsageJson() {}

  /** The pages of one JSON document. */
  static List<Node> pages(Node root) throws InputException {
    List<Node> pages = new ArrayList<>();
    if (root.value() instanceof List<?>) {
      for (Node p : root.array()) {
        pages.add(p);
      }
    } else {
      pages.add(root);
    }
    for (Node p : pages) {
      if (!(p.value() instanceof Map<?, ?>)) {
        throw p.error("expected a Usage API page object ({\"object\":\"page\",\"data\":[…]})");
      }
      Node object = p.object().get("object");
      if (object == null || !"page".equals(object.value())) {
        throw (object == null ? p : object).error("expected a Usage API page: \"object\" must be \"page\"");
      }
      Node data = p.object().get("data");
      if (data == null || !(data.value() instanceof List<?>)) {
        throw (data == null ? p : data).error("a page needs a \"data\" array of buckets");
      }
    }
    return pages;
  }

  /**
   * Rows of every bucket of every page, with the counts of {@code tokenColumns} (absent fields count
   * 0; input_tokens and output_tokens are required); {@code seen} (bucket and grouping → line)
   * catches repeats across pages.
   */
  static List<ImportRow> rows(Node page, List<String> tokenColumns, Map<String, Integer> seen) throws InputException {
    List<ImportRow> rows = new ArrayList<>();
    for (Node bucket : page.object().get("data").array()) {
      if (!(bucket.value() instanceof Map<?, ?>)) {
        throw bucket.error("expected a bucket object");
      }
      Map<String, Node> b = bucket.object();
      Node object = b.get("object");
      if (object != null && !"bucket".equals(object.value())) {
        throw object.error("expected \"object\": \"bucket\"");
      }
      long start = integer(b, "start_time", bucket);
      long end = integer(b, "end_time", bucket);
      if (ImportRow.bucketWidth(end - start) == null) {
        throw b.get("end_time").error("the bucket from " + start + " to " + end + " is " + (end - start)
            + " seconds long: only whole 1d, 1h or 1m buckets can be compared");
      }
      Node results = b.get("results");
      if (results == null || !(results.value() instanceof List<?>)) {
        throw (results == null ? bucket : results).error("a bucket needs a \"results\" array");
      }
      for (Node r : results.array()) {
        ImportRow row = result(r, start, end, tokenColumns);
        Integer earlier = seen.putIfAbsent(row.key(), r.line());
        if (earlier != null) {
          throw r.error("this result repeats the time bucket and grouping of the result at line " + earlier);
        }
        rows.add(row);
      }
    }
    return rows;
  }

  private static ImportRow result(Node r, long start, long end, List<String> tokenColumns) throws InputException {
    if (!(r.value() instanceof Map<?, ?>)) {
      throw r.error("expected a result object");
    }
    Map<String, Node> m = r.object();
    Node object = m.get("object");
    if (object != null && !"organization.usage.completions.result".equals(object.value())) {
      throw object.error("this is not completions usage (\"object\": \"" + object.value() + "\"): import the answers of"
          + " GET /v1/organization/usage/completions");
    }
    long[] tokens = new long[tokenColumns.size()];
    for (int i = 0; i < tokens.length; i++) {
      String f = tokenColumns.get(i);
      boolean required = f.equals("input_tokens") || f.equals("output_tokens");
      tokens[i] = m.containsKey(f) || required ? integer(m, f, r) : 0;
    }
    Node batch = m.get("batch");
    String batchText = "";
    if (batch != null && !batch.isNull()) {
      if (!(batch.value() instanceof Boolean)) {
        throw batch.error("batch must be true, false or null");
      }
      batchText = batch.value().toString();
    }
    return new ImportRow(start, end, text(m, "project_id"), text(m, "user_id"), text(m, "api_key_id"),
        text(m, "model"), batchText, text(m, "service_tier"), integer(m, "num_model_requests", r), tokens,
        r.line(), r.column());
  }

  private static String text(Map<String, Node> m, String field) throws InputException {
    Node n = m.get(field);
    if (n == null || n.isNull()) {
      return "";
    }
    if (!(n.value() instanceof String s)) {
      throw n.error(field + " must be a string or null");
    }
    return s;
  }

  private static long integer(Map<String, Node> m, String field, Node owner) throws InputException {
    Node n = m.get(field);
    if (n == null) {
      throw owner.error("\"" + field + "\" is missing");
    }
    if (!(n.value() instanceof BigDecimal d)) {
      throw n.error(field + " must be a whole number ≥ 0, not " + (n.isNull() ? "null" : describe(n.value())));
    }
    try {
      long v = d.longValueExact();
      if (v < 0) {
        throw n.error(field + " must be ≥ 0, not " + v);
      }
      return v;
    } catch (ArithmeticException e) {
      throw n.error(field + " must be a whole number ≥ 0, not " + d.toPlainString());
    }
  }

  private static String describe(Object v) {
    return v instanceof String s ? "the string \"" + s + "\"" : v instanceof Boolean ? v.toString() : "a " +
        (v instanceof List<?> ? "list" : "object");
  }

  /** A fresh map for {@link #rows}. */
  static Map<String, Integer> newSeen() {
    return new HashMap<>();
  }
}
