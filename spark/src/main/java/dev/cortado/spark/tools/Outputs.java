package dev.cortado.spark.tools;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Locale;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Writing a spark-* command's output: N shard DBs through the {@code tensorprotos} data source
 * (whose commit makes them visible all at once, with {@code _manifest.json} and {@code _SUCCESS})
 * or N Parquet files, and the summary line.
 */
final class Outputs {
  private Outputs() {}

  /** What a write produced. */
  record Written(long records, long bytes, int files, double seconds) {}

  /** Refuses an existing {@code out} unless {@code overwrite}; says so before any work starts. */
  static void checkOut(SparkSession spark, String out, boolean overwrite) {
    if (overwrite) {
      return;
    }
    Path path = new Path(out);
    try {
      FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (fs.exists(path)) {
        throw new ToolException("--out " + out + " already exists; pass --overwrite to replace it");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check --out " + out, e);
    }
  }

  /**
   * Writes {@code records} (the data source's {@code tensors} or {@code raw} schema) as {@code
   * shards} DBs of {@code dbType}, named {@code shard-00000-of-0000N}.
   */
  static Written writeShards(
      Dataset<Row> records, String out, int shards, String dbType, boolean overwrite) {
    return writeShards(records, out, shards, dbType, overwrite, false);
  }

  /**
   * With {@code byInput}, each partition of {@code records} becomes one shard as it is ({@code
   * shard_by=input}: no shuffle; the partitions must be disjoint key ranges in key order).
   */
  static Written writeShards(
      Dataset<Row> records,
      String out,
      int shards,
      String dbType,
      boolean overwrite,
      boolean byInput) {
    long start = System.nanoTime();
    Observation seen = new Observation("records");
    records
        .observe(seen, count(lit(1)).as("n"))
        .write()
        .format("tensorprotos")
        .option("num_shards", shards)
        .option("shard_by", byInput ? "input" : "key")
        .option("db_type", dbType)
        .mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists)
        .save(out);
    return finish(records.sparkSession(), out, seen, start);
  }

  /**
   * Writes {@code records} as Parquet, at most {@code files} files (a hash of the key picks the
   * file, and each file is sorted by key); with {@code byInput}, each partition (a key range, in
   * key order) is one file as it is.
   */
  static Written writeParquet(
      Dataset<Row> records, String out, int files, boolean overwrite, boolean byInput) {
    long start = System.nanoTime();
    Observation seen = new Observation("records");
    Dataset<Row> placed =
        byInput ? records : records.repartition(files, col("key")).sortWithinPartitions("key");
    placed
        .observe(seen, count(lit(1)).as("n"))
        .write()
        .mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists)
        .parquet(out);
    return finish(records.sparkSession(), out, seen, start);
  }

  private static Written finish(SparkSession spark, String out, Observation seen, long start) {
    long records;
    try {
      records = ((Number) seen.getAsJava().get("n")).longValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ToolException("interrupted while waiting for the record count of " + out, e);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Path path = new Path(out);
    try {
      FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      long bytes = fs.getContentSummary(path).getLength();
      int files = 0;
      for (var status : fs.listStatus(path)) {
        String name = status.getPath().getName();
        if (!name.startsWith("_") && !name.startsWith(".")) {
          files++;
        }
      }
      return new Written(records, bytes, files, seconds);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the output " + out, e);
    }
  }

  /** The one summary line: records, shards, bytes, seconds. */
  static void summary(PrintWriter out, String command, Written w, String what, String where) {
    out.printf(
        Locale.ROOT,
        "%s: %d records, %d %s, %.1f MB in %s, %.2f s (%.0f records/s)%n",
        command,
        w.records(),
        w.files(),
        what,
        w.bytes() / 1e6,
        where,
        w.seconds(),
        w.seconds() > 0 ? w.records() / w.seconds() : 0.0);
    out.flush();
  }
}
