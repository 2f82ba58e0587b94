package dev.cortado.spark.tools;

import java.net.URL;
import java.util.Locale;
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
    }
    SparkSession spark = builder.getOrCreate();
    if (verbose) {
      spark.sparkContext().setLogLevel("INFO");
    }
    return new Session(spark, owned);
  }

  /** A command's Spark session; closing stops it when the command started it. */
  record Session(SparkSession spark, boolean owned) implements AutoCloseable {
    @Override
    public void close() {
      if (owned) {
        spark.stop();
      }
    }
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
