package dev.cortado.db.memory;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbChecks;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;

/** One open handle on a named in-memory map; see {@link MemoryDbProvider}. */
final class MemoryDb implements Db {
  private final String type;
  private final String source;
  private final Mode mode;
  private final ConcurrentNavigableMap<byte[], byte[]> records;
  private final Set<MemoryTransaction> transactions = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  MemoryDb(String type, String source, Mode mode, ConcurrentNavigableMap<byte[], byte[]> records) {
    this.type = type;
    this.source = source;
    this.mode = mode;
    this.records = records;
  }

  @Override
  public String source() {
    return source;
  }

  @Override
  public String type() {
    return type;
  }

  @Override
  public Mode mode() {
    return mode;
  }

  @Override
  public Cursor newCursor() {
    check("newCursor");
    return new MemoryCursor();
  }

  @Override
  public Transaction newTransaction() {
    check("newTransaction");
    DbChecks.writable(mode, type, source);
    MemoryTransaction txn = new MemoryTransaction();
    transactions.add(txn);
    return txn;
  }

  /**
   * Commits what open transactions still hold, as the native backends do, then marks this handle
   * closed; the records stay under the name.
   */
  @Override
  public void close() {
    for (MemoryTransaction txn : transactions) {
      txn.close();
    }
    closed = true;
  }

  private void check(String what) {
    DbChecks.dbOpen(closed, type, source, what);
  }

  /**
   * Walks the map by key ({@code higherEntry}), so puts from another handle while it reads neither
   * break it nor repeat records.
   */
  private final class MemoryCursor implements Cursor {
    private Map.Entry<byte[], byte[]> current = records.firstEntry();
    private boolean cursorClosed;

    @Override
    public void seekToFirst() {
      check("seekToFirst");
      current = records.firstEntry();
    }

    @Override
    public void seek(byte[] key) {
      check("seek");
      current = records.ceilingEntry(key);
    }

    @Override
    public boolean supportsSeek() {
      return true;
    }

    @Override
    public void next() {
      checkValid("next");
      current = records.higherEntry(current.getKey());
    }

    @Override
    public boolean valid() {
      check("valid");
      return current != null;
    }

    @Override
    public ByteBuffer key() {
      checkValid("key");
      return ByteBuffer.wrap(current.getKey()).asReadOnlyBuffer();
    }

    @Override
    public ByteBuffer value() {
      checkValid("value");
      return ByteBuffer.wrap(current.getValue()).asReadOnlyBuffer();
    }

    private void check(String what) {
      DbChecks.cursorOpen(cursorClosed, closed, type, source, what);
    }

    private void checkValid(String what) {
      check(what);
      DbChecks.onRecord(current != null, type, source, what);
    }

    @Override
    public void close() {
      cursorClosed = true;
    }
  }

  /** Puts kept aside until commit, so a reader never sees half a batch. */
  private final class MemoryTransaction implements Transaction {
    private final List<byte[]> pending = new ArrayList<>();
    private boolean txnClosed;

    @Override
    public synchronized void put(byte[] key, byte[] value) {
      check("put");
      pending.add(key.clone());
      pending.add(value.clone());
    }

    @Override
    public synchronized void commit() {
      check("commit");
      flush();
    }

    private void flush() {
      for (int i = 0; i < pending.size(); i += 2) {
        records.put(pending.get(i), pending.get(i + 1));
      }
      pending.clear();
    }

    private void check(String what) {
      DbChecks.transactionOpen(txnClosed, closed, type, source, what);
    }

    /** Commits pending puts, as every Caffe2 transaction does on destruction. */
    @Override
    public synchronized void close() {
      if (!txnClosed && !closed) {
        flush();
      }
      txnClosed = true;
      transactions.remove(this);
    }
  }
}
