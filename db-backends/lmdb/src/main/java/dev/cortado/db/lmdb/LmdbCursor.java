package dev.cortado.db.lmdb;

import dev.cortado.db.Cursor;
import dev.cortado.db.DbChecks;
import java.nio.ByteBuffer;
import org.lmdbjava.GetOp;
import org.lmdbjava.LmdbException;
import org.lmdbjava.Txn;

/**
 * An {@link LmdbStore} cursor on its own read transaction. The key and value it hands out are
 * read-only views into the map, valid until the cursor moves or closes.
 *
 * <p>Per record this is the hot path of every LMDB read, so no call takes a lock (a monitor per
 * move cost ~8 ns of a ~30 ns move): like every {@link Cursor} it is used by one thread at a time,
 * its own {@link #close()} included ({@link dev.cortado.db.DbReader} does so under its lock). What
 * another thread may do at any time is close the DB: each call checks the volatile closed flags
 * once, and the store's reference count keeps the map and this cursor's transaction alive until
 * this cursor is closed, so a reader that is inside a call finishes safely and its next call
 * throws. {@link #valid()}, {@link #key()} and {@link #value()} only read fields and re-point this
 * cursor's two reusable read-only views ({@link MapViews}) at lmdbjava's current key and value, so
 * they neither lock nor allocate.
 */
final class LmdbCursor implements Cursor {
  private final LmdbStore store;
  private final Txn<ByteBuffer> txn;
  private final org.lmdbjava.Cursor<ByteBuffer> cursor;

  /** Reused read-only views, or null where {@link MapViews#AVAILABLE} is false. */
  private final ByteBuffer keyView = MapViews.newView();

  private final ByteBuffer valueView = MapViews.newView();
  private ByteBuffer seekKey;
  private boolean valid;
  private volatile boolean closed;

  LmdbCursor(LmdbStore store) {
    this.store = store;
    try {
      this.txn = store.env.txnRead();
    } catch (LmdbException e) {
      throw store.fail("begin read transaction", e);
    }
    try {
      this.cursor = store.dbi.openCursor(txn);
      this.valid = cursor.first();
    } catch (LmdbException e) {
      txn.close();
      throw store.fail("open cursor", e);
    }
  }

  @Override
  public void seekToFirst() {
    check("seekToFirst");
    try {
      valid = cursor.first();
    } catch (LmdbException e) {
      throw store.fail("cursor move", e);
    }
  }

  @Override
  public void seek(byte[] key) {
    check("seek");
    try {
      if (key.length == 0) {
        valid = cursor.first();
        return;
      }
      if (seekKey == null || seekKey.capacity() < key.length) {
        seekKey = ByteBuffer.allocateDirect(Math.max(key.length, 64));
      }
      seekKey.clear().put(key).flip();
      valid = cursor.get(seekKey, GetOp.MDB_SET_RANGE);
    } catch (LmdbException e) {
      throw store.fail("cursor move", e);
    }
  }

  @Override
  public boolean supportsSeek() {
    return true;
  }

  @Override
  public void next() {
    check("next");
    DbChecks.onRecord(valid, store.type, store.source, "next");
    try {
      valid = cursor.next();
    } catch (LmdbException e) {
      throw store.fail("cursor move", e);
    }
  }

  @Override
  public boolean valid() {
    check("valid");
    return valid;
  }

  @Override
  public ByteBuffer key() {
    checkValid("key");
    return MapViews.view(keyView, cursor.key());
  }

  @Override
  public ByteBuffer value() {
    checkValid("value");
    return MapViews.view(valueView, cursor.val());
  }

  private void check(String what) {
    DbChecks.cursorOpen(closed, store.closed, store.type, store.source, what);
  }

  private void checkValid(String what) {
    check(what);
    DbChecks.onRecord(valid, store.type, store.source, what);
  }

  /** Idempotent; synchronized only so that two racing closes release the reference once. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      cursor.close();
      txn.close();
    } finally {
      store.release();
    }
  }
}
