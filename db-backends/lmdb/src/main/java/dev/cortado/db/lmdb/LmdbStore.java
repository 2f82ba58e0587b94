package dev.cortado.db.lmdb;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbException;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.lmdbjava.ByteBufferProxy;
import org.lmdbjava.Dbi;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.GetOp;
import org.lmdbjava.LmdbException;
import org.lmdbjava.Txn;

/**
 * An LMDB environment opened as a Cortado {@link Db}; the one class that owns the {@link Env} and
 * every {@link Txn} on it.
 *
 * <p><b>Lifetime.</b> Cursors hold a read transaction and hand out buffers that point into the
 * memory map, so the map must outlive them: each cursor, and each write in progress, holds a
 * reference, and the environment is closed (the map unmapped) only when {@link #close()} has been
 * called and the last reference is released. After {@code close()} every call throws {@link
 * DbException}; a reader thread that is inside a cursor call or still decoding a value when another
 * thread closes the DB therefore finishes safely instead of touching unmapped memory (lmdbjava#185).
 * A cursor that is never closed keeps the map alive.
 *
 * <p><b>Writes.</b> A transaction keeps its puts in memory and writes them in one LMDB write
 * transaction on {@link Transaction#commit()} (and by itself every {@link #AUTO_COMMIT_PUTS} puts or
 * {@link #AUTO_COMMIT_BYTES} bytes). Holding no LMDB transaction between calls lets the map grow:
 * on {@code MDB_MAP_FULL} the batch is aborted, the map is doubled and the batch is written again.
 */
public final class LmdbStore implements Db {
  /** Puts a transaction keeps in memory before it commits by itself, as make_mnist_db does. */
  static final int AUTO_COMMIT_PUTS = 1000;
  /** Bytes of pending keys and values before a transaction commits by itself. */
  static final long AUTO_COMMIT_BYTES = 64L << 20;
  /** The first map size for writing; it doubles whenever a batch does not fit. */
  static final long INITIAL_MAP_SIZE = 64L << 20;

  private final String type;
  private final String source;
  private final Mode mode;
  private final Env<ByteBuffer> env;
  private final Dbi<ByteBuffer> dbi;
  private final ReentrantLock writeLock = new ReentrantLock();
  private final Set<LmdbTransaction> transactions = ConcurrentHashMap.newKeySet();
  private final Object refLock = new Object();
  private int refs; // guarded by refLock: open cursors + writes in progress
  private volatile boolean closed;
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
   *   <li>READ opens with {@code MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS} as Caffe2 does: no lock file is
   *       created or taken and nothing is written.
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
          type + ": cannot open '" + source + "' for READ: expected an LMDB directory holding"
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
          type + ": cannot create '" + source + "' (NEW): an LMDB environment already exists"
              + " there; open it with WRITE to append, or delete it first");
    }
    if (Files.exists(path) && !Files.isDirectory(path)) {
      throw new DbException(
          type + ": cannot open '" + source + "' for " + mode + ": expected a directory, found a"
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
          type + ": cannot open '" + source + "': lmdbjava needs the JVM flags --add-opens"
              + " java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED"
              + " (./cortado passes them): " + e,
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
    if (mode == Mode.READ) {
      throw new DbException(
          type + " '" + source + "' is open for READ; a transaction needs WRITE or NEW");
    }
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

  private void release() {
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
    if (closed) {
      throw new DbException(type + " '" + source + "': " + what + " after the DB was closed");
    }
  }

  private DbException fail(String what, LmdbException e) {
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
      for (int i = 0; i < keysAndValues.size(); i += 2) {
        byte[] k = keysAndValues.get(i);
        byte[] v = keysAndValues.get(i + 1);
        if (k.length == 0 || k.length > key.capacity()) {
          throw new DbException(
              type + " '" + source + "': key " + describe(k) + " is " + k.length
                  + " bytes; LMDB keys are 1 to " + key.capacity() + " bytes");
        }
        key.clear().put(k).flip();
        value.clear().put(v).flip();
        try {
          dbi.put(txn, key, value);
        } catch (org.lmdbjava.Env.MapFullException e) {
          throw e;
        } catch (LmdbException e) {
          throw fail("put of key " + describe(k), e);
        }
      }
      txn.commit();
    }
  }

  private void growMap(long batchBytes, LmdbException cause) {
    synchronized (refLock) {
      // refs counts this write; any other reference is a cursor whose read transaction pins the
      // current mapping, and LMDB may move the map when it grows.
      if (refs > 1) {
        throw new DbException(
            type + " '" + source + "': the map is full at " + env.info().mapSize + " bytes and"
                + " cannot grow while " + (refs - 1) + " cursor(s) are open on this DB; close"
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

  /** A key for messages: quoted when printable ASCII, else hex; cut after 64 bytes. */
  private static String describe(byte[] key) {
    if (key.length == 0) {
      return "'' (empty key)";
    }
    int shown = Math.min(key.length, 64);
    boolean printable = true;
    for (int i = 0; i < shown; i++) {
      printable &= key[i] >= 0x20 && key[i] < 0x7f && key[i] != '\'';
    }
    String cut = key.length > shown ? "..." : "";
    return printable
        ? "'" + new String(key, 0, shown, java.nio.charset.StandardCharsets.US_ASCII) + cut + "'"
        : "0x" + java.util.HexFormat.of().formatHex(key, 0, shown) + cut;
  }

  /**
   * A cursor on its own read transaction. The key and value it hands out are read-only views into
   * the map, valid until the cursor moves or closes.
   *
   * <p>Per record this is the hot path of every LMDB read, so no call takes a lock (a monitor
   * per move cost ~8 ns of a ~30 ns move, H-C1): like every {@link Cursor} it is used by one
   * thread at a time, its own {@link #close()} included ({@link dev.cortado.db.DbReader} does
   * so under its lock). What another thread may do at any time is close the DB: each call checks
   * the volatile closed flags once, and the store's reference count keeps the map and this
   * cursor's transaction alive until this cursor is closed, so a reader that is inside a call
   * finishes safely and its next call throws. {@link #valid()}, {@link #key()} and {@link
   * #value()} only read fields and re-point this cursor's two reusable read-only views ({@link
   * MapViews}) at lmdbjava's current key and value, so they neither lock nor allocate.
   */
  private static final class LmdbCursor implements Cursor {
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
      if (!valid) {
        throw new DbException(store.type + " '" + store.source + "': next() past the end");
      }
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
      if (closed || store.closed) {
        throw new DbException(
            store.type + " '" + store.source + "': cursor " + what + "() after "
                + (closed ? "the cursor" : "the DB") + " was closed");
      }
    }

    private void checkValid(String what) {
      check(what);
      if (!valid) {
        throw new DbException(
            store.type + " '" + store.source + "': cursor " + what + "() past the end");
      }
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

  /** Pending puts, written in one LMDB write transaction per commit. */
  private static final class LmdbTransaction implements Transaction {
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
      if (pending.size() >= 2 * AUTO_COMMIT_PUTS || pendingBytes >= AUTO_COMMIT_BYTES) {
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
      if (closed || store.closed) {
        throw new DbException(
            store.type + " '" + store.source + "': transaction " + what + "() after "
                + (closed ? "the transaction" : "the DB") + " was closed");
      }
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
}
