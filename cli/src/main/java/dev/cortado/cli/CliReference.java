package dev.cortado.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/**
 * The CLI reference in Markdown, generated from picocli's usage help: cli/README.md embeds it
 * between markers, and a test keeps the two in sync.
 */
final class CliReference {
  static final String BEGIN =
      "<!-- BEGIN GENERATED CLI REFERENCE: edit the @Command annotations,"
          + " then regenerate (see above) -->";
  static final String END = "<!-- END GENERATED CLI REFERENCE -->";

  private CliReference() {}

  /** Every command's usage help, the top-level command first. */
  static String markdown() {
    CommandLine cli =
        Main.newCommandLine(
            new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    StringBuilder sb = new StringBuilder();
    section(sb, "cortado", cli);
    cli.getSubcommands()
        .forEach(
            (name, sub) -> {
              if (!name.equals("help")) {
                section(sb, "cortado " + name, sub);
              }
            });
    return sb.toString();
  }

  private static void section(StringBuilder sb, String title, CommandLine cmd) {
    sb.append("### `")
        .append(title)
        .append("`\n\n```\n")
        .append(cmd.getUsageMessage(CommandLine.Help.Ansi.OFF).stripTrailing())
        .append("\n```\n\n");
  }

  /** {@code readme} with the text between the markers replaced by {@link #markdown()}. */
  static String spliceInto(String readme) {
    int begin = readme.indexOf(BEGIN);
    int end = readme.indexOf(END);
    if (begin < 0 || end < begin) {
      throw new IllegalArgumentException("the README has no generated-reference markers");
    }
    return readme.substring(0, begin + BEGIN.length())
        + "\n\n"
        + markdown()
        + readme.substring(end);
  }
}
