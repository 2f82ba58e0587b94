package dev.cortado.reliability;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Starts a class of the test classpath in a child JVM (java from java.home), output to a file. */
final class ChildJvm {
  private ChildJvm() {}

  static List<String> command(List<String> jvmOptions, String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String flags = System.getProperty("cortado.jvmFlags", "").trim();
    if (!flags.isEmpty()) {
      cmd.addAll(Arrays.asList(flags.split("\\s+")));
    }
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
