package dev.cortado.spark.read;

import dev.cortado.db.DbRegistry;
import dev.cortado.spark.DbSource;
import dev.cortado.spark.Registries;
import dev.cortado.spark.Schemas;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.spark.internal.config.ConfigEntry;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.execution.datasources.parquet.ParquetWriteSupport;

/**
 * The baseline that {@code spark-convert --format parquet} is measured against: the same work in
 * one process without Spark's driver, scheduler or commit. The DB is cut into key ranges by the
 * connector's own splitter, each range is read and decoded into the {@code tensors} rows by the
 * connector's own partition reader, and written as one Parquet file by Spark's own Parquet writer
 * ({@link ParquetWriteSupport}, snappy, Spark's defaults), on a pool of as many threads as the
 * local master has cores. What is left out is what Spark adds: planning, task scheduling, the
 * record count, the projection into Spark's row format and the commit.
 *
 * <p>{@code java -cp <spark module classes, test classes and runtime classpath>
 * dev.cortado.spark.read.ParquetWithoutSpark DB DB_TYPE OUT FILES THREADS}: writes {@code
 * part-0000i.snappy.parquet} under the new folder OUT and prints one line with the records, files
 * and seconds (from the cut into ranges to the last file closed, as {@code spark-convert} counts
 * from the start of its job to the commit).
 */
public final class ParquetWithoutSpark {
  private ParquetWithoutSpark() {}

  /** What a run wrote. */
  public record Result(long records, int files, double seconds) {}

  public static void main(String[] args) throws Exception {
    if (args.length != 5) {
      System.err.println("usage: ParquetWithoutSpark DB DB_TYPE OUT FILES THREADS");
      System.exit(2);
    }
    Result r =
        run(
            args[0],
            args[1],
            Path.of(args[2]),
            Integer.parseInt(args[3]),
            Integer.parseInt(args[4]));
    System.out.printf(
        Locale.ROOT,
        "parquet without spark: %d records, %d files in %s, %.2f s (%.0f records/s)%n",
        r.records(),
        r.files(),
        args[2],
        r.seconds(),
        r.records() / r.seconds());
  }

  /** Writes the DB at {@code db} as {@code files} Parquet files under {@code out}. */
  public static Result run(String db, String dbType, Path out, int files, int threads)
      throws Exception {
    Files.createDirectory(out);
    // What spark-convert has done before its clock starts, while its session starts: the DB
    // backends found, Hadoop's configuration and local file system loaded.
    DbRegistry registry = Registries.get();
    Configuration conf = writerConfiguration();
    FileSystem.getLocal(conf);
    long start = System.nanoTime();
    List<DbPartition> ranges = KeySplitter.split(new DbSource(db, dbType), files, registry);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Long>> written = new ArrayList<>();
      for (int i = 0; i < ranges.size(); i++) {
        DbPartition range = ranges.get(i);
        Path file = out.resolve(String.format(Locale.ROOT, "part-%05d.snappy.parquet", i));
        written.add(pool.submit(() -> write(range, registry, conf, file)));
      }
      long records = 0;
      for (Future<Long> f : written) {
        records += f.get();
      }
      return new Result(records, ranges.size(), (System.nanoTime() - start) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }

  private static long write(DbPartition range, DbRegistry registry, Configuration conf, Path file)
      throws IOException {
    long n = 0;
    try (DbPartitionReader reader =
            new DbPartitionReader(range, registry, RecordDecoder.tensors(), false, null);
        ParquetWriter<InternalRow> writer = writer(conf, file)) {
      while (reader.next()) {
        writer.write(reader.get());
        n++;
      }
    }
    return n;
  }

  /**
   * Spark's Parquet writer reads its settings from the job's configuration, where Spark puts the
   * session's SQL settings: here every one of them (internal ones too) at its default.
   */
  private static Configuration writerConfiguration() {
    Configuration conf = new Configuration();
    ParquetWriteSupport.setSchema(Schemas.TENSORS, conf);
    for (ConfigEntry<?> entry : org.apache.spark.sql.internal.SQLConf$.MODULE$.getConfigEntries()) {
      String value = entry.defaultValueString();
      if (value != null && !value.equals(ConfigEntry.UNDEFINED())) {
        conf.set(entry.key(), value);
      }
    }
    return conf;
  }

  /** Spark's Parquet writer, snappy, otherwise parquet-mr's defaults (which are Spark's). */
  private static ParquetWriter<InternalRow> writer(Configuration conf, Path file)
      throws IOException {
    try {
      return new Builder(new org.apache.hadoop.fs.Path(file.toUri()))
          .withConf(conf)
          .withCompressionCodec(CompressionCodecName.SNAPPY)
          .withWriteMode(ParquetFileWriter.Mode.CREATE)
          .build();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private static final class Builder extends ParquetWriter.Builder<InternalRow, Builder> {
    Builder(org.apache.hadoop.fs.Path path) {
      super(path);
    }

    @Override
    protected Builder self() {
      return this;
    }

    @Override
    protected WriteSupport<InternalRow> getWriteSupport(Configuration conf) {
      return new ParquetWriteSupport();
    }
  }
}
