package dev.tokenledger.instrumentation.okhttp.v3_0;

import java.io.IOException;
import java.nio.charset.Charset;
import okhttp3.MultipartBody;
import okio.Buffer;

/**
 * The small form fields of a multipart request (model, response_format, …) re-encoded as a
 * multipart body of their own, leaving out every uploaded file: the request parser reads the
 * fields without the audio ever being serialised a second time.
 */
final class FormFields {

  private static final String BOUNDARY = "tokenledger-form-fields";
  static final String CONTENT_TYPE = "multipart/form-data; boundary=" + BOUNDARY;
  private static final Charset UTF_8 = Charset.forName("UTF-8");

  static Buffer of(MultipartBody body, long maxBytes) throws IOException {
    Buffer out = new Buffer();
    for (MultipartBody.Part part : body.parts()) {
      okhttp3.Headers headers = part.headers();
      String disposition = headers == null ? null : headers.get("Content-Disposition");
      if (disposition == null || disposition.contains("filename=")) {
        continue;
      }
      long length = part.body().contentLength();
      if (length < 0 || out.size() + length > maxBytes || part.body().isOneShot()) {
        continue;
      }
      out.writeString("--" + BOUNDARY + "\r\nContent-Disposition: " + disposition + "\r\n\r\n", UTF_8);
      part.body().writeTo(out);
      out.writeString("\r\n", UTF_8);
    }
    out.writeString("--" + BOUNDARY + "--\r\n", UTF_8);
    return out;
  }

  private FormFields() {}
}
