package dev.cortado.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
      PlotCommand.class,
      RepairDbCommand.class,
      picocli.AutoComplete.GenerateCompletion.class,
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
    PrintWriter out =
        new PrintWriter(
            new java.io.BufferedWriter(
                new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16),
            false);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    int status = run(out, err, args);
    out.flush();
    err.flush();
    System.exit(status);
  }

  /** Exit status after SIGINT, as a shell reports it (128 + 2). */
  public static final int EXIT_INTERRUPTED = 130;

  /**
   * Caffe2's tool flags and earlier Cortado names that a command accepts besides the primary ones:
   * command -> (alias -> primary option).
   */
  static final Map<String, Map<String, String>> ALIASES =
      Map.of(
          "make-mnist-db",
              aliases(
                  "--output-file",
                  "--out",
                  "--db-type",
                  "--out-type",
                  "--image_file",
                  "--image-file",
                  "--label_file",
                  "--label-file",
                  "--output_file",
                  "--out",
                  "--channel_first",
                  "--channel-first",
                  "--data_limit",
                  "--data-limit"),
          "convert-db",
              aliases(
                  "--input-db",
                  "--db",
                  "--input-db-type",
                  "--db-type",
                  "--output-db",
                  "--out",
                  "--output-db-type",
                  "--out-type",
                  "--batch-size",
                  "--commit-every",
                  "--input_db",
                  "--db",
                  "--input_db_type",
                  "--db-type",
                  "--output_db",
                  "--out",
                  "--output_db_type",
                  "--out-type",
                  "--batch_size",
                  "--commit-every"),
          "split-db",
              aliases(
                  "--input-db",
                  "--db",
                  "--batch-size",
                  "--commit-every",
                  "--input_db",
                  "--db",
                  "--db_type",
                  "--db-type",
                  "--batch_size",
                  "--commit-every"),
          "db-throughput",
              aliases(
                  "--repeat", "--passes", "--input_db", "--db", "--input_db_type", "--db-type"));

  private static Map<String, String> aliases(String... pairs) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return m;
  }

  /** {@code args} with the subcommand's aliases replaced by the primary option names. */
  static String[] withPrimaryNames(String[] args) {
    String[] out = args.clone();
    Map<String, String> table = null;
    for (int i = 0; i < out.length; i++) {
      String a = out[i];
      if (a.equals("--")) {
        break;
      }
      if (table == null) {
        table = ALIASES.get(a);
        continue;
      }
      for (Map.Entry<String, String> e : table.entrySet()) {
        if (a.equals(e.getKey())) {
          out[i] = e.getValue();
        } else if (a.startsWith(e.getKey() + "=")) {
          out[i] = e.getValue() + a.substring(e.getKey().length());
        }
      }
    }
    return out;
  }

  /** Runs one command line with the given streams and returns the exit status (tests call this). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = newCommandLine(out, err);
    try {
      return cli.execute(withPrimaryNames(args));
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
    ALIASES.forEach(
        (name, table) -> {
          CommandLine sub = cli.getSubcommands().get(name);
          Map<String, List<String>> byPrimary = new LinkedHashMap<>();
          table.forEach(
              (alias, primary) ->
                  byPrimary.computeIfAbsent(primary, k -> new ArrayList<>()).add(alias));
          StringBuilder line =
              new StringBuilder("Also accepted (Caffe2's tool flags and earlier" + " names):");
          byPrimary.forEach(
              (primary, names) ->
                  line.append(' ')
                      .append(String.join(", ", names))
                      .append(" for ")
                      .append(primary)
                      .append(';'));
          line.setLength(line.length() - 1);
          List<String> description =
              new ArrayList<>(List.of(sub.getCommandSpec().usageMessage().description()));
          description.add(line + ".");
          sub.getCommandSpec().usageMessage().description(description.toArray(new String[0]));
        });
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
    if (Outputs.interrupted(e)) {
      // The shutdown hook says what it removed and what was kept.
      return EXIT_INTERRUPTED;
    }
    if (e instanceof ParameterException pe) {
      return handleParameterException(pe, new String[0]);
    }
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

  /**
   * The version from the jar manifest ("development build" when run from classes), the git commit
   * of the checkout it runs from, Java, and the backends and operator providers found.
   */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return VersionInfo.lines().toArray(new String[0]);
    }
  }
}
