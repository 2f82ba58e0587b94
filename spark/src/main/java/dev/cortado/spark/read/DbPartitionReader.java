package dev.cortado.spark.read;

import dev.cortado.CortadoException;
import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbException;
import dev.cortado.db.DbReader;
import dev.cortado.db.DbRegistry;
import dev.cortado.db.Keys;
import dev.cortado.db.Mode;
import dev.cortado.tensor.DecodeException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one {@link DbPartition}: a cursor scan (from a seek for a key range), or, for a shard,
 * exactly the records of one cycle of Cortado's {@link DbReader} for that shard.
 */
final class DbPartitionReader implements PartitionReader<InternalRow> {
  private static final Logger LOG = LoggerFactory.getLogger(DbPartitionReader.class);

  private final DbPartition partition;
  private final RecordDecoder decoder;
  private final boolean skipBad;
  private final LongAccumulator badRecords;

  private Db db;
  private Cursor cursor;
  private DbReader reader;

  /** Records left in the shard's cycle (sharded reads). */
  private long remaining;

  private boolean started;
  private InternalRow current;
  private long skipped;
  private String firstSkipped;

  DbPartitionReader(
      DbPartition partition,
      DbRegistry registry,
      RecordDecoder decoder,
      boolean skipBad,
      LongAccumulator badRecords) {
    this.partition = partition;
    this.decoder = decoder;
    this.skipBad = skipBad;
    this.badRecords = badRecords;
    String type = partition.source().dbType();
    String path = partition.source().path();
    if (partition.sharded()) {
      reader = DbReader.open(registry, type, path, partition.numShards(), partition.shardId());
      try {
        // The records from the shard start to the end of the DB; the shard takes every
        // numShards-th of them, which is one cycle of the reader.
        long toEnd = reader.scanToEnd((k, v) -> {});
        remaining = (toEnd + partition.numShards() - 1) / partition.numShards();
      } catch (RuntimeException e) {
        reader.close();
        throw e;
      }
    } else {
      db = registry.open(type, path, Mode.READ);
      try {
        cursor = db.newCursor();
      } catch (RuntimeException e) {
        db.close();
        throw e;
      }
    }
  }

  @Override
  public boolean next() {
    while (true) {
      boolean[] decoded = {false};
      boolean more = reader != null ? nextShardRecord(decoded) : nextCursorRecord(decoded);
      if (!more) {
        return false;
      }
      if (decoded[0]) {
        return true;
      }
    }
  }

  /** The next record of the shard's cycle; false at its end. */
  private boolean nextShardRecord(boolean[] decoded) {
    if (remaining == 0) {
      return false;
    }
    remaining--;
    reader.read((key, value) -> decoded[0] = decode(copy(key), value));
    return true;
  }

  /** The next record of the scan or range; false at its end. */
  private boolean nextCursorRecord(boolean[] decoded) {
    byte[] key;
    ByteBuffer value;
    try {
      if (!started) {
        started = true;
        if (partition.from() != null) {
          cursor.seek(partition.from());
        }
      } else {
        cursor.next();
      }
      if (!cursor.valid()) {
        return false;
      }
      key = copy(cursor.key());
      if (partition.to() != null && Arrays.compareUnsigned(key, partition.to()) >= 0) {
        return false;
      }
      value = cursor.value();
    } catch (RuntimeException e) {
      throw located(e);
    }
    decoded[0] = decode(key, value);
    return true;
  }

  /** Sets {@link #current}; false when the record was bad and skipped. */
  private boolean decode(byte[] key, ByteBuffer value) {
    try {
      current = decoder.decode(key, value);
      return true;
    } catch (DecodeException e) {
      if (!skipBad) {
        throw new DecodeException(
            partition.source()
                + ": "
                + e.getMessage()
                + " (use the option on_bad_record=skip to skip such records)",
            e);
      }
      skipped++;
      if (firstSkipped == null) {
        firstSkipped = Keys.describe(key) + ": " + e.getMessage();
      }
      if (badRecords != null) {
        badRecords.add(1);
      }
      return false;
    }
  }

  private RuntimeException located(RuntimeException e) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    if (message.contains(partition.source().path())) {
      return e;
    }
    return new DbException(partition + ": " + message, e);
  }

  @Override
  public InternalRow get() {
    return current;
  }

  @Override
  public void close() {
    if (skipped > 0) {
      LOG.warn(
          "tensorprotos: skipped {} undecodable record(s) of {} (on_bad_record=skip);"
              + " the first: {}",
          skipped,
          partition,
          firstSkipped);
    }
    CortadoException failure = null;
    try {
      if (reader != null) {
        reader.close();
      }
      if (cursor != null) {
        cursor.close();
      }
    } catch (CortadoException e) {
      failure = e;
    } finally {
      if (db != null) {
        db.close();
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static byte[] copy(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}
