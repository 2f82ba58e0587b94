package dev.cortado.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

/** Runs the CLI in-process with captured streams. */
final class Cli {
  private Cli() {}

  /** What one command line printed and returned. */
  record Result(int exit, String out, String err) {
    /** The stdout lines. */
    java.util.List<String> lines() {
      return out.isEmpty() ? java.util.List.of() : java.util.List.of(out.split("\n"));
    }
  }

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit;
    try (PrintWriter o = new PrintWriter(out);
        PrintWriter e = new PrintWriter(err)) {
      exit = Main.run(o, e, args);
    }
    return new Result(exit, out.toString(), err.toString());
  }

  /** The shared test vectors (system property cortado.testdata, set by surefire). */
  static Path testdata() {
    String dir = System.getProperty("cortado.testdata");
    if (dir == null) {
      throw new IllegalStateException("system property cortado.testdata is not set");
    }
    return Path.of(dir);
  }

  /** The Fashion-MNIST slice shipped in the repository. */
  static Path slice() {
    return Path.of(System.getProperty("user.dir"))
        .resolve("../examples/fashion-mnist-slice")
        .normalize();
  }
}
