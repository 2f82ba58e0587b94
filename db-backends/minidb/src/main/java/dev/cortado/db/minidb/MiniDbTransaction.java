package dev.cortado.db.minidb;

import dev.cortado.db.DbChecks;
import dev.cortado.db.DbException;
import dev.cortado.db.Keys;
import dev.cortado.db.Transaction;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.Objects;

/**
 * Appends records to a minidb file through a 64 KiB buffer; {@link #commit()} writes the buffer and
 * forces it to disk. Unlike Caffe2's minidb transaction, which detaches from the file on commit,
 * this one keeps working after a commit. Records reach the file whole: a record never straddles two
 * buffer flushes unless it is larger than the buffer.
 */
final class MiniDbTransaction implements Transaction {
  private static final int BUFFER_BYTES = 1 << 16;

  private final MiniDb db;
  private final ByteBuffer buffer =
      ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
  private boolean closed;

  MiniDbTransaction(MiniDb db) {
    this.db = db;
  }

  /**
   * Appends one record. An empty key or value is rejected: Caffe2's minidb writes them but no
   * reader, Caffe2's included, can read them back.
   */
  @Override
  public void put(byte[] key, byte[] value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    synchronized (db.lock()) {
      checkOpen("put");
      if (key.length == 0 || value.length == 0) {
        throw new DbException(
            "minidb file "
                + db.path()
                + " cannot store "
                + (key.length == 0
                    ? "an empty key"
                    : "an empty value for key " + Keys.describe(key))
                + ": minidb lengths must be > 0, so no reader could read the record back");
      }
      long recordBytes = 8L + key.length + value.length;
      if (recordBytes > buffer.remaining()) {
        flush();
      }
      if (recordBytes <= buffer.remaining()) {
        buffer.putInt(key.length).putInt(value.length).put(key).put(value);
        return;
      }
      ByteBuffer header = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      header.putInt(key.length).putInt(value.length).flip();
      write(new ByteBuffer[] {header, ByteBuffer.wrap(key), ByteBuffer.wrap(value)});
    }
  }

  /** Writes the records put so far and forces them to disk; puts may follow. */
  @Override
  public void commit() {
    synchronized (db.lock()) {
      checkOpen("commit");
      flush();
      try {
        db.channel().force(false);
      } catch (IOException e) {
        throw new DbException(
            "cannot sync minidb file " + db.path() + " to disk: " + e.getMessage(), e);
      }
    }
  }

  /** Commits what is pending, as Caffe2's transaction destructor does. Idempotent. */
  @Override
  public void close() {
    synchronized (db.lock()) {
      if (closed) {
        return;
      }
      try {
        if (!db.isClosed()) {
          commit();
        }
      } finally {
        closed = true;
        db.transactionClosed(this);
      }
    }
  }

  private void checkOpen(String what) {
    DbChecks.transactionOpen(closed, db.isClosed(), db.type(), db.source(), what);
  }

  private void flush() {
    buffer.flip();
    try {
      write(new ByteBuffer[] {buffer});
    } finally {
      buffer.clear();
    }
  }

  private void write(ByteBuffer[] parts) {
    FileChannel channel = db.channel();
    try {
      long left = 0;
      for (ByteBuffer part : parts) {
        left += part.remaining();
      }
      while (left > 0) {
        left -= channel.write(parts);
      }
    } catch (IOException e) {
      throw new DbException(
          "cannot append to minidb file "
              + db.path()
              + ": "
              + e.getMessage()
              + " (the file may now end in a torn record; cortado repair-db --db "
              + db.path()
              + " copies its whole records into a new file)",
          e);
    }
  }
}
