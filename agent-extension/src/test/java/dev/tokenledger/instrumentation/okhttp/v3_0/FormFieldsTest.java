package dev.tokenledger.instrumentation.okhttp.v3_0;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenledger.usage.OpenAiApi;
import dev.tokenledger.usage.OpenAiEndpoint;
import dev.tokenledger.usage.RequestInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.MultipartBody;
import okhttp3.RequestBody;
import okio.Buffer;
import okio.BufferedSink;
import org.junit.jupiter.api.Test;

/**
 * {@link FormFields}: the small form fields of a multipart upload re-encoded on their own, without
 * ever serialising an uploaded file, for the request parser to read.
 */
class FormFieldsTest {

  static final OpenAiEndpoint TRANSCRIPTIONS = OpenAiEndpoint.of(OpenAiApi.AUDIO_TRANSCRIPTIONS);

  /** A part body that must never be written (an upload, or a body that can be read only once). */
  static final class Untouchable extends RequestBody {
    final long length;
    final boolean oneShot;

    Untouchable(long length, boolean oneShot) {
      this.length = length;
      this.oneShot = oneShot;
    }

    @Override
    public MediaType contentType() {
      return MediaType.get("audio/wav");
    }

    @Override
    public long contentLength() {
      return length;
    }

    @Override
    public boolean isOneShot() {
      return oneShot;
    }

    @Override
    public void writeTo(BufferedSink sink) {
      throw new AssertionError("this part must not be written");
    }
  }

  static RequestInfo parse(Buffer fields) {
    byte[] bytes = fields.readByteArray();
    return RequestInfo.parse(TRANSCRIPTIONS, bytes, bytes.length, FormFields.CONTENT_TYPE);
  }

  @Test
  void theFieldsAreKeptAndTheFileLeftOut() throws IOException {
    MultipartBody form = new MultipartBody.Builder()
        .setType(MultipartBody.FORM)
        .addFormDataPart("file", "speech.wav", new Untouchable(10_000_000, false))
        .addFormDataPart("model", "whisper-1")
        .addFormDataPart("response_format", "verbose_json")
        .addFormDataPart("stream", "true")
        .build();
    Buffer fields = FormFields.of(form, RequestInfo.MAX_REQUEST_BYTES);
    assertTrue(fields.size() < 1000, "no upload in it: " + fields.size());
    RequestInfo info = parse(fields);
    assertEquals("whisper-1", info.model());
    assertEquals("verbose_json", info.responseFormat());
    assertTrue(info.stream());
  }

  @Test
  void theEncodingIsAMultipartBodyOfItsOwnBoundary() throws IOException {
    MultipartBody form = new MultipartBody.Builder()
        .setType(MultipartBody.FORM)
        .addFormDataPart("model", "gpt-4o-transcribe")
        .build();
    assertEquals(
        "--tokenledger-form-fields\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\ngpt-4o-transcribe\r\n"
            + "--tokenledger-form-fields--\r\n",
        FormFields.of(form, 1000).readString(StandardCharsets.UTF_8));
    assertEquals("multipart/form-data; boundary=tokenledger-form-fields", FormFields.CONTENT_TYPE);
  }

  @Test
  void oneShotUnknownLengthAndOversizedPartsAreLeftOutAndLaterFieldsKept() throws IOException {
    StringBuilder prompt = new StringBuilder();
    for (int i = 0; i < 300; i++) {
      prompt.append('p');
    }
    MultipartBody form = new MultipartBody.Builder()
        .setType(MultipartBody.FORM)
        .addFormDataPart("prompt", null, new Untouchable(5, true))
        .addFormDataPart("language", null, new Untouchable(-1, false))
        .addFormDataPart("prompt", prompt.toString())
        .addFormDataPart("model", "whisper-1")
        .build();
    Buffer fields = FormFields.of(form, 200);
    String text = fields.snapshot().utf8();
    assertFalse(text.contains("ppppp"), "the oversized field is left out");
    assertFalse(text.contains("language"));
    assertEquals("whisper-1", parse(fields).model());
  }

  @Test
  void partsWithoutAFormDispositionAreLeftOut() throws IOException {
    MultipartBody mixed = new MultipartBody.Builder()
        .setType(MultipartBody.FORM)
        .addPart(RequestBody.create("no headers", null))
        .addPart(Headers.of("X-Note", "no disposition"), RequestBody.create("still none", null))
        .addFormDataPart("model", "whisper-1")
        .build();
    String text = FormFields.of(mixed, 1000).readUtf8();
    assertFalse(text.contains("no headers"));
    assertFalse(text.contains("still none"));
    assertTrue(text.contains("whisper-1"));
  }

  @Test
  void aFormOfFilesAloneGivesAnEmptyForm() throws IOException {
    MultipartBody form = new MultipartBody.Builder()
        .setType(MultipartBody.FORM)
        .addFormDataPart("file", "a.wav", new Untouchable(100, false))
        .build();
    Buffer fields = FormFields.of(form, 1000);
    assertEquals("--tokenledger-form-fields--\r\n", fields.snapshot().utf8());
    RequestInfo info = parse(fields);
    assertTrue(info.parsed());
    assertNull(info.model());
  }
}
