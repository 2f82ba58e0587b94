package dev.cortado.spark.tools;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code spark-*} commands of {@code cortado}: Spark embedded in the command, local mode by
 * default. The {@code ./cortado} launcher sends every {@code spark-*} command line here, with the
 * spark module's classpath (Spark itself included) and Spark's JVM flags.
 */
@Command(
    name = "cortado",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Cortado's Spark tools: convert and build sharded Caffe2 DBs with Apache Spark.",
      "Errors are one line on stderr and a non-zero exit; --verbose adds the stack trace."
    },
    subcommands = {
      SparkConvertCommand.class,
      SparkMakeDbCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  /** Exit status of a command that failed while running. */
  public static final int EXIT_FAILURE = 1;

  /** Exit status of a command line that could not be parsed. */
  public static final int EXIT_USAGE = 2;

  static {
    SparkSessions.quietLogging();
  }

  @Spec CommandSpec spec;

  @Option(
      names = "--verbose",
      scope = ScopeType.INHERIT,
      description = "Print the full stack trace of an error, and Spark's INFO log.")
  boolean verbose;

  @Option(
      names = {"-q", "--quiet"},
      scope = ScopeType.INHERIT,
      description = "No progress bar; only the summary line.")
  boolean quiet;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing command");
  }

  /**
   * Set when SIGINT or SIGTERM shuts the JVM down while a command runs: Spark then stops its
   * context under the running job, and the job's failure is that, not an error to report.
   */
  private static volatile boolean signalled;

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    CountDownLatch finished = new CountDownLatch(1);
    // The JVM ends when its shutdown hooks do: this one gives the command a few seconds to see its
    // job aborted, clean up (a Parquet output's partial files) and say so.
    Thread onSignal =
        new Thread(
            () -> {
              signalled = true;
              try {
                finished.await(10, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "cortado-signal");
    Runtime.getRuntime().addShutdownHook(onSignal);
    int status = run(out, err, args);
    out.flush();
    err.flush();
    finished.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(onSignal);
    } catch (IllegalStateException shuttingDown) {
      // Signalled: the JVM is on its way out.
    }
    // Spark leaves non-daemon threads behind (shuffle, RPC) even after stop().
    System.exit(status);
  }

  /** Runs one command line with the given streams and returns the exit status (tests call this). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(out);
    cli.setErr(err);
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setExecutionExceptionHandler(Main::handleExecutionException);
    cli.setParameterExceptionHandler(Main::handleParameterException);
    try {
      return cli.execute(args);
    } catch (Error e) {
      Main main = cli.getCommand();
      if (main.verbose) {
        e.printStackTrace(err);
      }
      err.println("cortado: error: " + Errors.oneLine(e));
      err.flush();
      return EXIT_FAILURE;
    }
  }

  private static int handleExecutionException(
      Exception e, CommandLine failed, ParseResult parseResult) {
    failed.getOut().flush();
    PrintWriter err = failed.getErr();
    if (((Main) failed.getCommandSpec().root().userObject()).verbose) {
      e.printStackTrace(err);
    }
    if (signalled) {
      err.println(
          failed.getCommandSpec().qualifiedName()
              + ": interrupted; the Spark job was aborted, and a write that had not committed"
              + " leaves no output (with --overwrite, the old one)");
      err.flush();
      return EXIT_FAILURE;
    }
    err.println(failed.getCommandSpec().qualifiedName() + ": error: " + Errors.oneLine(e));
    err.flush();
    return EXIT_FAILURE;
  }

  private static int handleParameterException(ParameterException e, String[] args) {
    CommandLine failed = e.getCommandLine();
    PrintWriter err = failed.getErr();
    String name = failed.getCommandSpec().qualifiedName();
    err.println(name + ": " + Errors.oneLine(e) + " (try '" + name + " --help')");
    err.flush();
    return EXIT_USAGE;
  }

  /** The root command's options, seen from a subcommand. */
  static Main root(CommandSpec spec) {
    return (Main) spec.root().userObject();
  }
}
