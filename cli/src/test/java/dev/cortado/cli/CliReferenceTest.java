package dev.cortado.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * cli/README.md embeds the usage help of every command. After changing an option or a description,
 * regenerate it with {@code ./mvnw -B -q -o test -pl cli -Dtest=CliReferenceTest
 * -Dcortado.updateCliReference=true}.
 */
class CliReferenceTest {
  static final Path README = Path.of(System.getProperty("user.dir")).resolve("README.md");

  @Test
  void readmeReferenceMatchesTheUsageHelp() throws IOException {
    String readme = Files.readString(README);
    String expected = CliReference.spliceInto(readme);
    if (Boolean.getBoolean("cortado.updateCliReference")) {
      Files.writeString(README, expected);
      readme = expected;
    }
    assertThat(readme)
        .as(
            "cli/README.md is out of date; regenerate it: ./mvnw -B -q -o test -pl cli"
                + " -Dtest=CliReferenceTest -Dcortado.updateCliReference=true")
        .isEqualTo(expected);
  }

  @Test
  void everyCommandHasHelp() {
    // picocli reports a description it cannot format (a bare '%') on System.err, not on the
    // command's writer.
    PrintStream err = System.err;
    ByteArrayOutputStream warnings = new ByteArrayOutputStream();
    System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
    try {
      helpOfEveryCommand();
    } finally {
      System.setErr(err);
    }
    assertThat(warnings.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  private static void helpOfEveryCommand() {
    for (String command :
        Main.newCommandLine(
                new java.io.PrintWriter(new java.io.StringWriter()),
                new java.io.PrintWriter(new java.io.StringWriter()))
            .getSubcommands()
            .keySet()) {
      if (command.equals("help")) {
        continue;
      }
      Cli.Result r = Cli.run(command, "--help");
      assertThat(r.exit()).as(command).isZero();
      assertThat(r.out()).as(command).startsWith("Usage: cortado " + command);
    }
  }

  @Test
  void noCommandIsAUsageError() {
    Cli.Result r = Cli.run();
    assertThat(r.exit()).isEqualTo(Main.EXIT_USAGE);
    assertThat(r.err()).contains("missing command");
  }
}
