package dev.cortado.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example nets and plans in {@code examples/} run from the repository root as their header
 * comments say: every {@code ./cortado} command in a file's leading comment block runs in a fresh
 * copy of the repository and must exit 0, and every example file is run by some file's command.
 */
class ExampleFilesRunTest {
  @TempDir static Path sandboxes;

  @TestFactory
  Stream<DynamicTest> everyCommandInAnExampleHeaderRuns() throws IOException {
    Map<Path, List<String>> commands = commandsByFile();
    assertThat(commands).as("example nets and plans in examples/").isNotEmpty();
    List<DynamicTest> tests = new ArrayList<>();
    commands.forEach(
        (file, list) -> {
          for (int i = 0; i < list.size(); i++) {
            String command = list.get(i);
            String name = Repo.root().relativize(file) + " #" + (i + 1);
            tests.add(
                DynamicTest.dynamicTest(
                    name,
                    () -> {
                      Sandbox sandbox =
                          Sandbox.create(sandboxes.resolve(name.replaceAll("\\W", "_")));
                      Repo.Result r = sandbox.run(command, 300);
                      assertThat(r.ok()).as(Sandbox.describe("the header of " + name, r)).isTrue();
                      if (command.contains("--digest")) {
                        assertThat(r.output())
                            .as(Sandbox.describe(name + " prints digests", r))
                            .contains("\"sha256\"");
                      }
                    }));
          }
        });
    return tests.stream();
  }

  @Test
  void everyExampleFileIsRunBySomeHeaderCommand() throws IOException {
    Map<Path, List<String>> commands = commandsByFile();
    String all = String.join("\n", commands.values().stream().flatMap(List::stream).toList());
    for (Path file : commands.keySet()) {
      assertThat(all)
          .as(
              file
                  + ": no header comment says how to run it (a line '#   ./cortado ...' naming it)")
          .contains(Repo.root().relativize(file).toString());
    }
  }

  /** examples/*.pbtxt -> the ./cortado commands of its leading comment block. */
  private static Map<Path, List<String>> commandsByFile() throws IOException {
    Map<Path, List<String>> out = new LinkedHashMap<>();
    try (Stream<Path> files = Files.list(Repo.root().resolve("examples"))) {
      for (Path f : (Iterable<Path>) files.sorted()::iterator) {
        if (f.toString().endsWith(".pbtxt")) {
          out.put(f, headerCommands(Files.readAllLines(f)));
        }
      }
    }
    return out;
  }

  /** Comment lines whose text starts with {@code ./cortado}, with {@code \} continuations. */
  static List<String> headerCommands(List<String> lines) {
    List<String> out = new ArrayList<>();
    StringBuilder current = null;
    for (String line : lines) {
      String l = line.strip();
      if (!l.startsWith("#")) {
        break;
      }
      String text = l.substring(1).strip();
      if (current == null && !text.startsWith("./cortado ")) {
        continue;
      }
      if (current == null) {
        current = new StringBuilder();
      }
      if (text.endsWith("\\")) {
        current.append(text.substring(0, text.length() - 1).strip()).append(' ');
      } else {
        out.add(current.append(text).toString());
        current = null;
      }
    }
    return out;
  }
}
