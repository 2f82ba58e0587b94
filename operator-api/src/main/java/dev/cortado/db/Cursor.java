package dev.cortado.db;

import java.nio.ByteBuffer;
import java.util.OptionalLong;

/**
 * An iterator over a DB's records in the backend's order. Created positioned on the first record.
 *
 * <p><b>Buffer contract.</b> {@link #key()} and {@link #value()} return read-only buffers that may
 * point straight into the backend's storage (an LMDB map, a minidb mapping). They are valid only
 * until the next call that moves or closes this cursor; a caller that needs the bytes longer copies
 * them. Their position is 0 and their limit is the length.
 *
 * <p>A cursor is used by one thread at a time. After its DB is closed every call throws {@link
 * DbException}; none may crash the JVM.
 */
public interface Cursor extends AutoCloseable {
  /** Moves to the first record (or to invalid when the DB is empty). */
  void seekToFirst();

  /** Moves to the first record whose key is >= {@code key} in the backend's order. */
  default void seek(byte[] key) {
    throw new DbException("this db type does not support seeking");
  }

  /** True when {@link #seek} works. */
  default boolean supportsSeek() {
    return false;
  }

  /** Moves to the next record; invalid after the last one. */
  void next();

  /** True while the cursor is on a record. */
  boolean valid();

  /** The current key; see the buffer contract. Throws when not {@link #valid()}. */
  ByteBuffer key();

  /** The current value; see the buffer contract. Throws when not {@link #valid()}. */
  ByteBuffer value();

  /**
   * Where the current record is, for messages: for example {@code "byte offset 305"}. Empty when
   * the backend has nothing better than the key.
   */
  default String location() {
    return "";
  }

  /**
   * A backend-defined position of the current record that {@link #seekToPosition} returns to, for
   * backends that cannot seek by key (minidb: the record's byte offset). Empty when the backend has
   * no such position or the cursor is not on a record. {@link DbReader} checkpoints use it.
   */
  default OptionalLong position() {
    return OptionalLong.empty();
  }

  /**
   * Moves to a position that {@link #position()} returned earlier on the same, unchanged DB.
   * Backends without positions throw {@link DbException}.
   */
  default void seekToPosition(long position) {
    throw new DbException("this db type cannot seek to a saved position");
  }

  @Override
  void close();
}
