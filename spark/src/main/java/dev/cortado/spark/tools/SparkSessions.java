package dev.cortado.spark.tools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/** The embedded Spark session of a spark-* command: local mode by default, quiet, no web UI. */
final class SparkSessions {
  /** The default --master: two local worker threads. */
  static final String DEFAULT_MASTER = "local[2]";

  private SparkSessions() {}

  /**
   * Points log4j2 at the tools' configuration (warnings only) unless the user chose one. Runs
   * before Spark touches its logger, otherwise Spark installs its INFO-level defaults.
   */
  static void quietLogging() {
    if (System.getProperty("log4j2.configurationFile") == null
        && System.getProperty("log4j.configurationFile") == null) {
      URL config = SparkSessions.class.getResource("log4j2-tools.properties");
      if (config != null) {
        System.setProperty("log4j2.configurationFile", config.toString());
      }
    }
  }

  /**
   * A session for {@code command} on {@code master}. A local master binds the driver to the
   * loopback address, so nothing listens on the network; Spark's console progress bar is on only
   * when {@code progress} is true.
   */
  static Session start(String command, String master, boolean progress, boolean verbose) {
    // A session already running in this JVM (an application that calls Main.run) is used and
    // left running; one made here is stopped when the command ends.
    boolean owned = SparkSession.getDefaultSession().isEmpty();
    SparkSession.Builder builder =
        SparkSession.builder()
            .appName("cortado " + command)
            .master(master)
            .config("spark.ui.enabled", false)
            .config("spark.ui.showConsoleProgress", progress);
    if (isLocal(master)) {
      builder
          .config("spark.driver.bindAddress", "127.0.0.1")
          .config("spark.driver.host", "127.0.0.1");
    } else if (System.getProperty("spark.jars") == null) {
      builder.config("spark.jars", connectorJar(master));
    }
    SparkSession spark = builder.getOrCreate();
    if (verbose) {
      org.apache.logging.log4j.core.config.Configurator.setAllLevels(
          org.apache.logging.log4j.LogManager.ROOT_LOGGER_NAME,
          org.apache.logging.log4j.Level.INFO);
    }
    return new Session(spark, owned);
  }

  /** Spark's setting for how it builds row code: compiled with Janino, or interpreted. */
  static final String CODEGEN_FACTORY_MODE = "spark.sql.codegen.factoryMode";

  /**
   * Input below which a local job runs its row code interpreted; see {@link
   * Session#interpretIfSmall}.
   */
  static final long INTERPRETED_BELOW_BYTES = 256L << 20;

  /** A command's Spark session; closing stops it when the command started it. */
  record Session(SparkSession spark, boolean owned) implements AutoCloseable {
    /**
     * Runs the rows of a small local job through Spark's interpreted code instead of compiling it.
     * Spark compiles each query's row code with Janino before the first task and again in the
     * tasks: 0.3–0.4 s on two cores, a sixth of a 60,000-record conversion, while the compiled rows
     * were at most 5% faster here (a 600,000-record Parquet job; DB to DB no different).
     * PERFORMANCE.md, section Scale-out on Spark, has the measurements. Only for a session this
     * command started, on a local master, with {@code inputBytes} below {@link
     * #INTERPRETED_BELOW_BYTES}, and when the user did not choose ({@code
     * -Dspark.sql.codegen.factoryMode=FALLBACK} in JAVA_OPTS compiles as Spark does by default).
     */
    void interpretIfSmall(String master, long inputBytes) {
      if (owned
          && isLocal(master)
          && inputBytes < INTERPRETED_BELOW_BYTES
          && !spark.sparkContext().getConf().contains(CODEGEN_FACTORY_MODE)) {
        spark.conf().set(CODEGEN_FACTORY_MODE, "NO_CODEGEN");
      }
    }

    @Override
    public void close() {
      if (owned) {
        spark.stop();
      }
    }
  }

  /**
   * The connector's {@code -all} jar, which executors on a cluster need: spark/target of the
   * checkout the launcher runs from ({@code -Dcortado.home}).
   */
  static String connectorJar(String master) {
    String home = System.getProperty("cortado.home");
    Path target = Path.of(home == null ? "." : home, "spark", "target");
    if (Files.isDirectory(target)) {
      try (Stream<Path> files = Files.list(target)) {
        Optional<Path> jar =
            files
                .filter(p -> p.getFileName().toString().matches("cortado-spark-.*-all\\.jar"))
                .findFirst();
        if (jar.isPresent()) {
          return jar.get().toAbsolutePath().toString();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + target, e);
      }
    }
    throw new ToolException(
        "--master "
            + master
            + " runs on executors that need the connector jar, and there is no"
            + " cortado-spark-*-all.jar in "
            + target.toAbsolutePath()
            + "; build it (./mvnw -B -q -DskipTests package -pl spark -am) or name a jar with"
            + " JAVA_OPTS=-Dspark.jars=PATH");
  }

  static boolean isLocal(String master) {
    return master.toLowerCase(Locale.ROOT).startsWith("local");
  }

  /** Whether Spark's progress bar should draw: a terminal is watching and --quiet is off. */
  static boolean progressWanted(boolean quiet) {
    if (quiet) {
      return false;
    }
    String forced = System.getProperty("cortado.progress", "");
    if (forced.equals("always") || forced.equals("never")) {
      return forced.equals("always");
    }
    // System.console() is null unless stdin and stdout are both terminals.
    return System.console() != null;
  }
}
