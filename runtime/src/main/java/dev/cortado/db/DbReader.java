package dev.cortado.db;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.cortado.proto.DBReaderProto;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A thread-safe, endlessly wrapping, optionally sharded reader over one DB, with Caffe2's {@code
 * DBReader} semantics; it is what {@code CreateDB} puts in a blob.
 *
 * <p><b>Order.</b> Shard {@code k} of {@code S} returns the records at iteration positions {@code
 * k, k+S, k+2S, ...} in the backend's order and, when the next position would be past the end,
 * starts again at position {@code k}: with 10 records and 3 shards, shard 1 returns 1, 4, 7, 1, 4,
 * .... Each read hands out the current record, then moves the cursor {@code S} steps under the same
 * lock, exactly as Caffe2's {@code Read} does; several threads sharing one reader get interleaved
 * records.
 *
 * <p><b>Where Cortado differs from Caffe2</b> (each a documented Caffe2 weakness): an empty DB is a
 * {@link DbException} when the reader is opened instead of undefined behaviour; an error while
 * moving past a record (a torn minidb tail, say) does not lose that record: the record is returned
 * and the next read throws, and so does every read after it until {@link #seekToFirst()}; a reader
 * built over a {@link Db} reports that DB's real type and source; shard settings survive a
 * checkpoint; reading after {@link #close()} is a {@link DbException}.
 *
 * <p><b>Checkpoints.</b> {@link #toProto(String)} stores {@code name}, {@code source}, {@code
 * db_type} and, for backends whose cursor {@link Cursor#supportsSeek() seeks}, the key of the next
 * record to be read in {@code key}, as Caffe2 does. Cortado adds fields that Caffe2 ignores as
 * unknown fields: the next record's {@link Cursor#position() position} and key for backends that
 * cannot seek by key (minidb: its byte offset), and the shard settings when not 1/0. {@link
 * #fromProto} resumes exactly after the last record returned when the proto has a key or a
 * position, and at the shard start otherwise (a checkpoint Caffe2 wrote for minidb starts over at
 * record 0, as in Caffe2).
 */
public final class DbReader implements AutoCloseable {
  /**
   * Unknown-to-Caffe2 DBReaderProto field: the next record's {@link Cursor#position()} (varint).
   */
  public static final int POSITION_FIELD = 1000;

  /**
   * Unknown-to-Caffe2 DBReaderProto field: the key at {@link #POSITION_FIELD}, to detect a changed
   * file.
   */
  public static final int POSITION_KEY_FIELD = 1001;

  /** Unknown-to-Caffe2 DBReaderProto field: num_shards when it is not 1 (varint). */
  public static final int NUM_SHARDS_FIELD = 1002;

  /** Unknown-to-Caffe2 DBReaderProto field: shard_id when num_shards is not 1 (varint). */
  public static final int SHARD_ID_FIELD = 1003;

  /** A copied record, from {@link #read()}. */
  public record Record(byte[] key, byte[] value) {
    public Record {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Record r && Arrays.equals(key, r.key) && Arrays.equals(value, r.value);
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(key) + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
      return "Record[key=" + Keys.describe(key) + ", value=" + value.length + " bytes]";
    }
  }

  private final ReentrantLock lock = new ReentrantLock();
  private final Db db;
  private final Cursor cursor;
  private final String dbType;
  private final String source;
  private final int numShards;
  private final int shardId;

  /** The cursor's iteration position in the DB's order, for messages; -1 after a seek. */
  private long index;

  /** A failure while moving the cursor; thrown by every read until {@link #seekToFirst()}. */
  private DbException failure;

  private boolean closed;

  /**
   * A reader over an already open DB, like Caffe2's second {@code Open} overload. The reader owns
   * {@code db} from now on and closes it in {@link #close()}, also when this constructor fails.
   */
  public DbReader(Db db, int numShards, int shardId) {
    this(db, Objects.requireNonNull(db, "db").type(), numShards, shardId);
  }

  private DbReader(Db db, String dbType, int numShards, int shardId) {
    this.db = db;
    this.dbType = dbType;
    this.source = db.source();
    this.numShards = numShards;
    this.shardId = shardId;
    Cursor opened = null;
    try {
      checkShards(numShards, shardId, where(db.source(), dbType));
      opened = db.newCursor();
    } catch (RuntimeException e) {
      closeAfterFailure(e, null, db);
      throw e;
    }
    this.cursor = opened;
    try {
      moveToBeginning();
    } catch (RuntimeException e) {
      closeAfterFailure(e, opened, db);
      throw e;
    }
  }

  /** Opens {@code source} read-only with the backend {@code dbType}, unsharded. */
  public static DbReader open(DbRegistry registry, String dbType, String source) {
    return open(registry, dbType, source, 1, 0);
  }

  /**
   * Opens {@code source} read-only with the backend {@code dbType} as shard {@code shardId} of
   * {@code numShards}, positioned on the shard's first record. Needs {@code numShards >= 1} and
   * {@code 0 <= shardId < numShards}; an empty DB, or one with fewer records than {@code shardId +
   * 1}, is a {@link DbException}.
   */
  public static DbReader open(
      DbRegistry registry, String dbType, String source, int numShards, int shardId) {
    checkShards(numShards, shardId, where(source, dbType));
    Db db = registry.open(dbType, source, Mode.READ);
    return new DbReader(db, dbType, numShards, shardId);
  }

  /**
   * Reopens a reader saved by {@link #toProto(String)} (or by Caffe2). It resumes exactly after the
   * last record the saved reader returned when the proto holds a key (seekable backends) or a
   * Cortado position (minidb); otherwise it starts at the shard start. A key for a backend that
   * cannot seek is a {@link DbException}, as in Caffe2; a position whose record no longer holds the
   * saved key (the file changed) is one too.
   */
  public static DbReader fromProto(DbRegistry registry, DBReaderProto proto) {
    UnknownFieldSet extra = proto.getUnknownFields();
    int numShards = shardSetting(proto, NUM_SHARDS_FIELD, 1);
    int shardId = shardSetting(proto, SHARD_ID_FIELD, 0);
    DbReader reader = open(registry, proto.getDbType(), proto.getSource(), numShards, shardId);
    try {
      if (proto.hasKey()) {
        reader.resumeAtKey(proto.getName(), proto.getKeyBytes().toByteArray());
      } else if (extra.hasField(POSITION_FIELD)) {
        List<ByteString> keys =
            extra.hasField(POSITION_KEY_FIELD)
                ? extra.getField(POSITION_KEY_FIELD).getLengthDelimitedList()
                : List.of();
        reader.resumeAtPosition(
            proto.getName(),
            lastVarint(extra, POSITION_FIELD, 0),
            keys.isEmpty() ? null : keys.get(keys.size() - 1).toByteArray());
      }
    } catch (RuntimeException e) {
      closeAfterFailure(e, null, reader);
      throw e;
    }
    return reader;
  }

  /**
   * Hands the current record to {@code visitor} without copying, then moves to the next record of
   * this shard (wrapping to the shard start after the last). The record counts as read even when
   * the visitor throws, as in Caffe2 where decoding happens after the read.
   */
  public void read(RecordVisitor visitor) {
    Objects.requireNonNull(visitor, "visitor");
    lock.lock();
    try {
      visitCurrent(visitor);
    } finally {
      lock.unlock();
    }
  }

  /** Reads the next record into fresh arrays; see {@link #read(RecordVisitor)}. */
  public Record read() {
    Record[] out = new Record[1];
    read((key, value) -> out[0] = new Record(bytes(key), bytes(value)));
    return out[0];
  }

  /**
   * Reads {@code n} consecutive records of this shard under one lock acquisition, handing each to
   * {@code visitor} in order. The records are the ones {@code n} calls of {@link
   * #read(RecordVisitor)} would return, in the same order (Caffe2's order per reader); holding the
   * lock once per batch only keeps other threads from interleaving inside it. A failure after some
   * records were visited throws; those records count as read.
   */
  public void readBatch(int n, RecordVisitor visitor) {
    if (n < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, got " + n);
    }
    Objects.requireNonNull(visitor, "visitor");
    lock.lock();
    try {
      for (int i = 0; i < n; i++) {
        visitCurrent(visitor);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Like {@link #readBatch}, but stops right after the record that ends this shard's cycle (the one
   * after which the reader wraps to the shard start), so a caller can read epoch by epoch. Returns
   * how many records were visited, 1 to {@code n}; the next call starts the next cycle.
   */
  public int readBatchInCycle(int n, RecordVisitor visitor) {
    if (n < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, got " + n);
    }
    Objects.requireNonNull(visitor, "visitor");
    lock.lock();
    try {
      for (int i = 0; i < n; i++) {
        if (visitCurrent(visitor)) {
          return i + 1;
        }
      }
      return n;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Visits every record from the current one to the last in the backend's order, ignoring the shard
   * settings and without wrapping, as Caffe2's {@code Load} does with a reader's raw cursor; then
   * moves back to the shard start. Returns the number of records visited. Runs under the lock, so
   * other readers of this reader wait.
   */
  public long scanToEnd(RecordVisitor visitor) {
    Objects.requireNonNull(visitor, "visitor");
    lock.lock();
    try {
      checkOpen();
      if (failure != null) {
        throw new DbException(failure.getMessage(), failure);
      }
      long visited = 0;
      try {
        while (true) {
          ByteBuffer key;
          ByteBuffer value;
          try {
            if (!cursor.valid()) {
              break;
            }
            key = cursor.key();
            value = cursor.value();
          } catch (RuntimeException e) {
            throw fail(e, "scanning record #" + index);
          }
          visitor.visit(key, value);
          visited++;
          try {
            cursor.next();
            index = index < 0 ? index : index + 1;
          } catch (RuntimeException e) {
            throw fail(e, "moving past record #" + index);
          }
        }
      } finally {
        if (failure == null) {
          try {
            moveToBeginning();
          } catch (RuntimeException e) {
            fail(e, "moving to the shard start");
          }
        }
      }
      return visited;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Moves back to the shard start (the first record, then {@code shardId} more), as Caffe2's {@code
   * SeekToFirst}; it also clears a failure that earlier reads kept throwing.
   */
  public void seekToFirst() {
    lock.lock();
    try {
      checkOpen();
      failure = null;
      try {
        moveToBeginning();
      } catch (RuntimeException e) {
        throw fail(e, "moving to the shard start");
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * A checkpoint of this reader as Caffe2's {@code DBReaderProto}: {@code name}, {@code source},
   * {@code db_type} and, for a seekable backend, the key of the next record to be read; see the
   * class comment for the fields Cortado adds.
   */
  public DBReaderProto toProto(String name) {
    lock.lock();
    try {
      checkOpen();
      if (failure != null) {
        throw new DbException(
            "cannot checkpoint the reader of "
                + where()
                + ": it failed earlier: "
                + failure.getMessage(),
            failure);
      }
      DBReaderProto.Builder proto =
          DBReaderProto.newBuilder().setName(name).setSource(source).setDbType(dbType);
      UnknownFieldSet.Builder extra = UnknownFieldSet.newBuilder();
      try {
        if (cursor.supportsSeek()) {
          proto.setKeyBytes(ByteString.copyFrom(cursor.key().duplicate()));
        } else {
          OptionalLong position = cursor.position();
          if (position.isPresent()) {
            extra.addField(POSITION_FIELD, varint(position.getAsLong()));
            extra.addField(
                POSITION_KEY_FIELD,
                UnknownFieldSet.Field.newBuilder()
                    .addLengthDelimited(ByteString.copyFrom(cursor.key().duplicate()))
                    .build());
          }
        }
      } catch (RuntimeException e) {
        throw fail(e, "saving a checkpoint");
      }
      if (numShards != 1) {
        extra.addField(NUM_SHARDS_FIELD, varint(numShards));
        extra.addField(SHARD_ID_FIELD, varint(shardId));
      }
      return proto.setUnknownFields(extra.build()).build();
    } finally {
      lock.unlock();
    }
  }

  /** The path or other source of the DB. */
  public String source() {
    return source;
  }

  /** The db_type as given to {@link #open} (or the DB's own type for a reader built over a DB). */
  public String dbType() {
    return dbType;
  }

  public int numShards() {
    return numShards;
  }

  public int shardId() {
    return shardId;
  }

  /**
   * Closes the cursor and the DB. Idempotent. It waits for a read in progress on another thread
   * (reads hold the same lock), so no visitor ever sees a closed backend; later reads throw {@link
   * DbException}.
   */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      RuntimeException first = null;
      try {
        cursor.close();
      } catch (RuntimeException e) {
        first = e;
      }
      try {
        db.close();
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
      if (first != null) {
        throw first instanceof DbException d
            ? d
            : new DbException("closing " + where() + " failed: " + first, first);
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "DbReader[" + where() + ", shard " + shardId + " of " + numShards + "]";
  }

  // ---- internals; every method below runs with the lock held (or in the constructor) ----

  /** Visits the current record and advances; true when the advance wrapped to the shard start. */
  private boolean visitCurrent(RecordVisitor visitor) {
    checkOpen();
    if (failure != null) {
      throw new DbException(failure.getMessage(), failure);
    }
    ByteBuffer key;
    ByteBuffer value;
    try {
      if (!cursor.valid()) {
        throw empty();
      }
      key = cursor.key();
      value = cursor.value();
    } catch (RuntimeException e) {
      throw fail(e, "reading record #" + index);
    }
    boolean wrapped = false;
    try {
      visitor.visit(key, value);
    } finally {
      wrapped = advance();
    }
    return wrapped;
  }

  /**
   * Caffe2's advance: {@code numShards} steps, back to the shard start when the end is hit. True
   * when it went back to the shard start, that is, the record just visited ended the shard's cycle.
   */
  private boolean advance() {
    try {
      for (int step = 0; step < numShards; step++) {
        cursor.next();
        index = index < 0 ? index : index + 1;
        if (!cursor.valid()) {
          moveToBeginning();
          return true;
        }
      }
    } catch (RuntimeException e) {
      // Deferred: the record just visited is delivered; the next read reports this.
      fail(e, "moving past record #" + index);
    }
    return false;
  }

  /** Caffe2's MoveToBeginning: the first record, then {@code shardId} more. */
  private void moveToBeginning() {
    cursor.seekToFirst();
    index = 0;
    if (!cursor.valid()) {
      throw empty();
    }
    for (int i = 0; i < shardId; i++) {
      cursor.next();
      index++;
      if (!cursor.valid()) {
        throw new DbException(
            where()
                + " has fewer rows than shard id: shard_id "
                + shardId
                + " of num_shards "
                + numShards
                + " needs at least "
                + (shardId + 1)
                + " records, the db has "
                + (i + 1));
      }
    }
  }

  private void resumeAtKey(String name, byte[] key) {
    if (!cursor.supportsSeek()) {
      throw new DbException(
          "DBReaderProto '"
              + name
              + "' resumes at key "
              + Keys.describe(key)
              + ", which needs seeking, but db_type '"
              + dbType
              + "' does not support it ("
              + source
              + ")");
    }
    lock.lock();
    try {
      cursor.seek(key);
      index = -1;
      if (!cursor.valid()) {
        // Every key is below the saved one: continue as a read past the end would, at the start.
        moveToBeginning();
      }
    } catch (RuntimeException e) {
      throw fail(e, "seeking to the checkpoint key " + Keys.describe(key));
    } finally {
      lock.unlock();
    }
  }

  private void resumeAtPosition(String name, long position, byte[] expectedKey) {
    lock.lock();
    try {
      try {
        cursor.seekToPosition(position);
      } catch (RuntimeException e) {
        throw new DbException(
            "DBReaderProto '"
                + name
                + "' resumes at position "
                + position
                + " of "
                + where()
                + ", which no longer holds a record (the db changed since the checkpoint): "
                + e.getMessage(),
            e);
      }
      index = -1;
      if (!cursor.valid()) {
        throw new DbException(
            "DBReaderProto '"
                + name
                + "' resumes at position "
                + position
                + ", which is past the"
                + " end of "
                + where()
                + ": the db changed since the checkpoint");
      }
      if (expectedKey != null) {
        ByteBuffer found = cursor.key();
        if (!found.equals(ByteBuffer.wrap(expectedKey))) {
          throw new DbException(
              "DBReaderProto '"
                  + name
                  + "' resumes at "
                  + describePosition(position)
                  + " of "
                  + where()
                  + ", expecting key "
                  + Keys.describe(expectedKey)
                  + " there, but found "
                  + Keys.describe(found)
                  + ": the db changed since the checkpoint");
        }
      }
    } finally {
      lock.unlock();
    }
  }

  private String describePosition(long position) {
    String location = cursor.location();
    return location.isEmpty() ? "position " + position : location;
  }

  private void checkOpen() {
    if (closed) {
      throw new DbException("the reader of " + where() + " is closed");
    }
  }

  /** Records {@code e} as this reader's failure, with the path and type if it lacks them. */
  private DbException fail(RuntimeException e, String doing) {
    DbException wrapped;
    String message = e.getMessage();
    if (e instanceof DbException d && message != null && message.contains(source)) {
      wrapped = d;
    } else {
      String location = "";
      try {
        location = cursor == null ? "" : cursor.location();
      } catch (RuntimeException ignored) {
        // The location is a nicety; the cause below is what matters.
      }
      wrapped =
          new DbException(
              where()
                  + ": "
                  + doing
                  + (location.isEmpty() ? "" : " (" + location + ")")
                  + ": "
                  + (message == null ? e.toString() : message),
              e);
    }
    failure = wrapped;
    return wrapped;
  }

  private DbException empty() {
    return new DbException(
        where() + " is empty: a reader needs at least one record to read (and to wrap around to)");
  }

  private String where() {
    return where(source, dbType);
  }

  private static String where(String source, String dbType) {
    return "db at " + source + " (" + dbType + ")";
  }

  private static void checkShards(int numShards, int shardId, String where) {
    if (numShards < 1) {
      throw new DbException("num_shards must be >= 1, got " + numShards + " for " + where);
    }
    if (shardId < 0 || shardId >= numShards) {
      throw new DbException(
          "shard_id must be in [0, num_shards) = [0, "
              + numShards
              + "), got "
              + shardId
              + " for "
              + where);
    }
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.duplicate().get(out);
    return out;
  }

  private static int shardSetting(DBReaderProto proto, int field, int absent) {
    long value = lastVarint(proto.getUnknownFields(), field, absent);
    if (value < 0 || value > Integer.MAX_VALUE) {
      throw new DbException(
          "DBReaderProto '"
              + proto.getName()
              + "' holds an invalid shard setting "
              + value
              + " in field "
              + field
              + " ("
              + where(proto.getSource(), proto.getDbType())
              + ")");
    }
    return (int) value;
  }

  private static UnknownFieldSet.Field varint(long value) {
    return UnknownFieldSet.Field.newBuilder().addVarint(value).build();
  }

  private static long lastVarint(UnknownFieldSet fields, int number, long absent) {
    if (!fields.hasField(number)) {
      return absent;
    }
    List<Long> values = fields.getField(number).getVarintList();
    return values.isEmpty() ? absent : values.get(values.size() - 1);
  }

  private static void closeAfterFailure(RuntimeException failure, Cursor cursor, AutoCloseable db) {
    try {
      if (cursor != null) {
        cursor.close();
      }
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
    }
    try {
      db.close();
    } catch (Exception e) {
      failure.addSuppressed(e);
    }
  }
}
