package dev.cortado.db.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestDataTest {
  @Test
  void theBuildPutsEveryTestVectorOnTheClasspath() throws IOException {
    URL marker =
        TestData.class.getClassLoader().getResource("cortado-testdata/bad-inputs/manifest.json");
    assertThat(marker).as("cortado-testdata/ in the testkit's resources").isNotNull();
    Path onClasspath = TestData.locate(marker);
    assertThat(FixtureFiles.snapshot(onClasspath))
        .isEqualTo(FixtureFiles.snapshot(repositoryCopy()));
  }

  @Test
  void aJarCopyIsExtractedByteForByte(@TempDir Path tmp) throws IOException {
    Path source = repositoryCopy();
    Path jar = tmp.resolve("testkit.jar");
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream zip = new JarOutputStream(out);
        Stream<Path> files = Files.walk(source)) {
      for (Path f : (Iterable<Path>) files.sorted()::iterator) {
        String name =
            TestData.RESOURCE_ROOT + "/" + source.relativize(f).toString().replace('\\', '/');
        if (Files.isDirectory(f)) {
          zip.putNextEntry(new JarEntry(name.endsWith("/") ? name : name + "/"));
        } else {
          zip.putNextEntry(new JarEntry(name));
          Files.copy(f, zip);
        }
        zip.closeEntry();
      }
    }
    URL marker =
        new URL("jar:" + jar.toUri() + "!/" + TestData.RESOURCE_ROOT + "/bad-inputs/manifest.json");

    Path extracted = TestData.locate(marker);

    assertThat(extracted).isNotEqualTo(source);
    assertThat(FixtureFiles.snapshot(extracted)).isEqualTo(FixtureFiles.snapshot(source));
    assertThat(FixtureFiles.snapshot(extracted))
        .containsKeys("fmnist-mini/expectations.json", "bad-inputs/manifest.json");
  }

  /** The repository's own folder, as the build's system property names it. */
  private static Path repositoryCopy() {
    String property = System.getProperty(TestData.PROPERTY);
    assertThat(property).as("-D" + TestData.PROPERTY + " (set by the root pom)").isNotBlank();
    return Path.of(property);
  }
}
