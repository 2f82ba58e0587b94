package dev.cortado.cli;

import dev.cortado.db.DbProvider;
import dev.cortado.operator.OperatorProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.TreeSet;

/** What {@code cortado --version} prints. */
final class VersionInfo {
  private VersionInfo() {}

  static List<String> lines() {
    List<String> lines = new ArrayList<>();
    String v = Main.class.getPackage().getImplementationVersion();
    lines.add("cortado " + (v == null ? "(development build)" : v));
    lines.add("git commit: " + gitCommit());
    lines.add(
        "java: "
            + System.getProperty("java.version")
            + " ("
            + System.getProperty("java.vm.name")
            + ", "
            + System.getProperty("java.home")
            + ")");
    TreeSet<String> backends = new TreeSet<>();
    try {
      for (String name : Dbs.registry().names()) {
        DbProvider p = Dbs.registry().provider(name);
        backends.add(name + " (" + where(p.getClass()) + ")");
      }
    } catch (RuntimeException e) {
      backends.add("cannot list them: " + Errors.oneLine(e));
    }
    lines.add("db backends: " + String.join(", ", backends));
    TreeSet<String> providers = new TreeSet<>();
    try {
      for (OperatorProvider p : ServiceLoader.load(OperatorProvider.class)) {
        providers.add(
            p.getClass().getName()
                + " ("
                + where(p.getClass())
                + ", "
                + p.operators().size()
                + " operators)");
      }
    } catch (java.util.ServiceConfigurationError | RuntimeException e) {
      providers.add("cannot list them: " + Errors.oneLine(e));
    }
    lines.add("operator providers: " + String.join(", ", providers));
    return lines;
  }

  /** The jar (file name) or folder a class was loaded from. */
  private static String where(Class<?> c) {
    CodeSource src = c.getProtectionDomain().getCodeSource();
    if (src == null || src.getLocation() == null) {
      return "built in";
    }
    String loc = src.getLocation().getPath();
    int slash = loc.endsWith("/") ? loc.lastIndexOf('/', loc.length() - 2) : loc.lastIndexOf('/');
    return loc.substring(slash + 1);
  }

  /** The commit checked out where the CLI runs from (cortado.home), read from .git directly. */
  static String gitCommit() {
    String home = System.getProperty("cortado.home");
    if (home == null) {
      return "unknown (not started by the cortado launcher)";
    }
    try {
      Path git = Path.of(home, ".git");
      Path gitDir = git;
      if (Files.isRegularFile(git)) {
        // A worktree: ".git" is a file "gitdir: <path>".
        String line = Files.readString(git, StandardCharsets.UTF_8).trim();
        gitDir = git.getParent().resolve(line.substring("gitdir:".length()).trim());
      }
      if (!Files.isDirectory(gitDir)) {
        return "unknown (" + home + " is not a git checkout)";
      }
      Path common = gitDir;
      Path commonFile = gitDir.resolve("commondir");
      if (Files.isRegularFile(commonFile)) {
        common =
            gitDir.resolve(Files.readString(commonFile, StandardCharsets.UTF_8).trim()).normalize();
      }
      String head = Files.readString(gitDir.resolve("HEAD"), StandardCharsets.UTF_8).trim();
      if (!head.startsWith("ref:")) {
        return head;
      }
      String ref = head.substring(4).trim();
      for (Path dir : List.of(gitDir, common)) {
        Path loose = dir.resolve(ref);
        if (Files.isRegularFile(loose)) {
          return Files.readString(loose, StandardCharsets.UTF_8).trim()
              + " ("
              + shortRef(ref)
              + ")";
        }
      }
      Path packed = common.resolve("packed-refs");
      if (Files.isRegularFile(packed)) {
        for (String line : Files.readAllLines(packed, StandardCharsets.UTF_8)) {
          if (line.endsWith(" " + ref)) {
            return line.substring(0, line.indexOf(' ')) + " (" + shortRef(ref) + ")";
          }
        }
      }
      return "unknown (" + ref + " has no commit yet)";
    } catch (IOException | RuntimeException e) {
      return "unknown (" + Errors.oneLine(e) + ")";
    }
  }

  private static String shortRef(String ref) {
    return ref.startsWith("refs/heads/") ? ref.substring("refs/heads/".length()) : ref;
  }
}
