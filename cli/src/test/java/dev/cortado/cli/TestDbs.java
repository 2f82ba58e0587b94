package dev.cortado.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The backends the CLI ships with, and copies of the shared DBs to read them safely. */
final class TestDbs {
  /** Every backend the cli module depends on; the tests run each of them. */
  static final List<String> BACKENDS = List.of("lmdb", "leveldb", "rocksdb", "minidb");

  private TestDbs() {}

  /** The backends of {@link #BACKENDS} that are on the test classpath. */
  static List<String> available() {
    List<String> out = new ArrayList<>();
    for (String b : BACKENDS) {
      if (Dbs.registry().find(b).isPresent()) {
        out.add(b);
      }
    }
    return out;
  }

  /**
   * A copy of a shared DB (a file or a directory) in {@code tmp}: LevelDB and RocksDB write into a
   * directory when they open it, and the shared fixtures must never change.
   */
  static Path copy(Path source, Path tmp) {
    Path target = tmp.resolve("copy-" + System.nanoTime() + "-" + source.getFileName());
    try (Stream<Path> walk = Files.walk(source)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        Path t = target.resolve(source.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return target;
  }
}
