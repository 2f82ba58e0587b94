package dev.cortado.spark.tools;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;

import dev.cortado.db.DbOutput;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkExecutorInfo;
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

  /**
   * Refuses an {@code out} that is one of {@code inputs}, lies inside one or holds one, whether or
   * not {@code --overwrite} was given, before any work starts: an overwrite would delete what is
   * being read (Spark's Parquet writer empties {@code --out} before its tasks read), and without
   * one the output would land inside an input. Paths on the local file system compare by real path
   * (through symlinks and {@code ..}), others by their qualified URI.
   */
  static void refuseInputOverlap(SparkSession spark, String out, List<String> inputs) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    java.nio.file.Path localOut = localPath(conf, out);
    List<java.nio.file.Path> localInputs = new ArrayList<>();
    for (String input : inputs) {
      java.nio.file.Path localIn = localPath(conf, input);
      if (localOut != null && localIn != null) {
        localInputs.add(localIn);
      } else {
        String o = qualified(conf, out);
        String i = qualified(conf, input);
        if (within(o, i) || within(i, o)) {
          throw new ToolException(
              "refusing to write --out "
                  + out
                  + ": it overlaps the input "
                  + input
                  + "; nothing was changed");
        }
      }
    }
    if (localOut != null) {
      DbOutput.refuseInputOverlap(localOut, localInputs);
    }
  }

  /** The bytes under {@code inputs}, counting an input inside another of them once. */
  static long inputBytes(SparkSession spark, List<String> inputs) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    List<String> counted = new ArrayList<>();
    long bytes = 0;
    for (String input : inputs) {
      String q = qualified(conf, input);
      if (counted.stream().anyMatch(c -> within(q, c))) {
        continue;
      }
      counted.add(q);
      Path p = new Path(q);
      try {
        bytes += p.getFileSystem(conf).getContentSummary(p).getLength();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot measure the input " + input, e);
      }
    }
    return bytes;
  }

  /** True when the qualified path {@code path} is {@code dir} or lies inside it. */
  private static boolean within(String path, String dir) {
    return path.equals(dir) || path.startsWith(dir + "/");
  }

  /** {@code path} on the local file system, or null when it is on another file system. */
  private static java.nio.file.Path localPath(Configuration conf, String path) {
    Path p = new Path(path);
    try {
      FileSystem fs = p.getFileSystem(conf);
      if (!"file".equals(fs.getScheme())) {
        return null;
      }
      return java.nio.file.Path.of(fs.makeQualified(p).toUri());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve " + path, e);
    }
  }

  private static String qualified(Configuration conf, String path) {
    Path p = new Path(path);
    try {
      String q = p.getFileSystem(conf).makeQualified(p).toString();
      return q.endsWith("/") ? q.substring(0, q.length() - 1) : q;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve " + path, e);
    }
  }

  /**
   * What a killed Parquet conversion into {@code out} left beside it (SIGKILL, power loss): its
   * partial files ({@code <out>.partial-<pid>}) are removed and an old output it had moved aside
   * ({@code <out>.old-<pid>}) is moved back, as for the single-process commands' outputs; each is
   * named on {@code notices}. Only on the local file system.
   */
  static void removeStaleParquet(SparkSession spark, String out, PrintWriter notices) {
    java.nio.file.Path local = localPath(spark.sparkContext().hadoopConfiguration(), out);
    if (local != null && local.getParent() != null && Files.isDirectory(local.getParent())) {
      DbOutput.removeStale(local, notices::println);
      notices.flush();
    }
  }

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

  /** How long a failed Parquet job waits for its other tasks to stop before it cleans up. */
  private static final long TASK_STOP_MILLIS = 5000;

  /**
   * Writes {@code records} as Parquet, at most {@code files} files (a hash of the key picks the
   * file, and each file is sorted by key); with {@code byInput}, each partition (a key range, in
   * key order) is one file as it is.
   *
   * <p>Atomic, as the DB outputs are: Spark's Parquet writer in overwrite mode deletes {@code out}
   * before its tasks run, so a failed job would lose the old output and leave a half-written
   * directory. The files go to a sibling, {@code <out>.partial-<pid>}, that replaces {@code out}
   * only once the job has committed; a failure removes it and leaves {@code out} as it was.
   */
  static Written writeParquet(
      Dataset<Row> records, String out, int files, boolean overwrite, boolean byInput) {
    long start = System.nanoTime();
    Observation seen = new Observation("records");
    Dataset<Row> placed =
        byInput ? records : records.repartition(files, col("key")).sortWithinPartitions("key");
    Path given = new Path(out);
    FileSystem fs = fileSystem(records.sparkSession(), given);
    Path target = fs.makeQualified(given);
    Path staging = sibling(target, ".partial-");
    try {
      placed
          .observe(seen, count(lit(1)).as("n"))
          .write()
          .mode(SaveMode.ErrorIfExists)
          .parquet(staging.toString());
      moveIntoPlace(fs, staging, target, overwrite);
    } catch (Throwable e) {
      // Spark's SparkException is checked but undeclared: catch everything, rethrow it as it is.
      // On SIGINT or SIGTERM this runs too: Main's shutdown hook waits for the command to end.
      awaitTasksStopped(records.sparkSession());
      deleteQuietly(fs, staging);
      throw e;
    }
    return finish(records.sparkSession(), out, seen, start);
  }

  /**
   * After a failed job Spark stops its other tasks, but one may still be closing its file, and
   * Hadoop creates the parent directories of what it writes: waits (at most {@value
   * #TASK_STOP_MILLIS} ms) until no task runs, so that a partial output deleted next stays deleted.
   */
  private static void awaitTasksStopped(SparkSession spark) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TASK_STOP_MILLIS);
    while (runningTasks(spark.sparkContext()) > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * The tasks running on the context's executors; 0 once it has stopped (SIGINT or SIGTERM: Spark
   * stops the context, and its tasks with it), also while it stops.
   */
  private static int runningTasks(SparkContext sc) {
    int running = 0;
    try {
      if (sc.isStopped()) {
        return 0;
      }
      for (SparkExecutorInfo executor : sc.statusTracker().getExecutorInfos()) {
        running += executor.numRunningTasks();
      }
    } catch (RuntimeException stopping) {
      return 0;
    }
    return running;
  }

  /** {@code <name><infix><pid>} beside {@code path}. */
  private static Path sibling(Path path, String infix) {
    return new Path(path.getParent(), path.getName() + infix + ProcessHandle.current().pid());
  }

  /**
   * Renames {@code staging} to {@code target}; an existing {@code target} (an overwrite) is moved
   * aside first and deleted once the new one is in place.
   */
  private static void moveIntoPlace(FileSystem fs, Path staging, Path target, boolean overwrite) {
    try {
      swap(fs, staging, target, overwrite);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot move the Parquet files into " + target, e);
    }
  }

  private static void swap(FileSystem fs, Path staging, Path target, boolean overwrite)
      throws IOException {
    Path old = null;
    if (fs.exists(target)) {
      if (!overwrite) {
        throw new ToolException(
            "--out " + target + " appeared while the job ran; the new files are not moved there");
      }
      old = sibling(target, ".old-");
      rename(fs, target, old);
    }
    try {
      rename(fs, staging, target);
    } catch (IOException e) {
      if (old != null) {
        rename(fs, old, target);
      }
      throw e;
    }
    if (old != null) {
      fs.delete(old, true);
    }
  }

  private static void rename(FileSystem fs, Path from, Path to) throws IOException {
    if (!fs.rename(from, to)) {
      throw new IOException("cannot rename " + from + " to " + to);
    }
  }

  private static void deleteQuietly(FileSystem fs, Path path) {
    try {
      fs.delete(path, true);
    } catch (IOException e) {
      // The failure being reported matters more; the partial files are named as such.
    }
  }

  private static FileSystem fileSystem(SparkSession spark, Path path) {
    try {
      return path.getFileSystem(spark.sparkContext().hadoopConfiguration());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the file system of " + path, e);
    }
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
