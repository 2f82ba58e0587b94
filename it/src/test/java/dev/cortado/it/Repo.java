package dev.cortado.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The repository under test, and running commands the way a user types them. */
final class Repo {
  private Repo() {}

  /** The repository root (the build sets {@code cortado.root}). */
  static Path root() {
    String root = System.getProperty("cortado.root");
    assertThat(root).as("-Dcortado.root (set by the it module's pom)").isNotBlank();
    return Path.of(root).toAbsolutePath().normalize();
  }

  static String version() {
    String v = System.getProperty("cortado.version");
    assertThat(v).as("-Dcortado.version (set by the it module's pom)").isNotBlank();
    return v;
  }

  /** What a command printed (stdout and stderr interleaved) and how it exited. */
  record Result(String command, int exitCode, boolean timedOut, String output) {
    boolean ok() {
      return exitCode == 0 && !timedOut;
    }
  }

  /**
   * Runs {@code command} with bash in {@code dir}; a command past {@code timeoutSeconds} is killed.
   */
  static Result bash(String command, Path dir, Map<String, String> env, long timeoutSeconds)
      throws IOException, InterruptedException {
    return run(List.of("bash", "-c", command), command, dir, env, timeoutSeconds);
  }

  static Result run(
      List<String> argv, String shown, Path dir, Map<String, String> env, long timeoutSeconds)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().remove("MAVEN_BASEDIR");
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Thread drain =
        new Thread(
            () -> {
              try (InputStream in = p.getInputStream()) {
                in.transferTo(out);
              } catch (IOException e) {
                // the process went away; what was read so far is kept
              }
            });
    drain.start();
    boolean finished = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
    if (!finished) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    drain.join(10_000);
    String text;
    synchronized (out) {
      text = out.toString(StandardCharsets.UTF_8);
    }
    return new Result(shown, finished ? p.exitValue() : -1, !finished, text);
  }

  /** The last {@code maxChars} characters, for failure messages. */
  static String tail(String text, int maxChars) {
    return text.length() <= maxChars ? text : "...\n" + text.substring(text.length() - maxChars);
  }

  /** Copies a folder tree, leaving out build output ({@code target/} folders). */
  static void copyTree(Path from, Path to) throws IOException {
    Files.walkFileTree(
        from,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
              throws IOException {
            if (dir.getFileName().toString().equals("target") && !dir.equals(from)) {
              return FileVisitResult.SKIP_SUBTREE;
            }
            Files.createDirectories(to.resolve(from.relativize(dir).toString()));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.copy(
                file,
                to.resolve(from.relativize(file).toString()),
                StandardCopyOption.COPY_ATTRIBUTES);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /** Deletes a folder tree; best effort. */
  static void delete(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // a leftover temp folder is harmless
    }
  }
}
