package dev.cortado.db.rocksdb;

import dev.cortado.db.DbChecks;
import dev.cortado.db.Transaction;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * A {@link RocksStore} transaction: a write batch that commit writes (non-sync, as Caffe2) and
 * starts the next.
 */
final class RocksTransaction implements Transaction {
  private final RocksStore store;
  private final WriteBatch batch = new WriteBatch();
  private final WriteOptions writeOptions = new WriteOptions();
  private boolean closed;

  RocksTransaction(RocksStore store) {
    this.store = store;
  }

  @Override
  public synchronized void put(byte[] key, byte[] value) {
    store.lock.readLock().lock();
    try {
      check("put");
      batch.put(key, value);
    } catch (RocksDBException e) {
      throw store.fail("put", e);
    } finally {
      store.lock.readLock().unlock();
    }
  }

  @Override
  public synchronized void commit() {
    store.lock.readLock().lock();
    try {
      check("commit");
      write();
    } finally {
      store.lock.readLock().unlock();
    }
  }

  private void write() {
    if (batch.count() == 0) {
      return;
    }
    try {
      store.db.write(writeOptions, batch);
      batch.clear();
    } catch (RocksDBException e) {
      throw store.fail("write of " + batch.count() + " puts", e);
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
    store.lock.readLock().lock();
    try {
      if (!store.closed) {
        write();
      }
    } finally {
      closed = true;
      batch.close();
      writeOptions.close();
      store.transactions.remove(this);
      store.lock.readLock().unlock();
    }
  }
}
