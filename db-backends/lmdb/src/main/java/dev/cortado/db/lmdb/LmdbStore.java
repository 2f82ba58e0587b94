package dev.cortado.db.lmdb;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbChecks;
import dev.cortado.db.DbException;
import dev.cortado.db.Keys;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.lmdbjava.ByteBufferProxy;
import org.lmdbjava.Dbi;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.LmdbException;
import org.lmdbjava.PutFlags;
import org.lmdbjava.Txn;

/**
 * An LMDB environment opened as a Cortado {@link Db}; the one class that owns the {@link Env}. Its
 * cursors ({@link LmdbCursor}) and transactions ({@link LmdbTransaction}) open every {@link Txn}
 * through it.
 *
 * <p><b>Lifetime.</b> Cursors hold a read transaction and hand out buffers that point into the
 * memory map, so the map must outlive them: each cursor, and each write in progress, holds a
 * reference, and the environment is closed (the map unmapped) only when {@link #close()} has been
 * called and the last reference is released. After {@code close()} every call throws {@link
 * DbException}; a reader thread that is inside a cursor call or still decoding a value when another
 * thread closes the DB therefore finishes safely instead of touching unmapped memory
 * (lmdbjava#185). A cursor that is never closed keeps the map alive.
 *
 * <p><b>Writes.</b> A transaction keeps its puts in memory and writes them in one LMDB write
 * transaction on {@link Transaction#commit()} (and by itself every {@link #AUTO_COMMIT_PUTS} puts
 * or {@link #AUTO_COMMIT_BYTES} bytes). Holding no LMDB transaction between calls lets the map
 * grow: on {@code MDB_MAP_FULL} the batch is aborted, the map is doubled and the batch is written
 * again.
 */
public final class LmdbStore implements Db {
  /** Puts a transaction keeps in memory before it commits by itself, as make_mnist_db does. */
  static final int AUTO_COMMIT_PUTS = 1000;

  /** Bytes of pending keys and values before a transaction commits by itself. */
  static final long AUTO_COMMIT_BYTES = 64L << 20;

  private static final PutFlags[] APPEND = {PutFlags.MDB_APPEND};
  private static final PutFlags[] OVERWRITE = {};

  /** The first map size for writing; it doubles whenever a batch does not fit. */
  static final long INITIAL_MAP_SIZE = 64L << 20;

  final String type;
  final String source;
  private final Mode mode;
  final Env<ByteBuffer> env;
  final Dbi<ByteBuffer> dbi;
  private final ReentrantLock writeLock = new ReentrantLock();
  final Set<LmdbTransaction> transactions = ConcurrentHashMap.newKeySet();
  private final Object refLock = new Object();
  private int refs; // guarded by refLock: open cursors + writes in progress
  volatile boolean closed;
  private boolean envClosed; // guarded by refLock

  private LmdbStore(String type, String source, Mode mode, Env<ByteBuffer> env) {
    this.type = type;
    this.source = source;
    this.mode = mode;
    this.env = env;
    try {
      this.dbi = env.openDbi((String) null);
    } catch (LmdbException e) {
      env.close();
      throw new DbException(
          type + ": cannot open the main database of '" + source + "': " + e.getMessage(), e);
    }
  }

  /**
   * Opens an LMDB environment: {@code source} is its directory (holding {@code data.mdb}) or, in
   * READ mode, also the data file itself.
   *
   * <ul>
   *   <li>READ opens with {@code MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS} as Caffe2 does: no lock file
   *       is created or taken and nothing is written.
   *   <li>WRITE opens an existing environment, creating the directory when it is missing.
   *   <li>NEW creates the directory; unlike Caffe2 an existing empty directory is accepted, but one
   *       that already holds {@code data.mdb} is refused, so NEW never overwrites data.
   * </ul>
   */
  public static LmdbStore open(String type, String source, Mode mode) {
    Path path = Path.of(source);
    return switch (mode) {
      case READ -> openRead(type, source, path);
      case WRITE, NEW -> openWrite(type, source, path, mode, INITIAL_MAP_SIZE);
    };
  }

  private static LmdbStore openRead(String type, String source, Path path) {
    boolean file = Files.isRegularFile(path);
    if (!file && !Files.isRegularFile(path.resolve("data.mdb"))) {
      throw new DbException(
          type
              + ": cannot open '"
              + source
              + "' for READ: expected an LMDB directory holding"
              + " data.mdb, or a data.mdb file; found "
              + (Files.isDirectory(path) ? "a directory without data.mdb" : "nothing"));
    }
    List<EnvFlags> flags =
        new ArrayList<>(List.of(EnvFlags.MDB_RDONLY_ENV, EnvFlags.MDB_NOLOCK, EnvFlags.MDB_NOTLS));
    if (file) {
      flags.add(EnvFlags.MDB_NOSUBDIR);
    }
    return new LmdbStore(type, source, Mode.READ, openEnv(type, source, Mode.READ, path, 0, flags));
  }

  /** Opens for writing; package-private with the map size so tests can make the map grow. */
  static LmdbStore openWrite(String type, String source, Path path, Mode mode, long mapSize) {
    boolean exists = Files.isRegularFile(path.resolve("data.mdb"));
    if (mode == Mode.NEW && exists) {
      throw new DbException(
          type
              + ": cannot create '"
              + source
              + "' (NEW): an LMDB environment already exists"
              + " there; open it with WRITE to append, or delete it first");
    }
    if (Files.exists(path) && !Files.isDirectory(path)) {
      throw new DbException(
          type
              + ": cannot open '"
              + source
              + "' for "
              + mode
              + ": expected a directory, found a"
              + " file");
    }
    try {
      Files.createDirectories(path);
    } catch (IOException e) {
      throw new DbException(
          type + ": cannot create the directory '" + source + "' (" + mode + "): " + e, e);
    }
    long size = mapSize;
    if (exists) {
      try {
        size = Math.max(size, 2 * Files.size(path.resolve("data.mdb")));
      } catch (IOException e) {
        throw new DbException(type + ": cannot stat '" + source + "/data.mdb': " + e, e);
      }
    }
    // MDB_NOTLS: a cursor may move between threads and one thread may hold several cursors.
    return new LmdbStore(
        type, source, mode, openEnv(type, source, mode, path, size, List.of(EnvFlags.MDB_NOTLS)));
  }

  private static Env<ByteBuffer> openEnv(
      String type, String source, Mode mode, Path path, long mapSize, List<EnvFlags> flags) {
    try {
      Env.Builder<ByteBuffer> builder = Env.create(ByteBufferProxy.PROXY_OPTIMAL).setMaxDbs(1);
      if (mapSize > 0) {
        builder.setMapSize(mapSize);
      }
      // For READ, LMDB raises a too-small map size to the size the data file needs.
      return builder.open(path.toFile(), 0664, flags.toArray(EnvFlags[]::new));
    } catch (LmdbException e) {
      throw new DbException(
          type + ": cannot open '" + source + "' for " + mode + ": " + e.getMessage(), e);
    } catch (LinkageError e) {
      // lmdbjava's buffer proxy reaches into java.nio.Buffer: without the flags its class fails to
      // initialize, which would otherwise surface as a bare ExceptionInInitializerError.
      throw new DbException(
          type
              + ": cannot open '"
              + source
              + "': lmdbjava needs the JVM flags --add-opens"
              + " java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED"
              + " (./cortado passes them): "
              + e,
          e);
    }
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
    acquire("newCursor");
    try {
      return new LmdbCursor(this);
    } catch (RuntimeException e) {
      release();
      throw e;
    }
  }

  @Override
  public Transaction newTransaction() {
    check("newTransaction");
    DbChecks.writable(mode, type, source);
    LmdbTransaction txn = new LmdbTransaction(this);
    transactions.add(txn);
    return txn;
  }

  /**
   * Commits what open transactions still hold (as Caffe2's transaction destructor would), then
   * refuses every later call; the map is unmapped once no cursor or write uses it. Idempotent.
   */
  @Override
  public void close() {
    for (LmdbTransaction txn : transactions) {
      txn.close();
    }
    synchronized (refLock) {
      closed = true;
      closeEnvIfUnused();
    }
  }

  /** True once the environment itself is closed; for tests of the deferred close. */
  boolean envClosed() {
    synchronized (refLock) {
      return envClosed;
    }
  }

  private void acquire(String what) {
    synchronized (refLock) {
      check(what);
      refs++;
    }
  }

  void release() {
    synchronized (refLock) {
      refs--;
      closeEnvIfUnused();
    }
  }

  private void closeEnvIfUnused() {
    if (closed && refs == 0 && !envClosed) {
      envClosed = true;
      env.close();
    }
  }

  private void check(String what) {
    DbChecks.dbOpen(closed, type, source, what);
  }

  DbException fail(String what, LmdbException e) {
    return new DbException(
        type + " '" + source + "' (" + mode + "): " + what + " failed: " + e.getMessage(), e);
  }

  /**
   * Writes one batch in one LMDB write transaction, growing the map and retrying when it is full.
   * Batches from different transactions are serialized here, which also makes resizing safe.
   */
  void write(List<byte[]> keysAndValues, long bytes) {
    acquire("commit");
    writeLock.lock();
    try {
      while (true) {
        try {
          writeOnce(keysAndValues);
          return;
        } catch (org.lmdbjava.Env.MapFullException e) {
          growMap(bytes, e);
        }
      }
    } finally {
      writeLock.unlock();
      release();
    }
  }

  private void writeOnce(List<byte[]> keysAndValues) {
    int largest = 0;
    for (byte[] b : keysAndValues) {
      largest = Math.max(largest, b.length);
    }
    ByteBuffer key = ByteBuffer.allocateDirect(env.getMaxKeySize());
    ByteBuffer value = ByteBuffer.allocateDirect(Math.max(1, largest));
    try (Txn<ByteBuffer> txn = env.txnWrite()) {
      // The write transaction excludes every other writer, so last is the DB's greatest key for as
      // long as it runs: a key above it goes in with MDB_APPEND, which fills the last page instead
      // of splitting it in half. Keys in order (a copy of a DB, a shard, make_mnist_db's counter)
      // thus give full pages: Fashion-MNIST's 805-byte records fill four per page instead of three.
      byte[] last = lastKey(txn);
      boolean ordered = true;
      for (int i = 0; i < keysAndValues.size(); i += 2) {
        byte[] k = keysAndValues.get(i);
        byte[] v = keysAndValues.get(i + 1);
        if (k.length == 0 || k.length > key.capacity()) {
          throw new DbException(
              type
                  + " '"
                  + source
                  + "': key "
                  + Keys.describe(k)
                  + " is "
                  + k.length
                  + " bytes; LMDB keys are 1 to "
                  + key.capacity()
                  + " bytes");
        }
        key.clear().put(k).flip();
        value.clear().put(v).flip();
        boolean append = ordered && (last == null || Arrays.compareUnsigned(k, last) > 0);
        boolean appended;
        try {
          appended = put(txn, key, value, append);
        } catch (org.lmdbjava.Env.MapFullException e) {
          throw e;
        } catch (LmdbException e) {
          throw fail("put of key " + Keys.describe(k), e);
        }
        if (appended) {
          last = k;
        } else if (append) {
          ordered = false;
        }
      }
      txn.commit();
    }
  }

  /**
   * Puts {@code key}, with {@code MDB_APPEND} when {@code append}; true when it was appended. LMDB
   * refuses an append before it changes anything when the key is not above the last one in the DB's
   * own order (a DB made elsewhere with another comparator); the key then goes in as a plain put.
   */
  private boolean put(Txn<ByteBuffer> txn, ByteBuffer key, ByteBuffer value, boolean append) {
    if (append) {
      try {
        dbi.put(txn, key, value, APPEND);
        return true;
      } catch (Dbi.KeyExistsException e) {
        // Refused: plain put below, and no more appends in this transaction (the caller).
      }
    }
    dbi.put(txn, key, value, OVERWRITE);
    return false;
  }

  /** The last key in the DB's own order as {@code txn} sees it; null when the DB is empty. */
  private byte[] lastKey(Txn<ByteBuffer> txn) {
    try (org.lmdbjava.Cursor<ByteBuffer> cursor = dbi.openCursor(txn)) {
      if (!cursor.last()) {
        return null;
      }
      ByteBuffer k = cursor.key();
      byte[] out = new byte[k.remaining()];
      k.duplicate().get(out);
      return out;
    } catch (LmdbException e) {
      throw fail("finding the last key", e);
    }
  }

  private void growMap(long batchBytes, LmdbException cause) {
    synchronized (refLock) {
      // refs counts this write; any other reference is a cursor whose read transaction pins the
      // current mapping, and LMDB may move the map when it grows.
      if (refs > 1) {
        throw new DbException(
            type
                + " '"
                + source
                + "': the map is full at "
                + env.info().mapSize
                + " bytes and"
                + " cannot grow while "
                + (refs - 1)
                + " cursor(s) are open on this DB; close"
                + " them before writing more",
            cause);
      }
      long current = env.info().mapSize;
      long wanted = Math.max(2 * current, current + 4 * batchBytes);
      long rounded = (wanted + (1 << 20) - 1) & -(1L << 20);
      try {
        env.setMapSize(rounded);
      } catch (LmdbException e) {
        throw fail("growing the map from " + current + " to " + rounded + " bytes", e);
      }
    }
  }
}
