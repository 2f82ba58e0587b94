package dev.cortado.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README runs: every shell block of the root README's "Using it" section and of each module's
 * README (a README.md beside a pom.xml) is run, command by command, in a fresh copy of the
 * repository with the packaged CLI; a command that exits non-zero fails the test with the block,
 * the command and its output. The READMEs are read when the test runs, so whatever they say is what
 * is tested.
 *
 * <p>A shell block is a fenced block without a language (or {@code sh}, {@code bash}, {@code
 * shell}) whose first line is a command; blocks of program output are left alone. A block is
 * excluded by an HTML comment on the line before its fence that says why: {@code <!-- readme-test:
 * skip (needs a GPU) -->}.
 */
class ReadmeRunsTest {
  /** How the first command of a shell block starts; a block that starts otherwise is output. */
  static final Pattern COMMAND =
      Pattern.compile(
          "^(\\./|/|mvn |java |mkdir |cp |mv |rm |cd |ls |cat |echo |export |source |head |tail |"
              + "ln |touch |grep |sed |awk |jq |tar |unzip |gzip |gunzip |python3? |bash |sh |"
              + "curl |wget |apt(-get)? |sudo |[A-Z_][A-Z0-9_]*=)");

  static final Pattern MARKER = Pattern.compile("<!--\\s*readme-test:(.*?)-->");
  static final Pattern SKIP = Pattern.compile("\\s*skip\\s*\\((.*\\S.*)\\)\\s*");
  private static final long COMMAND_TIMEOUT_S = 300;

  @TempDir static Path sandboxes;

  /** A fenced block: where it starts, its lines, and its skip reason (null when it runs). */
  record Block(Path file, int line, String info, List<String> lines, String skipReason) {
    String where() {
      return Repo.root().relativize(file) + ":" + line;
    }
  }

  @TestFactory
  Stream<DynamicNode> everyDocumentedCommandRuns() throws IOException {
    Path root = Repo.root();
    List<DynamicNode> nodes = new ArrayList<>();
    for (Path readme : readmes(root)) {
      List<Block> blocks = blocks(readme);
      if (readme.equals(root.resolve("README.md"))) {
        blocks = section(blocks, readme, "Using it");
      }
      List<Block> shell = blocks.stream().filter(ReadmeRunsTest::isShell).toList();
      if (shell.isEmpty()) {
        continue;
      }
      Path sandboxDir = sandboxes.resolve(root.relativize(readme).toString().replace('/', '_'));
      Sandbox[] sandbox = new Sandbox[1];
      List<DynamicTest> tests = new ArrayList<>();
      for (Block b : shell) {
        tests.add(
            DynamicTest.dynamicTest(
                b.where(),
                () -> {
                  Assumptions.assumeTrue(b.skipReason() == null, "skipped: " + b.skipReason());
                  if (sandbox[0] == null) {
                    sandbox[0] = Sandbox.create(sandboxDir);
                  }
                  runBlock(b, sandbox[0]);
                }));
      }
      nodes.add(DynamicContainer.dynamicContainer(root.relativize(readme).toString(), tests));
    }
    assertThat(nodes).as("READMEs with shell blocks").isNotEmpty();
    return nodes.stream();
  }

  /** A malformed marker would silently run (or skip) a block: each one must parse and say why. */
  @Test
  void everySkipMarkerSaysWhy() throws IOException {
    List<String> bad = new ArrayList<>();
    for (Path readme : readmes(Repo.root())) {
      List<String> lines = Files.readAllLines(readme);
      for (int i = 0; i < lines.size(); i++) {
        Matcher m = MARKER.matcher(lines.get(i));
        while (m.find()) {
          if (!SKIP.matcher(m.group(1)).matches()) {
            bad.add(readme + ":" + (i + 1) + ": " + m.group());
          }
        }
      }
    }
    assertThat(bad)
        .as("markers must read <!-- readme-test: skip (why) --> right before a fenced block")
        .isEmpty();
  }

  static void runBlock(Block b, Sandbox sandbox) throws IOException, InterruptedException {
    List<String> commands = commands(b);
    if (commands.isEmpty()) {
      return;
    }
    for (String command : commands) {
      Repo.Result r = sandbox.run(command, COMMAND_TIMEOUT_S);
      if (!r.ok()) {
        fail(
            "a README command failed (mark the block with <!-- readme-test: skip (why) --> if it"
                + " cannot run in a test)\n"
                + Sandbox.describe(
                    "block at " + b.where() + ":\n" + String.join("\n", b.lines()), r));
      }
    }
  }

  /**
   * The commands of a shell block, continuation lines joined; comments and blank lines dropped. A
   * block with a here-document runs as one script.
   */
  static List<String> commands(Block b) {
    if (b.lines().stream().anyMatch(l -> l.contains("<<"))) {
      return List.of("set -e\n" + String.join("\n", b.lines()));
    }
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : b.lines()) {
      String l = line.strip();
      if (current.isEmpty() && (l.isEmpty() || l.startsWith("#"))) {
        continue;
      }
      if (l.endsWith("\\")) {
        current.append(l.substring(0, l.length() - 1).strip()).append(' ');
        continue;
      }
      current.append(l);
      out.add(current.toString());
      current.setLength(0);
    }
    if (!current.isEmpty()) {
      out.add(current.toString().strip());
    }
    return out;
  }

  /**
   * Whether a block is one of commands (to run) rather than program output: a fenced block without
   * a language (or sh, bash, shell) whose first command starts like a command. Every line of such a
   * block runs, so an output line inside it fails as a command.
   */
  static boolean isShell(Block b) {
    if (!(b.info().isEmpty() || List.of("sh", "bash", "shell").contains(b.info()))) {
      return false;
    }
    List<String> logical = commands(new Block(b.file(), b.line(), b.info(), b.lines(), null));
    if (logical.isEmpty()) {
      return false;
    }
    String first = logical.get(0).startsWith("set -e\n") ? firstCommand(b) : logical.get(0);
    return COMMAND.matcher(first).find();
  }

  private static String firstCommand(Block b) {
    return b.lines().stream()
        .map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .findFirst()
        .orElse("");
  }

  /** The blocks under the heading {@code title} (up to the next heading of its level or above). */
  static List<Block> section(List<Block> blocks, Path readme, String title) throws IOException {
    List<String> lines = Files.readAllLines(readme);
    int start = -1;
    int level = 0;
    int end = lines.size();
    boolean inFence = false;
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i);
      if (l.startsWith("```")) {
        inFence = !inFence;
      }
      if (inFence || !l.startsWith("#")) {
        continue;
      }
      int h = l.indexOf(' ');
      if (h <= 0 || !l.substring(0, h).chars().allMatch(c -> c == '#')) {
        continue;
      }
      if (start < 0 && l.substring(h).strip().equalsIgnoreCase(title)) {
        start = i + 1;
        level = h;
      } else if (start >= 0 && h <= level) {
        end = i + 1;
        break;
      }
    }
    assertThat(start).as(readme + " has a section '" + title + "'").isPositive();
    int from = start;
    int to = end;
    return blocks.stream().filter(b -> b.line() > from && b.line() < to).toList();
  }

  /** Every fenced block of a Markdown file, with the skip marker on the line before it. */
  static List<Block> blocks(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file);
    List<Block> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i);
      if (!l.startsWith("```")) {
        continue;
      }
      String info = l.substring(3).strip();
      String reason = null;
      int p = i - 1;
      while (p >= 0 && lines.get(p).isBlank()) {
        p--;
      }
      if (p >= 0) {
        Matcher m = MARKER.matcher(lines.get(p));
        if (m.find()) {
          Matcher s = SKIP.matcher(m.group(1));
          reason = s.matches() ? s.group(1).strip() : null;
        }
      }
      int close = i + 1;
      while (close < lines.size() && !lines.get(close).startsWith("```")) {
        close++;
      }
      out.add(new Block(file, i + 1, info, List.copyOf(lines.subList(i + 1, close)), reason));
      i = close;
    }
    return out;
  }

  /** The root README and every module's README (a README.md beside a pom.xml), sorted. */
  static List<Path> readmes(Path root) throws IOException {
    List<Path> out = new ArrayList<>();
    out.add(root.resolve("README.md"));
    try (Stream<Path> poms = Files.walk(root)) {
      poms.filter(p -> p.getFileName().toString().equals("pom.xml"))
          .filter(p -> !root.relativize(p).toString().contains("target/"))
          .map(p -> p.resolveSibling("README.md"))
          .filter(Files::isRegularFile)
          .filter(p -> !p.equals(root.resolve("README.md")))
          .sorted()
          .forEach(out::add);
    }
    return out;
  }
}
