package dev.tokenledger.fuzz;

import dev.tokenledger.realtime.RealtimeReaderFuzzTarget;
import dev.tokenledger.usage.JsonStreamScannerFuzzTarget;
import dev.tokenledger.usage.SseReaderFuzzTarget;
import dev.tokenledger.usage.UsageParserFuzzTarget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The fuzz targets, by the names {@code fuzz.sh} takes. Each is a class with
 * {@code public static void fuzzerTestOneInput(byte[])} (the entry point the fuzzer drives) and
 * seeds made from real payloads.
 *
 * <p>{@code main list} prints {@code name class} per target; {@code main seeds DIR [name…]} writes
 * each target's seeds under {@code DIR/<name>/}; {@code main run NAME FILE…} runs one target on
 * the given inputs (a finding's file) and prints what broke.
 */
public final class FuzzTargets {

  public record Target(String name, Class<?> type, Consumer<byte[]> run, Supplier<List<byte[]>> seeds) {}

  public static final List<Target> ALL = List.of(
      new Target("json-scanner", JsonStreamScannerFuzzTarget.class,
          JsonStreamScannerFuzzTarget::fuzzerTestOneInput, JsonStreamScannerFuzzTarget::seeds),
      new Target("sse-reader", SseReaderFuzzTarget.class,
          SseReaderFuzzTarget::fuzzerTestOneInput, SseReaderFuzzTarget::seeds),
      new Target("usage-parser", UsageParserFuzzTarget.class,
          UsageParserFuzzTarget::fuzzerTestOneInput, UsageParserFuzzTarget::seeds),
      new Target("realtime-reader", RealtimeReaderFuzzTarget.class,
          RealtimeReaderFuzzTarget::fuzzerTestOneInput, RealtimeReaderFuzzTarget::seeds));

  private FuzzTargets() {}

  public static Target named(String name) {
    for (Target t : ALL) {
      if (t.name().equals(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException("no fuzz target " + name + "; targets: " + names());
  }

  static List<String> names() {
    List<String> names = new ArrayList<>();
    for (Target t : ALL) {
      names.add(t.name());
    }
    return names;
  }

  public static void main(String[] args) throws IOException {
    if (args.length >= 1 && args[0].equals("list")) {
      for (Target t : ALL) {
        System.out.println(t.name() + " " + t.type().getName());
      }
      return;
    }
    if (args.length >= 2 && args[0].equals("seeds")) {
      Path dir = Path.of(args[1]);
      List<String> names = args.length > 2 ? Arrays.asList(args).subList(2, args.length) : names();
      for (String name : names) {
        Path out = dir.resolve(name);
        Files.createDirectories(out);
        int i = 0;
        for (byte[] seed : named(name).seeds().get()) {
          Files.write(out.resolve(String.format("seed-%03d", i++)), seed);
        }
      }
      return;
    }
    if (args.length >= 3 && args[0].equals("run")) {
      Target target = named(args[1]);
      int failed = 0;
      for (String file : Arrays.asList(args).subList(2, args.length)) {
        try {
          target.run().accept(Files.readAllBytes(Path.of(file)));
          System.out.println(file + ": holds");
        } catch (RuntimeException | AssertionError e) {
          failed++;
          System.out.println(file + ":");
          e.printStackTrace(System.out);
        }
      }
      System.exit(failed == 0 ? 0 : 1);
    }
    System.err.println("usage: FuzzTargets list | seeds DIR [name...] | run NAME FILE...");
    System.exit(2);
  }
}
