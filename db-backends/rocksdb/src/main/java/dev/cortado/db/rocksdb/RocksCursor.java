package dev.cortado.db.rocksdb;

import dev.cortado.db.Cursor;
import dev.cortado.db.DbChecks;
import java.nio.ByteBuffer;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * A {@link RocksStore} cursor: an iterator whose key and value RocksDB copies once, into direct
 * buffers the cursor reuses and grows; {@link #key()} and {@link #value()} hand out read-only
 * slices of them.
 *
 * <p>Each JNI crossing costs tens of nanoseconds, so a record costs four: the move, one {@code
 * isValid} (cached in {@link #valid} for every accessor until the next move), the key and the
 * value.
 */
final class RocksCursor implements Cursor {
  private final RocksStore store;
  private final ReadOptions readOptions;
  private final RocksIterator iterator;
  private ByteBuffer keyBuf = ByteBuffer.allocateDirect(256);
  private ByteBuffer keyView = keyBuf.asReadOnlyBuffer();
  private ByteBuffer valueBuf = ByteBuffer.allocateDirect(64 * 1024);
  private ByteBuffer valueView = valueBuf.asReadOnlyBuffer();
  private int keyLen = -1; // -1: not fetched for the current position
  private int valueLen = -1;
  private boolean valid; // the iterator's isValid() after the last move
  private boolean freed;
  private boolean closed;

  RocksCursor(RocksStore store) {
    this.store = store;
    // fill_cache only when the whole DB fits the store's cache (decided at open): then later
    // epochs skip reading, checksumming and decompressing blocks; else a scan would only evict.
    // Checksums stay verified (RocksDB's default), so a corrupt block still fails the read.
    this.readOptions = new ReadOptions().setFillCache(store.fillCache);
    this.iterator = store.db.newIterator(readOptions);
    iterator.seekToFirst();
    moved();
  }

  @Override
  public synchronized void seekToFirst() {
    move(Move.FIRST, null);
  }

  @Override
  public synchronized void seek(byte[] key) {
    move(Move.SEEK, key);
  }

  @Override
  public boolean supportsSeek() {
    return true;
  }

  @Override
  public synchronized void next() {
    move(Move.NEXT, null);
  }

  private enum Move {
    FIRST,
    SEEK,
    NEXT
  }

  private void move(Move move, byte[] key) {
    check("move");
    switch (move) {
      case FIRST -> iterator.seekToFirst();
      case SEEK -> iterator.seek(key);
      case NEXT -> {
        DbChecks.onRecord(valid, store.type, store.source, "next");
        iterator.next();
      }
    }
    moved();
  }

  /** After a move: one isValid() call, and a read error hidden in the iterator is thrown. */
  private void moved() {
    keyLen = -1;
    valueLen = -1;
    valid = iterator.isValid();
    if (!valid) {
      try {
        iterator.status();
      } catch (RocksDBException e) {
        throw store.fail("iteration", e);
      }
    }
  }

  @Override
  public synchronized boolean valid() {
    check("valid");
    return valid;
  }

  @Override
  public synchronized ByteBuffer key() {
    checkValid("key");
    if (keyLen < 0) {
      keyLen = iterator.key(keyBuf.clear());
      if (keyLen > keyBuf.capacity()) {
        keyBuf = ByteBuffer.allocateDirect(grow(keyBuf.capacity(), keyLen));
        keyView = keyBuf.asReadOnlyBuffer();
        iterator.key(keyBuf);
      }
    }
    return keyView.slice(0, keyLen);
  }

  @Override
  public synchronized ByteBuffer value() {
    checkValid("value");
    if (valueLen < 0) {
      valueLen = iterator.value(valueBuf.clear());
      if (valueLen > valueBuf.capacity()) {
        valueBuf = ByteBuffer.allocateDirect(grow(valueBuf.capacity(), valueLen));
        valueView = valueBuf.asReadOnlyBuffer();
        iterator.value(valueBuf);
      }
    }
    return valueView.slice(0, valueLen);
  }

  /** Doubling growth, so a scan over growing values reallocates O(log n) times. */
  private static int grow(int capacity, int needed) {
    return (int) Math.max(needed, Math.min(Integer.MAX_VALUE - 8, 2L * capacity));
  }

  /**
   * Called with this cursor's monitor held; {@link #freed} without {@link #closed}: the DB's close.
   */
  private void check(String what) {
    DbChecks.cursorOpen(closed, freed, store.type, store.source, what);
  }

  private void checkValid(String what) {
    check(what);
    DbChecks.onRecord(valid, store.type, store.source, what);
  }

  /**
   * Takes only this cursor's monitor, never the store's lock: the DB's close holds that lock while
   * it takes each cursor's monitor (in {@link #freeNative}).
   */
  @Override
  public synchronized void close() {
    closed = true;
    freeNative();
    store.cursors.remove(this);
  }

  /**
   * Frees the iterator before its read options, under this cursor's monitor, so that it waits for a
   * call in flight on this cursor; every later call sees {@link #freed} and throws.
   */
  synchronized void freeNative() {
    if (!freed) {
      freed = true;
      iterator.close();
      readOptions.close();
    }
  }
}
