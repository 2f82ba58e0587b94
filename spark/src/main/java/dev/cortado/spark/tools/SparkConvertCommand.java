package dev.cortado.spark.tools;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbRegistry;
import dev.cortado.db.Mode;
import dev.cortado.spark.DbLocator;
import dev.cortado.spark.DbSource;
import dev.cortado.spark.Registries;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cortado spark-convert}: any DB or shard set into N shards of any backend, or Parquet. */
@Command(
    name = "spark-convert",
    sortOptions = false,
    mixinStandardHelpOptions = true,
    description = {
      "Converts a DB, a directory of shard DBs or a glob into N shard DBs of any backend"
          + " (shard-00000-of-0000N, with _manifest.json and _SUCCESS), or into N Parquet files"
          + " with the tensors schema; a Parquet directory as --db converts back. Keys and values"
          + " are kept; each shard is written in key order. Runs on Spark, local[2] by default.",
      "One seekable DB (LMDB, LevelDB, RocksDB) is read as N key ranges of about equal size and"
          + " range i becomes shard (or file) i, as Caffe2's split_db cuts a DB: no shuffle. Several"
          + " DBs, minidb, Parquet or --splits-per-db K spread the keys over the N shards by their"
          + " hash instead (a shuffle and a sort)."
    })
final class SparkConvertCommand implements Callable<Integer> {
  /** What --format names. */
  enum Format {
    tensorprotos,
    parquet
  }

  @Spec CommandSpec spec;

  @Option(
      names = "--db",
      required = true,
      paramLabel = "PATH",
      description = "What to read: a DB, a directory of shard DBs, a glob, or a Parquet directory.")
  String db;

  @Option(
      names = "--db-type",
      paramLabel = "TYPE",
      description =
          "Backend of --db: lmdb, leveldb, rocksdb, minidb, a plugin's name, or parquet"
              + " (default: detected).")
  String dbType;

  @Option(
      names = "--num-shards",
      paramLabel = "S",
      description = "Read only shard --shard-id of S, as Caffe2's DBReader strides (default: 1).")
  Integer numShards;

  @Option(
      names = "--shard-id",
      paramLabel = "K",
      description = "Which shard to read with --num-shards (default: 0).")
  Integer shardId;

  @Option(
      names = "--splits-per-db",
      paramLabel = "K",
      description =
          "Read each seekable DB (LMDB, LevelDB, RocksDB) as K key ranges, one task each, and"
              + " hash the keys into the output shards (default: one seekable DB is read as"
              + " --out-shards ranges, one per shard; several DBs as twice Spark's default"
              + " parallelism, 4 in local[2]; minidb is always read whole).")
  Integer splitsPerDb;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where to write.")
  String out;

  @Option(
      names = "--out-shards",
      required = true,
      paramLabel = "N",
      description = "How many shard DBs (or at most how many Parquet files) to write.")
  int outShards;

  @Option(
      names = "--out-type",
      paramLabel = "TYPE",
      description =
          "Backend of the shards (default: --db-type when it names a DB backend, else lmdb).")
  String outType;

  @Option(
      names = "--format",
      paramLabel = "FORMAT",
      defaultValue = "tensorprotos",
      description = "tensorprotos (shard DBs) or parquet (default: ${DEFAULT-VALUE}).")
  Format format;

  @Option(
      names = "--master",
      paramLabel = "URL",
      defaultValue = SparkSessions.DEFAULT_MASTER,
      description = "Spark master (default: ${DEFAULT-VALUE}; a cluster's URL runs it there).")
  String master;

  @Option(names = "--overwrite", description = "Replace --out if it exists.")
  boolean overwrite;

  @Override
  public Integer call() {
    if (outShards < 1) {
      throw new ToolException("--out-shards must be >= 1, got " + outShards);
    }
    if (shardId != null && numShards == null) {
      throw new ToolException("--shard-id needs --num-shards");
    }
    if (splitsPerDb != null && (splitsPerDb < 1 || numShards != null)) {
      throw new ToolException(
          "--splits-per-db needs a value >= 1 and cannot be combined with --num-shards (got "
              + splitsPerDb
              + ")");
    }
    Main root = Main.root(spec);
    try (SparkSessions.Session session =
        SparkSessions.start(
            "spark-convert", master, SparkSessions.progressWanted(root.quiet), root.verbose)) {
      SparkSession spark = session.spark();
      boolean parquetIn = isParquet(spark);
      List<DbSource> sources =
          parquetIn ? List.of() : DbLocator.locate(List.of(db), dbType, Registries.get());
      List<String> inputs = inputPaths(spark, parquetIn, sources);
      Outputs.refuseInputOverlap(spark, out, inputs);
      session.interpretIfSmall(master, Outputs.inputBytes(spark, inputs));
      if (format == Format.parquet) {
        Outputs.removeStaleParquet(spark, out, spec.commandLine().getErr());
      }
      Outputs.checkOut(spark, out, overwrite);
      // One seekable DB: its key ranges are the shards, in key order already (no shuffle).
      boolean ranges =
          !parquetIn && numShards == null && splitsPerDb == null && oneSeekableDb(sources);
      // DB to DB copies the value bytes as they are (raw); Parquet holds the tensors schema.
      Dataset<Row> records =
          parquetIn
              ? readParquet(spark)
              : readDb(spark, format == Format.parquet ? "tensors" : "raw", ranges);
      Outputs.Written written;
      if (format == Format.parquet) {
        written = Outputs.writeParquet(records, out, outShards, overwrite, ranges);
        Outputs.summary(
            spec.commandLine().getOut(), "spark-convert", written, "files (parquet)", out);
      } else {
        String type = outputType();
        written = Outputs.writeShards(records, out, outShards, type, overwrite, ranges);
        Outputs.summary(
            spec.commandLine().getOut(), "spark-convert", written, "shards (" + type + ")", out);
      }
      return 0;
    }
  }

  private String outputType() {
    if (outType != null) {
      return outType;
    }
    if (dbType != null && !dbType.equalsIgnoreCase("parquet")) {
      return dbType;
    }
    return "lmdb";
  }

  /**
   * What the job reads: {@code --db} itself unless it is a glob, and each DB it names ({@code
   * sources}) or, for Parquet, each path its glob matches.
   */
  private List<String> inputPaths(SparkSession spark, boolean parquetIn, List<DbSource> sources) {
    List<String> paths = new ArrayList<>();
    boolean glob = DbLocator.isGlob(DbLocator.stripScheme(db));
    if (!glob) {
      paths.add(db);
    }
    for (DbSource s : sources) {
      paths.add(s.path());
    }
    if (parquetIn && glob) {
      Path pattern = new Path(db);
      try {
        FileStatus[] matches =
            pattern.getFileSystem(spark.sparkContext().hadoopConfiguration()).globStatus(pattern);
        for (FileStatus m : matches == null ? new FileStatus[0] : matches) {
          paths.add(m.getPath().toString());
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot expand --db " + db, e);
      }
    }
    return paths;
  }

  /** --db-type parquet, or --db a directory that holds .parquet files (or a .parquet file). */
  private boolean isParquet(SparkSession spark) {
    if (dbType != null) {
      return dbType.toLowerCase(Locale.ROOT).equals("parquet");
    }
    Path path = new Path(db);
    try {
      FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(path)) {
        return false;
      }
      FileStatus status = fs.getFileStatus(path);
      if (!status.isDirectory()) {
        return path.getName().endsWith(".parquet");
      }
      FileStatus[] parts = fs.globStatus(new Path(path, "*.parquet"));
      return parts != null && parts.length > 0;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot look at --db " + db, e);
    }
  }

  private Dataset<Row> readParquet(SparkSession spark) {
    if (numShards != null) {
      throw new ToolException("--num-shards/--shard-id read DBs, not Parquet (--db " + db + ")");
    }
    return spark.read().parquet(db);
  }

  /**
   * True when {@code sources} is a single DB whose cursor can seek, so that it splits into key
   * ranges.
   */
  private static boolean oneSeekableDb(List<DbSource> sources) {
    if (sources.size() != 1) {
      return false;
    }
    DbSource s = sources.get(0);
    DbRegistry registry = Registries.get();
    try (Db d = registry.open(s.dbType(), s.path(), Mode.READ);
        Cursor cursor = d.newCursor()) {
      return cursor.supportsSeek();
    }
  }

  private Dataset<Row> readDb(SparkSession spark, String valueFormat, boolean ranges) {
    DataFrameReader reader =
        spark.read().format("tensorprotos").option("value_format", valueFormat);
    if (dbType != null) {
      reader = reader.option("db_type", dbType);
    }
    if (numShards != null) {
      reader =
          reader.option("num_shards", numShards).option("shard_id", shardId == null ? 0 : shardId);
    } else {
      // Without splits one task reads a whole DB while the other cores wait for it.
      int splits =
          splitsPerDb != null
              ? splitsPerDb
              : ranges ? outShards : 2 * spark.sparkContext().defaultParallelism();
      reader = reader.option("splits_per_db", splits);
    }
    return reader.load(db);
  }
}
