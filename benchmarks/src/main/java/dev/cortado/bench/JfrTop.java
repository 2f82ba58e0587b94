package dev.cortado.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarizes the CPU samples of a JFR recording (from {@code -prof jfr}): the share of samples per
 * thread, per top frame (self) and per method anywhere on the stack (inclusive). This is where
 * PERFORMANCE.md's "where the time goes" comes from.
 *
 * <p>{@code java -cp benchmarks/target/benchmarks.jar dev.cortado.bench.JfrTop profile.jfr [rows]}
 */
public final class JfrTop {
  private JfrTop() {}

  public static void main(String[] args) throws IOException {
    if (args.length == 0) {
      System.err.println("usage: JfrTop profile.jfr [rows]");
      System.exit(2);
    }
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 25;
    Map<String, Integer> threads = new HashMap<>();
    Map<String, Integer> self = new HashMap<>();
    Map<String, Integer> inclusive = new HashMap<>();
    int samples = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(Path.of(args[0]))) {
      if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
        continue;
      }
      samples++;
      threads.merge(
          e.getThread("sampledThread") == null ? "?" : e.getThread("sampledThread").getJavaName(),
          1,
          Integer::sum);
      RecordedStackTrace stack = e.getStackTrace();
      if (stack == null || stack.getFrames().isEmpty()) {
        continue;
      }
      List<RecordedFrame> frames = stack.getFrames();
      self.merge(name(frames.get(0)), 1, Integer::sum);
      Set<String> seen = new HashSet<>();
      for (RecordedFrame f : frames) {
        String n = name(f);
        if (seen.add(n)) {
          inclusive.merge(n, 1, Integer::sum);
        }
      }
    }
    System.out.println(samples + " samples");
    print("threads", threads, samples, rows);
    print("self", self, samples, rows);
    print("inclusive", inclusive, samples, rows);
  }

  private static String name(RecordedFrame f) {
    String type = f.getMethod().getType().getName();
    return type.substring(type.lastIndexOf('.') + 1) + "." + f.getMethod().getName();
  }

  private static void print(String title, Map<String, Integer> counts, int total, int rows) {
    System.out.println("-- " + title);
    counts.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .limit(rows)
        .forEach(
            e ->
                System.out.println(
                    String.format(
                        Locale.ROOT, "%5.1f%%  %s", 100.0 * e.getValue() / total, e.getKey())));
  }
}
