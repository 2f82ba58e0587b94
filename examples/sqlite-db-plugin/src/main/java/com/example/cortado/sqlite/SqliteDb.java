package com.example.cortado.sqlite;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbChecks;
import dev.cortado.db.DbException;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Properties;

/**
 * A SQLite file holding one table {@code records(key BLOB PRIMARY KEY, value BLOB)}. SQLite orders
 * BLOBs with memcmp, so cursors see keys in unsigned byte order, like LMDB and LevelDB.
 *
 * <p>Every call goes through {@link #call}, which holds this object's lock and checks {@code
 * closed}: {@link #close()} waits for a call in flight, and every later call throws.
 */
final class SqliteDb implements Db {
  private final String source;
  private final Mode mode;
  private final Connection conn;
  private boolean closed;

  SqliteDb(String source, Mode mode) {
    this.source = source;
    this.mode = mode;
    if (mode == Mode.READ && !Files.isRegularFile(Path.of(source))) {
      throw new DbException("sqlite: cannot open '" + source + "' for READ: no such file");
    }
    if (mode == Mode.NEW && Files.exists(Path.of(source))) {
      throw new DbException("sqlite: cannot create '" + source + "' (NEW): it already exists");
    }
    Properties props = new Properties();
    props.setProperty("open_mode", mode == Mode.READ ? "1" : "6"); // READONLY | READWRITE+CREATE
    try {
      conn = DriverManager.getConnection("jdbc:sqlite:" + source, props);
      if (mode != Mode.READ) {
        conn.createStatement().execute("CREATE TABLE IF NOT EXISTS records"
            + " (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID");
      }
      conn.setAutoCommit(false);
    } catch (SQLException e) {
      throw new DbException("sqlite: cannot open '" + source + "' for " + mode + ": " + e, e);
    }
  }

  @Override public String source() { return source; }
  @Override public String type() { return "sqlite"; }
  @Override public Mode mode() { return mode; }

  @Override public Cursor newCursor() { return call("newCursor", SqliteCursor::new); }

  @Override
  public Transaction newTransaction() {
    DbChecks.writable(mode, type(), source);
    return call("newTransaction", SqliteTransaction::new);
  }

  /** Commits pending puts, as Caffe2's backends do, then closes the connection. Idempotent. */
  @Override
  public synchronized void close() {
    if (!closed) {
      call("close", () -> {
        try (conn) {
          conn.commit();
        }
        return null;
      });
      closed = true;
    }
  }

  private interface Sql<T> {
    T run() throws SQLException;
  }

  /** Runs one JDBC step under the lock; the one place that turns SQLExceptions into DbExceptions. */
  private synchronized <T> T call(String what, Sql<T> step) {
    DbChecks.dbOpen(closed, type(), source, what);
    try {
      return step.run();
    } catch (SQLException e) {
      throw new DbException("sqlite '" + source + "': " + what + " failed: " + e.getMessage(), e);
    }
  }

  /** A query in key order; seeking starts a new query at the target key. */
  private final class SqliteCursor implements Cursor {
    private final PreparedStatement query =
        conn.prepareStatement("SELECT key, value FROM records WHERE key >= ? ORDER BY key");
    private ResultSet rows;
    private boolean valid;

    SqliteCursor() throws SQLException {
      seekToFirst();
    }

    @Override public void seekToFirst() { seek(new byte[0]); }
    @Override public boolean supportsSeek() { return true; }

    @Override
    public void seek(byte[] key) {
      valid = call("seek", () -> {
        query.setBytes(1, key);
        rows = query.executeQuery();
        return rows.next();
      });
    }

    @Override public void next() { valid = call("next", () -> valid && rows.next()); }
    @Override public boolean valid() { return call("valid", () -> valid); }

    @Override public ByteBuffer key() { return column("key", 1); }
    @Override public ByteBuffer value() { return column("value", 2); }

    private ByteBuffer column(String what, int index) {
      return call(what, () -> {
        DbChecks.onRecord(valid, type(), source, what);
        return ByteBuffer.wrap(rows.getBytes(index)).asReadOnlyBuffer();
      });
    }

    @Override
    public void close() {
      synchronized (SqliteDb.this) {
        if (!closed) {
          call("cursor close", () -> {
            query.close();
            return null;
          });
        }
      }
    }
  }

  /** Puts into SQLite's open transaction; commit makes them durable. */
  private final class SqliteTransaction implements Transaction {
    private final PreparedStatement insert =
        conn.prepareStatement("INSERT OR REPLACE INTO records VALUES (?, ?)");

    SqliteTransaction() throws SQLException {}

    @Override
    public void put(byte[] key, byte[] value) {
      call("put", () -> {
        insert.setBytes(1, key);
        insert.setBytes(2, value);
        return insert.executeUpdate();
      });
    }

    @Override
    public void commit() {
      call("commit", () -> {
        conn.commit();
        return null;
      });
    }

    /** Commits; the statement itself is closed with the connection. */
    @Override
    public void close() {
      synchronized (SqliteDb.this) {
        if (!closed) {
          commit();
        }
      }
    }
  }
}
