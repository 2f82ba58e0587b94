package dev.cortado.db.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Finds the test vectors ({@code testdata/} with {@code fmnist-mini/}, {@code bad-inputs/} and so
 * on), in this order: the system property {@code cortado.testdata} when set; else a {@code
 * testdata} folder in the working directory or one of its parents (a clone of Cortado); else the
 * copy that this artifact carries as resources under {@value #RESOURCE_ROOT}, extracted once per
 * JVM to a temporary folder that is deleted at exit. An outside plugin therefore needs no setting.
 */
public final class TestData {
  /** The system property that points at the test vectors. */
  public static final String PROPERTY = "cortado.testdata";

  /** Where the test vectors sit on the classpath (in the testkit jar). */
  public static final String RESOURCE_ROOT = "cortado-testdata";

  /** A file every copy of the test vectors has; it locates the resource folder. */
  private static final String MARKER = "bad-inputs/manifest.json";

  private static Path extracted;

  private TestData() {}

  /** The test-vector folder; an {@link IllegalStateException} when there is none. */
  public static Path root() {
    String configured = System.getProperty(PROPERTY);
    if (configured != null && !configured.isBlank()) {
      Path root = Path.of(configured).toAbsolutePath().normalize();
      if (!Files.isDirectory(root)) {
        throw new IllegalStateException(
            "-D"
                + PROPERTY
                + "="
                + configured
                + " is not a folder; it must point at the"
                + " test vectors (the folder holding fmnist-mini/ and bad-inputs/), or be unset to"
                + " use the copy in the cortado-db-testkit jar");
      }
      return root;
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("testdata");
      if (Files.isDirectory(candidate.resolve("bad-inputs"))) {
        return candidate;
      }
    }
    return fromClasspath();
  }

  /** The classpath copy: the folder itself when it is one, else a once-per-JVM extraction. */
  private static synchronized Path fromClasspath() {
    if (extracted != null && Files.isDirectory(extracted)) {
      return extracted;
    }
    URL marker = TestData.class.getClassLoader().getResource(RESOURCE_ROOT + "/" + MARKER);
    if (marker == null) {
      throw new IllegalStateException(
          "cannot find the test vectors: -D"
              + PROPERTY
              + " is unset, no testdata/ folder with"
              + " bad-inputs/ is in "
              + Path.of("").toAbsolutePath()
              + " or above, and the"
              + " classpath has no "
              + RESOURCE_ROOT
              + "/"
              + MARKER
              + " (is cortado-db-testkit's"
              + " jar on the test classpath?)");
    }
    extracted = locate(marker);
    return extracted;
  }

  /** The folder of the test vectors whose marker file is at {@code marker}; extracts a jar's. */
  static Path locate(URL marker) {
    try {
      URI uri = marker.toURI();
      if (uri.getScheme().equals("file")) {
        // Running against target/classes (inside Cortado's own build): use it in place.
        return Path.of(uri).getParent().getParent();
      }
      return extract(uri);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract the test vectors from " + marker, e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot read the test vectors at " + marker, e);
    }
  }

  private static Path extract(URI markerInJar) throws IOException {
    Path target = Files.createTempDirectory("cortado-testdata-");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(target)));
    FileSystem jar;
    boolean opened = false;
    try {
      jar = FileSystems.getFileSystem(markerInJar);
    } catch (FileSystemNotFoundException e) {
      jar = FileSystems.newFileSystem(markerInJar, Map.of());
      opened = true;
    }
    try {
      Path source = Path.of(markerInJar).getParent().getParent();
      Files.walkFileTree(
          source,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
                throws IOException {
              Files.createDirectories(target.resolve(source.relativize(dir).toString()));
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.copy(file, target.resolve(source.relativize(file).toString()));
              return FileVisitResult.CONTINUE;
            }
          });
    } finally {
      if (opened) {
        jar.close();
      }
    }
    return target;
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // Best effort at exit: a leftover temp folder is harmless.
    }
  }
}
