package dev.cortado.spark.read;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbException;
import dev.cortado.db.DbRegistry;
import dev.cortado.db.Mode;
import dev.cortado.spark.DbLocator;
import dev.cortado.spark.DbSource;
import dev.cortado.spark.Options;
import dev.cortado.spark.Registries;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.read.Batch;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * The read side: the DBs and their partitions, the row layout, and the readers the executors run.
 */
public final class TensorProtosScan implements ScanBuilder, Scan, Batch {
  /** The name of the accumulator that counts skipped records (visible in the Spark UI). */
  public static final String BAD_RECORDS_ACCUMULATOR = "tensorprotos.bad_records";

  private final ReadPlan plan;
  private LongAccumulator badRecords;

  public TensorProtosScan(ReadPlan plan) {
    this.plan = plan;
  }

  /**
   * Everything the options decide before any record is read: the DBs, the layout (with typed
   * columns fixed by the first record of the first DB) and how to split them.
   */
  public record ReadPlan(
      List<DbSource> sources,
      RecordDecoder decoder,
      int splitsPerDb,
      int numShards,
      int shardId,
      boolean skipBad) {

    public static ReadPlan of(Options options) {
      DbRegistry registry = Registries.get();
      List<DbSource> sources =
          DbLocator.locate(options.paths(), options.get(Options.DB_TYPE), registry);
      String format = options.choice(Options.VALUE_FORMAT, "tensors", "tensors", "raw");
      List<String> columns = options.list(Options.COLUMNS);
      boolean skip = options.choice(Options.ON_BAD_RECORD, "fail", "fail", "skip").equals("skip");
      int splits = options.integer(Options.SPLITS_PER_DB, 1, 1);
      Integer numShards = options.integer(Options.NUM_SHARDS, null, 1);
      Integer shardId = options.integer(Options.SHARD_ID, null, 0);
      if ((numShards == null) != (shardId == null)) {
        throw new IllegalArgumentException(
            "tensorprotos: the options num_shards and shard_id go together; got "
                + (numShards == null ? "shard_id only" : "num_shards only"));
      }
      if (numShards != null && shardId >= numShards) {
        throw new IllegalArgumentException(
            "tensorprotos: shard_id must be in [0, num_shards) = [0, "
                + numShards
                + "), got "
                + shardId);
      }
      if (numShards != null && splits > 1) {
        throw new IllegalArgumentException(
            "tensorprotos: splits_per_db cannot be combined with"
                + " num_shards/shard_id (a shard is read as one partition, as a trainer reads it)");
      }
      RecordDecoder decoder;
      if (!columns.isEmpty()) {
        if (format.equals("raw")) {
          throw new IllegalArgumentException(
              "tensorprotos: columns needs value_format=tensors (the default), not raw");
        }
        decoder = firstRecordColumns(sources.get(0), columns, registry);
      } else {
        decoder = format.equals("raw") ? RecordDecoder.raw() : RecordDecoder.tensors();
      }
      return new ReadPlan(
          List.copyOf(sources),
          decoder,
          splits,
          numShards == null ? 0 : numShards,
          shardId == null ? 0 : shardId,
          skip);
    }

    private static RecordDecoder firstRecordColumns(
        DbSource first, List<String> columns, DbRegistry registry) {
      try (Db db = registry.open(first.dbType(), first.path(), Mode.READ);
          Cursor cursor = db.newCursor()) {
        if (!cursor.valid()) {
          throw new DbException(
              first
                  + " is empty: columns="
                  + String.join(",", columns)
                  + " takes each column's type from the first record, and there is none");
        }
        ByteBuffer key = cursor.key();
        byte[] k = new byte[key.remaining()];
        key.duplicate().get(k);
        try {
          return RecordDecoder.columnsFrom(columns, k, cursor.value());
        } catch (RuntimeException e) {
          throw new DbException(first + ": " + e.getMessage(), e);
        }
      }
    }
  }

  // ---- ScanBuilder / Scan ----

  @Override
  public Scan build() {
    return this;
  }

  @Override
  public StructType readSchema() {
    return plan.decoder().schema();
  }

  @Override
  public String description() {
    return "tensorprotos " + plan.sources().size() + " DB(s), " + plan.decoder().format();
  }

  @Override
  public Batch toBatch() {
    return this;
  }

  // ---- Batch ----

  @Override
  public InputPartition[] planInputPartitions() {
    DbRegistry registry = Registries.get();
    List<DbPartition> partitions = new ArrayList<>();
    for (DbSource source : plan.sources()) {
      if (plan.numShards() > 0) {
        partitions.add(DbPartition.shard(source, plan.numShards(), plan.shardId()));
      } else if (plan.splitsPerDb() > 1) {
        partitions.addAll(KeySplitter.split(source, plan.splitsPerDb(), registry));
      } else {
        partitions.add(DbPartition.whole(source));
      }
    }
    return partitions.toArray(new InputPartition[0]);
  }

  @Override
  public PartitionReaderFactory createReaderFactory() {
    if (plan.skipBad() && badRecords == null) {
      badRecords = SparkSession.active().sparkContext().longAccumulator(BAD_RECORDS_ACCUMULATOR);
    }
    return new ReaderFactory(plan.decoder(), plan.skipBad(), badRecords);
  }

  /** Creates the executors' readers; serialized to them. */
  record ReaderFactory(RecordDecoder decoder, boolean skipBad, LongAccumulator badRecords)
      implements PartitionReaderFactory {
    @Override
    public PartitionReader<InternalRow> createReader(InputPartition partition) {
      return new DbPartitionReader(
          (DbPartition) partition, Registries.get(), decoder, skipBad, badRecords);
    }
  }
}
