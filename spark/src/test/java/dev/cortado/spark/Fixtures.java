package dev.cortado.spark;

import dev.cortado.db.testkit.FixtureFiles;
import dev.cortado.db.testkit.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writable copies of the shared test vectors (LevelDB and RocksDB write into their folders). */
final class Fixtures {
  private Fixtures() {}

  static final String[] BACKENDS = {"lmdb", "leveldb", "rocksdb", "minidb"};

  /** The path of {@code backend}'s DB of {@code dataset}, copied under {@code into}. */
  static Path db(String dataset, String backend, Path into) throws IOException {
    Path root = TestData.root().resolve(dataset);
    if (backend.equals("minidb")) {
      Path file = root.resolve(root.getFileName() + ".minidb");
      Path to = into.resolve(dataset + "-" + backend + ".minidb");
      Files.createDirectories(into);
      Files.copy(file, to);
      return to;
    }
    return FixtureFiles.copy(root.resolve(backend), into.resolve(dataset + "-" + backend));
  }

  /** A bad-inputs case's DB of {@code backend}, copied. */
  static Path badInput(String name, String backend, Path into) throws IOException {
    Path root = TestData.root().resolve("bad-inputs").resolve(name);
    if (backend.equals("minidb")) {
      Path to = into.resolve(name + ".minidb");
      Files.createDirectories(into);
      Files.copy(root.resolve(name + ".minidb"), to);
      return to;
    }
    return FixtureFiles.copy(root.resolve(backend), into.resolve(name + "-" + backend));
  }
}
