package dev.tokenledger.simulator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Just enough multipart/form-data parsing for the audio and image-edit endpoints: each part's name,
 * optional filename and bytes. Clients differ in quoting and line endings only within what RFC 7578
 * allows, which this accepts.
 */
final class Multipart {

  record Part(String name, String filename, String contentType, byte[] data) {
    String text() {
      return new String(data, StandardCharsets.UTF_8);
    }
  }

  private final List<Part> parts;

  private Multipart(List<Part> parts) {
    this.parts = parts;
  }

  List<Part> parts() {
    return parts;
  }

  Part part(String name) {
    for (Part p : parts) {
      if (p.name().equals(name)) {
        return p;
      }
    }
    return null;
  }

  String field(String name) {
    Part p = part(name);
    return p == null ? null : p.text();
  }

  /** Returns null when the content type is not multipart or has no boundary. */
  static Multipart parse(String contentType, byte[] body) {
    if (contentType == null
        || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
      return null;
    }
    String boundary = param(contentType, "boundary");
    if (boundary == null) {
      return null;
    }
    byte[] delim = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    List<Part> parts = new ArrayList<>();
    int pos = indexOf(body, delim, 0);
    while (pos >= 0) {
      int start = pos + delim.length;
      if (start + 1 < body.length && body[start] == '-' && body[start + 1] == '-') {
        break; // closing delimiter
      }
      start = skipLineEnd(body, start);
      int next = indexOf(body, delim, start);
      if (next < 0) {
        break;
      }
      // The part ends before the CRLF (or LF) that precedes the next delimiter.
      int end = next;
      if (end > start && body[end - 1] == '\n') {
        end--;
      }
      if (end > start && body[end - 1] == '\r') {
        end--;
      }
      parts.add(part(body, start, end));
      pos = next;
    }
    return new Multipart(parts);
  }

  private static Part part(byte[] body, int start, int end) {
    String name = null;
    String filename = null;
    String type = null;
    int i = start;
    while (i < end) {
      int lineEnd = i;
      while (lineEnd < end && body[lineEnd] != '\n') {
        lineEnd++;
      }
      int contentEnd = lineEnd > i && body[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
      String line = new String(body, i, contentEnd - i, StandardCharsets.UTF_8);
      i = Math.min(lineEnd + 1, end);
      if (line.isEmpty()) {
        break; // headers done
      }
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String h = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String v = line.substring(colon + 1).trim();
      if (h.equals("content-disposition")) {
        name = param(v, "name");
        filename = param(v, "filename");
      } else if (h.equals("content-type")) {
        type = v;
      }
    }
    byte[] data = new byte[Math.max(0, end - i)];
    System.arraycopy(body, i, data, 0, data.length);
    return new Part(name == null ? "" : name, filename, type, data);
  }

  /** A parameter of a header value such as {@code form-data; name="file"; filename="a.wav"}. */
  static String param(String headerValue, String key) {
    for (String piece : headerValue.split(";")) {
      String p = piece.trim();
      int eq = p.indexOf('=');
      if (eq > 0 && p.substring(0, eq).trim().equalsIgnoreCase(key)) {
        String v = p.substring(eq + 1).trim();
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
          v = v.substring(1, v.length() - 1);
        }
        return v;
      }
    }
    return null;
  }

  private static int skipLineEnd(byte[] b, int i) {
    if (i < b.length && b[i] == '\r') {
      i++;
    }
    if (i < b.length && b[i] == '\n') {
      i++;
    }
    return i;
  }

  static int indexOf(byte[] hay, byte[] needle, int from) {
    outer:
    for (int i = Math.max(0, from); i <= hay.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
