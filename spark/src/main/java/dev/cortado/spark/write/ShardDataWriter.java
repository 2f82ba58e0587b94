package dev.cortado.spark.write;

import dev.cortado.db.Db;
import dev.cortado.db.DbException;
import dev.cortado.db.DbRegistry;
import dev.cortado.db.Keys;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import dev.cortado.spark.Registries;
import dev.cortado.tensor.DecodeException;
import dev.cortado.tensor.Shapes;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorProtoCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.write.DataWriter;
import org.apache.spark.sql.connector.write.WriterCommitMessage;

/**
 * Writes one shard: its rows arrive sorted by key; they go into a new DB in a local staging folder;
 * {@link #commit()} closes it and moves it into {@code _temporary/<job>/}; {@link #abort()} deletes
 * whatever this attempt made.
 */
final class ShardDataWriter implements DataWriter<InternalRow> {
  /** Records per backend transaction. */
  static final int RECORDS_PER_COMMIT = 1000;

  private final WriteSpec spec;
  private final int shard;
  private final Path staging;
  private final Path stagedDb;
  private final Path temporary;
  private final String dbType;
  private Db db;
  private Transaction txn;
  private final Manifest.Shard stats = new Manifest.Shard();
  private byte[] lastKey;
  private int pending;
  private boolean done;

  ShardDataWriter(WriteSpec spec, int partitionId, long taskId) {
    this.spec = spec;
    this.shard = partitionId;
    if (partitionId >= spec.numShards()) {
      throw new IllegalStateException(
          spec.byInput()
              ? "tensorprotos: shard_by=input makes one shard of each input partition, but the"
                  + " input has more than num_shards="
                  + spec.numShards()
                  + " partitions (partition "
                  + partitionId
                  + "); repartition it or leave shard_by at key"
              : "tensorprotos: write task for partition "
                  + partitionId
                  + " of a write with num_shards="
                  + spec.numShards());
    }
    DbRegistry registry = Registries.get();
    this.dbType = registry.provider(spec.dbType()).name();
    TaskContext task = TaskContext.get();
    int attempt = task == null ? 0 : task.attemptNumber();
    String attemptName =
        ShardFiles.shardName(shard, spec.numShards()) + "-task-" + taskId + "-attempt-" + attempt;
    this.temporary = Path.of(spec.outDir(), ShardFiles.TEMPORARY, spec.jobId(), attemptName);
    try {
      Path root = Path.of(spec.stagingDir());
      Files.createDirectories(root);
      StagingFolders.removeAbandoned(root);
      this.staging = StagingFolders.create(root);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "tensorprotos: cannot create a staging folder in " + spec.stagingDir(), e);
    }
    this.stagedDb = staging.resolve("db");
    stats.db_type = dbType;
    try {
      db = registry.open(dbType, stagedDb.toString(), Mode.NEW);
      txn = db.newTransaction();
    } catch (RuntimeException e) {
      cleanUp(e);
      throw e;
    }
  }

  @Override
  public void write(InternalRow row) {
    byte[] key = spec.encoder().key(row);
    if (lastKey != null) {
      int order = Arrays.compareUnsigned(lastKey, key);
      if (order == 0) {
        throw new DecodeException(
            "tensorprotos: the key "
                + Keys.describe(key)
                + " occurs twice"
                + " in the data written to shard "
                + shard
                + " of "
                + spec.outDir()
                + "; keys must be unique");
      }
      if (order > 0) {
        throw new IllegalStateException(
            "tensorprotos: rows reached shard "
                + shard
                + " out of key order ("
                + Keys.describe(lastKey)
                + " before "
                + Keys.describe(key)
                + ")"
                + (spec.byInput()
                    ? "; with shard_by=input each input partition must be in ascending key order"
                    : ""));
      }
    }
    byte[] value = spec.encoder().value(row, key);
    txn.put(key, value);
    if (stats.records == 0) {
      stats.first_key_hex = HexFormat.of().formatHex(key);
      stats.schema = summarize(value);
    }
    stats.records++;
    stats.data_bytes += key.length + value.length;
    lastKey = key;
    if (++pending == RECORDS_PER_COMMIT) {
      txn.commit();
      pending = 0;
    }
  }

  @Override
  public WriterCommitMessage commit() throws IOException {
    Transaction t = txn;
    Db d = db;
    txn = null;
    db = null;
    try {
      t.close();
    } finally {
      d.close();
    }
    if (lastKey != null) {
      stats.last_key_hex = HexFormat.of().formatHex(lastKey);
    }
    stats.bytes = ShardFiles.size(stagedDb);
    ShardFiles.move(stagedDb, temporary);
    ShardFiles.deleteRecursively(staging);
    done = true;
    return new ShardCommitMessage(shard, temporary.toString(), stats);
  }

  @Override
  public void abort() throws IOException {
    cleanUp(null);
    ShardFiles.deleteRecursively(temporary);
  }

  @Override
  public void close() {
    if (!done) {
      cleanUp(null);
    }
  }

  /** Closes the DB if open and deletes the staging folder. */
  private void cleanUp(RuntimeException primary) {
    done = true;
    try {
      if (txn != null) {
        txn.close();
      }
    } catch (RuntimeException e) {
      if (primary != null) {
        primary.addSuppressed(e);
      }
    }
    try {
      if (db != null) {
        db.close();
      }
    } catch (RuntimeException e) {
      if (primary != null) {
        primary.addSuppressed(e);
      }
    }
    txn = null;
    db = null;
    try {
      ShardFiles.deleteRecursively(staging);
    } catch (IOException e) {
      if (primary != null) {
        primary.addSuppressed(e);
      }
    }
  }

  /** The first record's tensors as {@code BYTE[1,28,28] INT32[]}. */
  static String summarize(byte[] value) {
    try {
      List<Tensor> tensors = TensorProtoCodec.decodeRecord(ByteBuffer.wrap(value));
      StringBuilder sb = new StringBuilder();
      for (Tensor t : tensors) {
        if (sb.length() > 0) {
          sb.append(' ');
        }
        sb.append(t.dataType().name()).append(Shapes.toString(t.dims()));
      }
      return sb.toString();
    } catch (DecodeException | DbException e) {
      return "not TensorProtos (" + value.length + " bytes)";
    }
  }
}
