package dev.cortado.db.minidb;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the minidb reader against {@link FramingOracle}. A plain {@code
 * verify} replays the seeds in src/test/resources/dev/cortado/db/minidb/MiniDbFuzzTestInputs; the
 * {@code fuzz} profile ({@code ./mvnw -B verify -pl db-backends/minidb -Pfuzz}) mutates for real.
 */
class MiniDbFuzzTest {
  private static final FramingOracle ORACLE = new FramingOracle(tempFile());

  private static Path tempFile() {
    try {
      Path file = Files.createTempFile("minidb-fuzz", ".minidb");
      file.toFile().deleteOnExit();
      return file;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @FuzzTest(maxDuration = "10m")
  void readerAgreesWithReference(byte[] input) {
    ORACLE.check(input, MiniDb.DEFAULT_WINDOW_BYTES);
    ORACLE.check(input, 16);
  }
}
