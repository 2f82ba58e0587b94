package dev.cortado.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Starts a class of the test classpath in a child JVM (java from java.home), output to a file. */
final class ChildJvm {
  private ChildJvm() {}

  /**
   * The children's {@code java.io.tmpdir}. RocksDB and LMDB unpack their native libraries there and
   * delete them when the JVM exits; a child killed with SIGKILL cannot, so the folder is this JVM's
   * to delete when it exits (otherwise every run left some 90 MB of libraries in /tmp).
   */
  private static final Path CHILD_TMP = childTmp();

  private static Path childTmp() {
    try {
      Path dir = Files.createTempDirectory("cortado-child-jvms");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary folder for child JVMs", e);
    }
  }

  private static void deleteQuietly(Path dir) {
    try {
      Dbs.deleteTree(dir);
    } catch (UncheckedIOException e) {
      // Leaving files in the system's temporary folder is all that can go wrong here.
    }
  }

  static List<String> command(List<String> jvmOptions, String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String flags = System.getProperty("cortado.jvmFlags", "").trim();
    if (!flags.isEmpty()) {
      cmd.addAll(Arrays.asList(flags.split("\\s+")));
    }
    cmd.add("-Djava.io.tmpdir=" + CHILD_TMP);
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    // Surefire's manifest-only booter jar also works as a classpath: its manifest lists the rest.
    cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    cmd.add(mainClass);
    cmd.addAll(args);
    return cmd;
  }

  /** Starts {@code dev.cortado.cli.Main args...}; stdout and stderr go to {@code log}. */
  static Process cortado(Path log, List<String> jvmOptions, String... args) throws IOException {
    return new ProcessBuilder(command(jvmOptions, "dev.cortado.cli.Main", List.of(args)))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }
}
