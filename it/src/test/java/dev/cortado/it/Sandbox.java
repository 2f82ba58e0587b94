package dev.cortado.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fresh copy of the repository (sources, examples, test vectors; no build output) in which the
 * documented commands run, with the CLI this build packaged: {@code ./cortado} there is the real
 * launcher, told not to rebuild. Absolute {@code /tmp/} paths in a command are moved under the
 * sandbox so that runs never meet each other's files.
 */
final class Sandbox {
  private static final Set<String> LEFT_OUT =
      Set.of("target", ".git", ".cortado", "gpu-bundle", "plugins", ".idea", ".cifuzz-corpus");
  private static final Pattern TMP = Pattern.compile("(?<![\\w./-])/tmp/");

  private final Path dir;

  private Sandbox(Path dir) {
    this.dir = dir;
  }

  /** Copies the repository into {@code dir} and links the packaged CLI. */
  static Sandbox create(Path dir) throws IOException {
    Path root = Repo.root();
    Path jar = root.resolve("cli/target/cortado-cli.jar");
    Path lib = root.resolve("cli/target/lib");
    assertThat(jar)
        .as("the packaged CLI (this test runs after the cli module's package phase)")
        .exists();
    assertThat(lib).isDirectory();
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs)
              throws IOException {
            if (!d.equals(root) && LEFT_OUT.contains(d.getFileName().toString())) {
              return FileVisitResult.SKIP_SUBTREE;
            }
            Files.createDirectories(dir.resolve(root.relativize(d).toString()));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
            Files.copy(
                f, dir.resolve(root.relativize(f).toString()), StandardCopyOption.COPY_ATTRIBUTES);
            return FileVisitResult.CONTINUE;
          }
        });
    Files.createDirectories(dir.resolve("cli/target"));
    Files.createSymbolicLink(dir.resolve("cli/target/cortado-cli.jar"), jar);
    Files.createSymbolicLink(dir.resolve("cli/target/lib"), lib);
    Files.createDirectories(dir.resolve("tmp"));
    return new Sandbox(dir);
  }

  Path dir() {
    return dir;
  }

  /** {@code command} as it runs here: {@code /tmp/x} becomes {@code <sandbox>/tmp/x}. */
  String localize(String command) {
    return TMP.matcher(command).replaceAll(Matcher.quoteReplacement(dir.resolve("tmp") + "/"));
  }

  /** Runs one documented command from the sandbox's root. */
  Repo.Result run(String command, long timeoutSeconds) throws IOException, InterruptedException {
    Repo.Result r =
        Repo.bash(localize(command), dir, Map.of("CORTADO_NO_BUILD", "1"), timeoutSeconds);
    return new Repo.Result(command, r.exitCode(), r.timedOut(), r.output());
  }

  /** The failure message for a command that did not succeed. */
  static String describe(String where, Repo.Result r) {
    return where
        + "\n$ "
        + r.command()
        + "\n"
        + (r.timedOut() ? "timed out" : "exit " + r.exitCode())
        + ", output:\n"
        + Repo.tail(r.output(), 4000);
  }
}
