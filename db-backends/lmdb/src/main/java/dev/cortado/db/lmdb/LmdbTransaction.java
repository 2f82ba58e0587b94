package dev.cortado.db.lmdb;

import dev.cortado.db.DbChecks;
import dev.cortado.db.Transaction;
import java.util.ArrayList;
import java.util.List;

/**
 * An {@link LmdbStore} transaction: pending puts, written in one LMDB write transaction per commit.
 */
final class LmdbTransaction implements Transaction {
  private final LmdbStore store;
  private final List<byte[]> pending = new ArrayList<>();
  private long pendingBytes;
  private boolean closed;

  LmdbTransaction(LmdbStore store) {
    this.store = store;
  }

  @Override
  public synchronized void put(byte[] key, byte[] value) {
    check("put");
    // Copies: the caller may reuse its arrays once put returns, as with Caffe2's by-value strings.
    pending.add(key.clone());
    pending.add(value.clone());
    pendingBytes += key.length + value.length;
    if (pending.size() >= 2 * LmdbStore.AUTO_COMMIT_PUTS
        || pendingBytes >= LmdbStore.AUTO_COMMIT_BYTES) {
      flush();
    }
  }

  @Override
  public synchronized void commit() {
    check("commit");
    flush();
  }

  private void flush() {
    if (pending.isEmpty()) {
      return;
    }
    try {
      store.write(pending, pendingBytes);
    } finally {
      // A failed batch is reported once, not again by every later commit or close.
      pending.clear();
      pendingBytes = 0;
    }
  }

  private void check(String what) {
    DbChecks.transactionOpen(closed, store.closed, store.type, store.source, what);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    try {
      if (!store.closed) {
        flush();
      }
    } finally {
      closed = true;
      pending.clear();
      store.transactions.remove(this);
    }
  }
}
