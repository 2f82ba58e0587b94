package dev.cortado.spark;

import dev.cortado.db.DbReader;
import dev.cortado.db.Keys;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * The tests' Spark: one local session per JVM, bound to 127.0.0.1, without UI, with few shuffle
 * partitions. {@link #session(String)} switches the master (one SparkContext per JVM).
 */
public final class LocalSpark {
  private static SparkSession session;
  private static String master;

  private LocalSpark() {}

  /** The {@code local[2]} session. */
  public static synchronized SparkSession get() {
    return session("local[2]");
  }

  public static synchronized SparkSession session(String wanted) {
    if (session != null && wanted.equals(master)) {
      return session;
    }
    if (session != null) {
      session.stop();
      SparkSession.clearActiveSession();
      SparkSession.clearDefaultSession();
    }
    session =
        SparkSession.builder()
            .master(wanted)
            .appName("cortado-spark-tests")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.default.parallelism", "2")
            .config("spark.sql.adaptive.enabled", "true")
            .getOrCreate();
    session.sparkContext().setLogLevel("WARN");
    master = wanted;
    return session;
  }

  /** One record as the tests compare them: key hex and value bytes. */
  public record Rec(String keyHex, byte[] value) {}

  /** Every record of a DB through Cortado's own DbReader, in the backend's order. */
  public static List<Rec> readWithDbReader(String dbType, String path) {
    List<Rec> out = new ArrayList<>();
    try (DbReader reader = DbReader.open(Registries.get(), dbType, path)) {
      reader.scanToEnd((k, v) -> out.add(new Rec(Keys.hex(k), bytes(v))));
    }
    return out;
  }

  public static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}
