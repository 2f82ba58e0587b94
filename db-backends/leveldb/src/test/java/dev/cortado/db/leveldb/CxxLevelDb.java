package dev.cortado.db.leveldb;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cortado.db.testkit.FixtureFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reads a DB with the real C++ LevelDB, through plyvel (Debian: {@code apt-get install
 * python3-plyvel}), to prove what Cortado writes is LevelDB's format. Tests using it are skipped
 * where plyvel is not installed.
 */
final class CxxLevelDb {
  private static final String PYTHON = "/usr/bin/python3";
  private static final String SCAN =
      "import plyvel,sys\n"
          + "db=plyvel.DB(sys.argv[1], create_if_missing=False)\n"
          + "for k,v in db: print(k.hex()+'='+v.hex())\n"
          + "db.close()\n";

  private CxxLevelDb() {}

  static boolean available() {
    try {
      return Files.isExecutable(Path.of(PYTHON)) && run(PYTHON, "-c", "import plyvel").exit == 0;
    } catch (IOException e) {
      return false;
    }
  }

  /** Every record as "keyhex=valuehex", read by C++ LevelDB from a copy of {@code dir}. */
  static List<String> scan(Path dir, Path scratch) throws IOException {
    assumeTrue(available(), "C++ LevelDB (python3-plyvel) is not installed");
    Path copy = FixtureFiles.copy(dir, scratch.resolve("cxx-copy-" + System.nanoTime()));
    Result r = run(PYTHON, "-c", SCAN, copy.toString());
    if (r.exit != 0) {
      throw new AssertionError("C++ LevelDB could not read " + dir + ":\n" + r.output);
    }
    return r.output.lines().toList();
  }

  private record Result(int exit, String output) {}

  private static Result run(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    // Read before waiting, so a full pipe cannot block the child.
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("timed out: " + String.join(" ", command));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return new Result(p.exitValue(), output);
  }
}
