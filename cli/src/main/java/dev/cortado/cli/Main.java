package dev.cortado.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The {@code cortado} command: entry point, shared options and the one-line error style. */
@Command(
    name = "cortado",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    sortOptions = false,
    description = {
      "Caffe2's operator model and data-input path on the JVM.",
      "Errors are one line on stderr and a non-zero exit; --verbose adds the stack trace."
    },
    subcommands = {
      QuickstartCommand.class,
      MakeMnistDbCommand.class,
      ConvertDbCommand.class,
      SplitDbCommand.class,
      InspectCommand.class,
      DbDumpCommand.class,
      DbThroughputCommand.class,
      RunNetCommand.class,
      RunPlanCommand.class,
      AddGradientsCommand.class,
      PredictCommand.class,
      OpsCommand.class,
      BenchCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  /** Exit status of a command that failed while running (bad input, I/O, a failing net). */
  public static final int EXIT_FAILURE = 1;

  /** Exit status of a command line picocli could not parse. */
  public static final int EXIT_USAGE = 2;

  @Spec CommandSpec spec;

  @Option(
      names = "--verbose",
      scope = ScopeType.INHERIT,
      description = "Print the full stack trace of an error.")
  boolean verbose;

  @Option(
      names = {"-q", "--quiet"},
      scope = ScopeType.INHERIT,
      description = "No progress bars and no chatter; results only.")
  boolean quiet;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing command");
  }

  public static void main(String[] args) {
    // Not auto-flushing: db-dump prints a line per record; commands flush when they finish.
    PrintWriter out = new PrintWriter(
        new java.io.BufferedWriter(new java.io.OutputStreamWriter(System.out,
            StandardCharsets.UTF_8), 1 << 16), false);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    int status = run(out, err, args);
    out.flush();
    err.flush();
    System.exit(status);
  }

  /** Runs one command line with the given streams and returns the exit status (tests call this). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = newCommandLine(out, err);
    try {
      return cli.execute(args);
    } catch (Error e) {
      // picocli passes only Exceptions to the handler; an OutOfMemoryError or a linkage error
      // still gets the one-line style.
      Main main = cli.getCommand();
      if (main.verbose) {
        e.printStackTrace(err);
      }
      err.println("cortado: error: " + Errors.oneLine(e));
      err.flush();
      return EXIT_FAILURE;
    }
  }

  /**
   * Guice reports a failing module through java.util.logging at INFO with a stack trace before it
   * throws; the exception reaches the user as one line anyway, so that log is noise. The field
   * keeps the logger (and its level) alive: JUL holds loggers weakly.
   */
  private static final java.util.logging.Logger GUICE_LOG =
      java.util.logging.Logger.getLogger("com.google.inject");

  static {
    GUICE_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  /** The configured command line, also used to generate the CLI reference. */
  public static CommandLine newCommandLine(PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(Main::handleExecutionException);
    cli.setParameterExceptionHandler(Main::handleParameterException);
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    CommandLine.IExecutionStrategy runLast = new CommandLine.RunLast();
    cli.setExecutionStrategy(
        parseResult -> {
          Main root = cli.getCommand();
          if (!root.verbose) {
            return runLast.execute(parseResult);
          }
          // Before any library creates its logger: slf4j-simple reads this when it starts.
          System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "debug");
          GUICE_LOG.setLevel(java.util.logging.Level.INFO);
          try {
            return runLast.execute(parseResult);
          } finally {
            GUICE_LOG.setLevel(java.util.logging.Level.WARNING);
          }
        });
    return cli;
  }

  private static int handleExecutionException(
      Exception e, CommandLine failed, ParseResult parseResult) {
    failed.getOut().flush();
    PrintWriter err = failed.getErr();
    Main root = (Main) failed.getCommandSpec().root().userObject();
    if (root.verbose) {
      e.printStackTrace(err);
    }
    err.println(commandPath(failed) + ": error: " + Errors.oneLine(e));
    err.flush();
    return EXIT_FAILURE;
  }

  private static int handleParameterException(ParameterException e, String[] args) {
    CommandLine failed = e.getCommandLine();
    PrintWriter err = failed.getErr();
    err.println(
        commandPath(failed)
            + ": "
            + Errors.oneLine(e)
            + " (try '"
            + failed.getCommandSpec().qualifiedName()
            + " --help')");
    err.flush();
    return EXIT_USAGE;
  }

  private static String commandPath(CommandLine cli) {
    return cli.getCommandSpec().qualifiedName();
  }

  /** True when the user asked for --quiet anywhere on the command line. */
  static boolean quiet(CommandSpec spec) {
    return ((Main) spec.root().userObject()).quiet;
  }

  /** The version from the jar manifest, or "development build" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"cortado " + (v == null ? "(development build)" : v)};
    }
  }
}
