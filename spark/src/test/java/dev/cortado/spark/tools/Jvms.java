package dev.cortado.spark.tools;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Starts a test class's main in a JVM of its own, with this JVM's classpath and module flags. */
final class Jvms {
  private static final AtomicInteger COUNT = new AtomicInteger();

  private Jvms() {}

  /** A started JVM and where its output goes. */
  record Started(Process process, String what, Path stdout, Path stderr) {}

  /** The output of a finished JVM. */
  record Result(String what, int exitCode, String stdout, String stderr) {}

  static Started start(Path logDir, Class<?> main, String... args) throws IOException {
    return start(logDir, List.of("-Xmx256m"), main, args);
  }

  /**
   * As {@link #start(Path, Class, String...)}, with {@code jvmArgs} (a heap size among them; Spark
   * needs 1g).
   */
  static Started start(Path logDir, List<String> jvmArgs, Class<?> main, String... args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("--add-exports")) {
        command.add(a);
      }
    }
    int n = COUNT.incrementAndGet();
    // Its own temporary folder, inside the test's: what the JVM unpacks there (RocksDB's and
    // LMDB's native libraries, Spark's staging) goes with the test's files, even if it is killed.
    Path tmp = Files.createDirectories(logDir.resolve("jvm-" + n + ".tmp"));
    command.add("-Djava.io.tmpdir=" + tmp);
    command.addAll(jvmArgs);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(main.getName());
    command.addAll(List.of(args));
    Path out = logDir.resolve("jvm-" + n + ".out");
    Path err = logDir.resolve("jvm-" + n + ".err");
    Process p =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    return new Started(p, main.getSimpleName() + " " + String.join(" ", args), out, err);
  }

  /** Waits for the JVM (at most {@code seconds}) and reads what it wrote. */
  static Result finish(Started s, int seconds) throws IOException, InterruptedException {
    if (!s.process().waitFor(seconds, TimeUnit.SECONDS)) {
      s.process().destroyForcibly().waitFor();
      throw new AssertionError(s.what() + " did not finish within " + seconds + " s");
    }
    return new Result(
        s.what(),
        s.process().exitValue(),
        Files.readString(s.stdout(), StandardCharsets.UTF_8),
        Files.readString(s.stderr(), StandardCharsets.UTF_8));
  }
}
