package dev.cortado.spark.write;

import dev.cortado.spark.DbLocator;
import dev.cortado.spark.Options;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;

/**
 * Applies a save mode, then runs the sharded DataSource V2 write. Spark hands only append and
 * overwrite to a V2 table; {@code errorifexists} (the default) and {@code ignore} reach the
 * connector through Spark's V1 entry point, so every mode goes through here:
 *
 * <ul>
 *   <li>errorifexists: fails when the output directory exists and is not empty;
 *   <li>ignore: does nothing when it exists;
 *   <li>append: adds {@code num_shards} new shards to a previous output (whose {@code
 *       _manifest.json} lists its shards; all shards are renumbered {@code -of-<total>});
 *   <li>overwrite: replaces the output once the new shards are committed.
 * </ul>
 */
public final class Writes {
  private Writes() {}

  public static void save(Dataset<Row> data, Map<String, String> options, SaveMode mode) {
    Options o = new Options(options);
    List<String> paths = o.paths();
    if (paths.size() != 1) {
      throw new IllegalArgumentException(
          "tensorprotos: save needs exactly one output directory, got " + paths);
    }
    Path out = Path.of(DbLocator.stripScheme(paths.get(0))).toAbsolutePath();
    boolean exists = ShardFiles.exists(out);
    switch (mode) {
      case ErrorIfExists:
        if (exists) {
          throw new IllegalStateException(
              "tensorprotos: the output "
                  + out
                  + " already exists;"
                  + " use mode(\"overwrite\") to replace it, mode(\"append\") to add shards to it, or"
                  + " mode(\"ignore\") to keep it");
        }
        break;
      case Ignore:
        if (exists) {
          return;
        }
        break;
      case Append:
        if (exists && !Files.exists(out.resolve(ShardFiles.MANIFEST))) {
          throw new IllegalStateException(
              "tensorprotos: cannot append to "
                  + out
                  + ": it has no "
                  + ShardFiles.MANIFEST
                  + ", so it is not the output of a tensorprotos write");
        }
        break;
      case Overwrite:
        if (Files.isRegularFile(out)) {
          throw new IllegalStateException(
              "tensorprotos: cannot overwrite " + out + ": it is a file, not a directory");
        }
        break;
      default:
        throw new IllegalArgumentException("tensorprotos: unknown save mode " + mode);
    }
    // Fail on bad options on the driver, before Spark plans the job.
    ShardedWriteSource.spec(o, data.schema(), "check");
    data.write()
        .format(ShardedWriteSource.class.getName())
        .options(options)
        .option(Options.PATH, out.toString())
        .mode(mode == SaveMode.Overwrite ? SaveMode.Overwrite : SaveMode.Append)
        .save();
  }
}
