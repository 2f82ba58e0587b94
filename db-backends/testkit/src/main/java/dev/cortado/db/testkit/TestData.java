package dev.cortado.db.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the shared test vectors ({@code testdata/} with {@code fmnist-mini/}, {@code bad-inputs/}
 * and so on): the system property {@code cortado.testdata} when set, else a {@code testdata}
 * folder in the working directory or one of its parents.
 */
public final class TestData {
  /** The system property that points at the test vectors. */
  public static final String PROPERTY = "cortado.testdata";

  private TestData() {}

  /** The test-vector folder; a missing one is an {@link IllegalStateException} saying how to set it. */
  public static Path root() {
    String configured = System.getProperty(PROPERTY);
    if (configured != null && !configured.isBlank()) {
      Path root = Path.of(configured).toAbsolutePath().normalize();
      if (!Files.isDirectory(root)) {
        throw new IllegalStateException(
            "-D" + PROPERTY + "=" + configured + " is not a folder; it must point at the shared"
                + " test vectors (the folder holding fmnist-mini/ and bad-inputs/)");
      }
      return root;
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("testdata");
      if (Files.isDirectory(candidate.resolve("bad-inputs"))) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "cannot find the shared test vectors: set -D" + PROPERTY + "=<folder holding"
            + " fmnist-mini/ and bad-inputs/> (in Maven: surefire systemPropertyVariables)");
  }
}
