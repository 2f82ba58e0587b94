package dev.cortado.cli;

import picocli.CommandLine.Option;

/** The -h/--help option of every subcommand (--version stays on the top-level command). */
final class HelpOption {
  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;
}
