package dev.tokenledger.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A Batch output file download (docs/token-vocabulary.md#moderations-and-batch): each line's record
 * is emitted as soon as its line is complete, so a download holds no records whatever the file's
 * size; each line's record id is the same on every download of the file (the ledger counts it once);
 * and each record carries the time its line says the response was made.
 */
@ExtendWith(TestTelemetry.Extension.class)
class BatchOutputDownloadTest {

  static final AttributeKey<String> RECORD_ID = AttributeKey.stringKey("tokenledger.record.id");
  static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("tokenledger.usage.input_tokens");
  static final String FILE_PATH = "/v1/files/file-6F2ksmvXxt4VdoqmHRw6kL/content";

  /** Seconds since the epoch that the lines of {@link #line} say their responses were made at. */
  static final long CREATED = 1_763_990_400L;

  @Test
  void eachLinesRecordIsEmittedWhileTheDownloadIsInProgress() {
    byte[] file = file(0, 10);
    int third = endOfLine(file, 3);
    OpenAiCall call = download(FILE_PATH);
    call.onBytes(file, 0, third - 5);
    assertEquals(2, CallProbe.rows().size(), "two whole lines read, two records");
    call.onBytes(file, third - 5, 5);
    assertEquals(3, CallProbe.rows().size(), "the third line's record when its line ends");
    call.onBytes(file, third, file.length - third);
    assertEquals(10, CallProbe.rows().size(), "every line before the end of the download");
    assertTrue(CallProbe.spans().isEmpty(), "the download is still open");
    call.end(true);
    assertEquals(10, CallProbe.rows().size(), "nothing more at the end");
    assertEquals(CallProbe.batchTokens(10), CallProbe.rowInputTokens());
  }

  /**
   * A 50,000-line file (about 45 MB) read in 8 KiB chunks: the heap the download holds after 49,000
   * lines is no more than after 1,000 plus {@link #MAX_GROWTH_BYTES}. Records go to an exporter that
   * keeps nothing, so only what the download itself holds is measured. Before records were streamed,
   * the download kept every line's record until its end: about 1 KiB per line.
   */
  static final long MAX_GROWTH_BYTES = 1 << 20;

  @Test
  void aDownloadHoldsBoundedMemoryWhateverTheFileSize() {
    CountingExporter exporter = new CountingExporter();
    try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
        .setLoggerProvider(SdkLoggerProvider.builder().addLogRecordProcessor(SimpleLogRecordProcessor.create(exporter)).build())
        .build()) {
      OpenAiInstrumenter instrumenter = OpenAiInstrumenter.create(sdk);
      OpenAiCall call = instrumenter.startCall("GET", CallProbe.HOST, 443, FILE_PATH, null,
          CallProbe.headers("Authorization", CallProbe.API_KEY), null, 0, null);
      assertNotNull(call);
      call.onResponse(200, CallProbe.batchResponseHeaders());
      int lines = 50_000;
      long fileBytes = 0;
      long heldAfter1000 = 0;
      long heldAfter49000 = 0;
      int chunkLines = 10;
      for (int first = 0; first < lines; first += chunkLines) {
        byte[] chunk = file(first, chunkLines);
        fileBytes += chunk.length;
        for (int off = 0; off < chunk.length; off += 8192) {
          call.onBytes(chunk, off, Math.min(8192, chunk.length - off));
        }
        if (first + chunkLines == 1_000) {
          heldAfter1000 = usedHeap();
        } else if (first + chunkLines == 49_000) {
          heldAfter49000 = usedHeap();
        }
      }
      long exportedBeforeEnd = exporter.records.get();
      call.end(true);
      long growth = heldAfter49000 - heldAfter1000;
      System.out.printf("[BatchOutputDownloadTest] %d lines, %d bytes: heap after 49,000 lines minus after 1,000 ="
          + " %d bytes (bound %d); %d records exported before the end, %d after%n",
          lines, fileBytes, growth, MAX_GROWTH_BYTES, exportedBeforeEnd, exporter.records.get());
      assertTrue(fileBytes > 30_000_000L, "a file of tens of MB: " + fileBytes);
      assertTrue(growth < MAX_GROWTH_BYTES, "the download held " + growth + " more bytes after 49,000 lines than after"
          + " 1,000 (bound " + MAX_GROWTH_BYTES + ")");
      assertEquals(lines, exporter.records.get(), "one record per line");
      assertEquals(lines, exportedBeforeEnd, "every record before the end of the download");
    }
  }

  @Test
  void aFileDownloadedTwiceGivesEachLineTheSameRecordId() {
    byte[] file = file(0, 20);
    download(FILE_PATH, file);
    List<String> first = recordIds();
    TestTelemetry.clear();
    download(FILE_PATH, file);
    List<String> second = recordIds();

    assertEquals(20, new HashSet<>(first).size(), "one id per line: " + first);
    assertEquals(first, second, "the same ids on the second download");
    for (String id : first) {
      assertTrue(id.matches("[0-9a-f]{32}"), "32 lowercase hex digits, as every record id: " + id);
    }
    // The id is the line's and its file's: the same lines in another file are other records.
    TestTelemetry.clear();
    download("/v1/files/file-OtherOutputFile0000000/content", file);
    Set<String> other = new HashSet<>(recordIds());
    other.retainAll(first);
    assertTrue(other.isEmpty(), "another file's lines have other ids: " + other);
  }

  @Test
  void theRecordIdFollowsTheRuleTheDocsState() {
    byte[] file = file(7, 1);
    download(FILE_PATH, file);
    String expected = RecordIds.ofBatchLine("file-6F2ksmvXxt4VdoqmHRw6kL", "batch_req_7");
    assertEquals(List.of(expected), recordIds());
    // The rule: the first 32 hex digits of SHA-256 over "batch-output", the file id and the line's id.
    assertEquals(sha256Hex("batch-output\nfile-6F2ksmvXxt4VdoqmHRw6kL\nbatch_req_7").substring(0, 32), expected);
  }

  @Test
  void aLineWithoutAnIdIsKeyedByItsCustomIdThenItsPosition() {
    String noId = "{\"custom_id\":\"ticket-42\",\"response\":{\"status_code\":200,\"body\":{\"object\":\"chat.completion\","
        + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}}}\n";
    String neither = "{\"response\":{\"status_code\":200,\"body\":{\"object\":\"chat.completion\","
        + "\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":1}}}}\n";
    download(FILE_PATH, (noId + neither).getBytes(StandardCharsets.UTF_8));
    assertEquals(List.of(RecordIds.ofBatchLine("file-6F2ksmvXxt4VdoqmHRw6kL", "custom_id:ticket-42"),
        RecordIds.ofBatchLine("file-6F2ksmvXxt4VdoqmHRw6kL", "line:2")), recordIds());
  }

  @Test
  void eachRecordCarriesTheTimeItsLineSaysTheResponseWasMade() {
    String chat = line(0).replace("\"created\":" + CREATED, "\"created\":" + (CREATED + 1));
    String responses = "{\"id\":\"batch_req_r\",\"custom_id\":\"r\",\"response\":{\"status_code\":200,\"body\":{"
        + "\"id\":\"resp_1\",\"object\":\"response\",\"created_at\":" + (CREATED + 10) + ",\"completed_at\":" + (CREATED + 70)
        + ",\"status\":\"completed\",\"model\":\"gpt-4.1-mini\",\"usage\":{\"input_tokens\":5,\"output_tokens\":2,"
        + "\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens_details\":{\"reasoning_tokens\":0},"
        + "\"total_tokens\":7}}}}\n";
    String createdAtOnly = responses.replace("batch_req_r", "batch_req_s").replace(",\"completed_at\":" + (CREATED + 70), "");
    String embeddings = "{\"id\":\"batch_req_e\",\"custom_id\":\"e\",\"response\":{\"status_code\":200,\"body\":{"
        + "\"object\":\"list\",\"model\":\"text-embedding-3-small\",\"data\":[],\"usage\":{\"prompt_tokens\":8,"
        + "\"total_tokens\":8}}}}\n";
    String future = line(1).replace("\"created\":" + CREATED, "\"created\":" + (Instant.now().getEpochSecond() + 86_400));
    Instant before = Instant.now();
    download(FILE_PATH, (chat + responses + createdAtOnly + embeddings + future).getBytes(StandardCharsets.UTF_8));
    Instant after = Instant.now();

    List<LogRecordData> rows = CallProbe.rows();
    assertEquals(5, rows.size());
    assertEquals(seconds(CREATED + 1), rows.get(0).getTimestampEpochNanos(), "Chat: the body's created");
    assertEquals(seconds(CREATED + 70), rows.get(1).getTimestampEpochNanos(), "Responses: the body's completed_at");
    assertEquals(seconds(CREATED + 10), rows.get(2).getTimestampEpochNanos(), "Responses without completed_at: created_at");
    for (int i : new int[] {3, 4}) {
      long t = rows.get(i).getTimestampEpochNanos();
      assertTrue(t >= nanos(before) && t <= nanos(after),
          "line " + (i + 1) + " (no time, or a time ahead of the clock): the download's time, " + t);
    }
    for (LogRecordData row : rows) {
      assertTrue(row.getObservedTimestampEpochNanos() >= nanos(before), "observed when the line was read");
    }
  }

  @Test
  void aDownloadWithoutUsageLinesOrAFailedOneIsNoRecord() {
    String inputFile = "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\"}}\n";
    download(FILE_PATH, inputFile.getBytes(StandardCharsets.UTF_8));
    assertTrue(CallProbe.rows().isEmpty(), () -> "a batch input file is no model request: " + CallProbe.rows());

    TestTelemetry.clear();
    OpenAiCall failed = TestTelemetry.INSTRUMENTER.startCall("GET", CallProbe.HOST, 443, FILE_PATH, null,
        CallProbe.headers("Authorization", CallProbe.API_KEY), null, 0, null);
    failed.onResponse(404, CallProbe.headers("Content-Type", "application/json"));
    byte[] error = "{\"error\":{\"message\":\"No such File object\",\"type\":\"invalid_request_error\",\"code\":null}}"
        .getBytes(StandardCharsets.UTF_8);
    failed.onBytes(error, 0, error.length);
    failed.end(true);
    assertTrue(CallProbe.rows().isEmpty(), () -> "a failed file download is no model request: " + CallProbe.rows());
  }

  // ---- helpers

  /** Line {@code i} of a batch output file: a chat completion reporting {@code 1000 + i} input tokens. */
  static String line(int i) {
    return "{\"id\":\"batch_req_" + i + "\",\"custom_id\":\"request-" + i + "\",\"response\":{\"status_code\":200,"
        + "\"request_id\":\"req_" + i + "\",\"body\":{\"id\":\"chatcmpl-" + i + "\",\"object\":\"chat.completion\","
        + "\"created\":" + CREATED + ",\"model\":\"gpt-4.1-mini-2025-04-14\",\"choices\":[{\"index\":0,\"message\":"
        + "{\"role\":\"assistant\",\"content\":\"" + "The ledger balances. ".repeat(15) + "\"},\"finish_reason\":\"stop\"}],"
        + "\"usage\":{\"prompt_tokens\":" + (CallProbe.FIRST_LINE_TOKENS + i) + ",\"completion_tokens\":" + (i % 400 + 1)
        + ",\"total_tokens\":" + (CallProbe.FIRST_LINE_TOKENS + i + i % 400 + 1) + ",\"prompt_tokens_details\":"
        + "{\"cached_tokens\":0,\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0,"
        + "\"audio_tokens\":0}},\"service_tier\":\"default\",\"system_fingerprint\":\"fp_44709d6fcb\"}},\"error\":null}\n";
  }

  /** Lines {@code first} to {@code first + count - 1}. */
  static byte[] file(int first, int count) {
    StringBuilder out = new StringBuilder();
    for (int i = first; i < first + count; i++) {
      out.append(line(i));
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static int endOfLine(byte[] file, int line) {
    int seen = 0;
    for (int i = 0; i < file.length; i++) {
      if (file[i] == '\n' && ++seen == line) {
        return i + 1;
      }
    }
    throw new IllegalArgumentException("no line " + line);
  }

  private static OpenAiCall download(String path) {
    OpenAiCall call = TestTelemetry.INSTRUMENTER.startCall("GET", CallProbe.HOST, 443, path, null,
        CallProbe.headers("Authorization", CallProbe.API_KEY), null, 0, null);
    assertNotNull(call, "a file download is tracked");
    call.onResponse(200, CallProbe.batchResponseHeaders());
    return call;
  }

  private static void download(String path, byte[] file) {
    OpenAiCall call = download(path);
    for (int off = 0; off < file.length; off += 1000) {
      call.onBytes(file, off, Math.min(1000, file.length - off));
    }
    call.end(true);
  }

  private static List<String> recordIds() {
    List<String> ids = new ArrayList<>();
    for (LogRecordData row : CallProbe.rows()) {
      ids.add(row.getAttributes().get(RECORD_ID));
    }
    return ids;
  }

  private static long seconds(long epochSeconds) {
    return TimeUnit.SECONDS.toNanos(epochSeconds);
  }

  private static long nanos(Instant t) {
    return TimeUnit.SECONDS.toNanos(t.getEpochSecond()) + t.getNano();
  }

  private static String sha256Hex(String s) {
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      StringBuilder hex = new StringBuilder();
      for (byte b : digest) {
        hex.append(String.format("%02x", b));
      }
      return hex.toString();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** Heap in use after the collector has run, in bytes. */
  private static long usedHeap() {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  /** Counts the records exported and keeps none of them. */
  static final class CountingExporter implements LogRecordExporter {
    final AtomicLong records = new AtomicLong();

    @Override
    public CompletableResultCode export(Collection<LogRecordData> logs) {
      records.addAndGet(logs.size());
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
