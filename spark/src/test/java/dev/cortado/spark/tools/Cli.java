package dev.cortado.spark.tools;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Runs a spark-* command line in this JVM, as the launcher would, and keeps what it printed. */
final class Cli {
  private Cli() {}

  /** Exit status and output of one command line. */
  record Result(int exitCode, String stdout, String stderr) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Result(status, out.toString(), err.toString());
  }

  /** The shard DBs ({@code shard-00000-of-0000N}) of an output directory, in shard order. */
  static List<Path> shardDirs(Path out) throws IOException {
    try (Stream<Path> entries = Files.list(out)) {
      return entries
          .filter(p -> p.getFileName().toString().matches("shard-\\d{5}-of-\\d{5}"))
          .sorted()
          .collect(Collectors.toList());
    }
  }
}
