package dev.cortado.db.rocksdb;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbChecks;
import dev.cortado.db.DbException;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.FlushOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * A RocksDB (or C++ LevelDB) directory opened as a Cortado {@link Db}: the one owner of its native
 * handles, so that they are closed once and in order (iterators, read options, DB, options).
 *
 * <p>Every store-level native call runs under the read side of a lock whose write side {@link
 * #close()} takes; a cursor's calls run under the cursor's own monitor (one uncontended lock per
 * call, not two), which close takes for each cursor before freeing it. So closing waits for calls
 * in flight and every later call throws {@link DbException} instead of touching freed native
 * memory. Keys and values are copied by RocksDB into buffers this class owns, so a buffer a reader
 * still holds stays valid memory after close.
 */
public final class RocksStore implements Db {
  /** Caffe2's {@code caffe2_rocksdb_block_size} / {@code caffe2_leveldb_block_size} default. */
  static final long BLOCK_SIZE = 65536;

  /** Caffe2's write_buffer_size for both LevelDB and RocksDB. */
  static final long WRITE_BUFFER_SIZE = 268_435_456L;

  /** Caffe2's max_open_files for both LevelDB and RocksDB. */
  static final int MAX_OPEN_FILES = 100;

  /** The block-based table format written; see {@link #options}. */
  static final int TABLE_FORMAT_VERSION = 4;

  /**
   * System property: capacity in bytes of the block cache each open DB gets (default {@link
   * #DEFAULT_BLOCK_CACHE_BYTES}); 0 turns caching of scanned blocks off.
   */
  public static final String BLOCK_CACHE_PROPERTY = "cortado.rocksdb.blockCacheBytes";

  /** 256 MiB: an LRU cache only holds what was read, so a small DB costs only its own size. */
  static final long DEFAULT_BLOCK_CACHE_BYTES = 256L << 20;

  static {
    RocksDB.loadLibrary();
  }

  final String type;
  final String source;
  private final Mode mode;
  private final Options options;
  private final LRUCache blockCache;
  final RocksDB db;

  /** Whether cursors put the blocks they read into {@link #blockCache}; see {@link #open}. */
  final boolean fillCache;

  final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  final Set<RocksCursor> cursors = ConcurrentHashMap.newKeySet();
  final Set<RocksTransaction> transactions = ConcurrentHashMap.newKeySet();
  boolean closed; // guarded by lock

  private RocksStore(
      String type,
      String source,
      Mode mode,
      Options options,
      LRUCache blockCache,
      RocksDB db,
      boolean fillCache) {
    this.type = type;
    this.source = source;
    this.mode = mode;
    this.options = options;
    this.blockCache = blockCache;
    this.db = db;
    this.fillCache = fillCache;
  }

  /**
   * Opens {@code source} with Caffe2's options: READ opens read-only (nothing in the directory is
   * created or changed; data still in the write-ahead log is replayed in memory), WRITE creates a
   * missing DB, NEW fails when one exists.
   *
   * <p>Each store gets its own LRU block cache of {@link #BLOCK_CACHE_PROPERTY} bytes. Cursors fill
   * it when the DB's tables, uncompressed, fit in it: then every epoch after the first reads
   * decompressed, checksum-verified blocks from memory. A DB larger than the cache is read with
   * {@code fill_cache=false}, since a sequential scan would evict each block before it is reused.
   *
   * @param type the db_type to report in {@link #type()} and in messages
   */
  public static RocksStore open(String type, String source, Mode mode) {
    return open(type, source, mode, blockCacheBytes());
  }

  /**
   * {@link #open(String, String, Mode)} with a block cache of {@code cacheBytes} (0: none used).
   */
  static RocksStore open(String type, String source, Mode mode, long cacheBytes) {
    Path path = Path.of(source);
    if (mode == Mode.READ && !Files.isDirectory(path)) {
      throw new DbException(
          type
              + ": cannot open '"
              + source
              + "' for READ: expected a "
              + type
              + " directory, found "
              + (Files.exists(path) ? "a file" : "nothing"));
    }
    LRUCache cache = new LRUCache(Math.max(cacheBytes, 1L << 20));
    Options options = options(mode, cache);
    try {
      RocksDB db =
          mode == Mode.READ ? RocksDB.openReadOnly(options, source) : RocksDB.open(options, source);
      boolean fill = cacheBytes > 0 && tableFileBytes(path) <= cacheBytes;
      return new RocksStore(type, source, mode, options, cache, db, fill);
    } catch (RocksDBException e) {
      options.close();
      cache.close();
      throw new DbException(
          type + ": cannot open '" + source + "' for " + mode + ": " + e.getMessage(), e);
    }
  }

  /** Caffe2's LevelDB-derived options; other options keep RocksDB's defaults (Snappy tables). */
  private static Options options(Mode mode, LRUCache cache) {
    // format_version 4 instead of RocksDB 10's default 6: RocksDB 5.16 (2018) and later read it, so
    // do Caffe2 builds of that era; without a filter policy 5 and 6 add nothing for this workload.
    // The block cache holds uncompressed data blocks only, and is read-side state: it changes
    // nothing that is written.
    BlockBasedTableConfig table =
        new BlockBasedTableConfig()
            .setBlockSize(BLOCK_SIZE)
            .setFormatVersion(TABLE_FORMAT_VERSION)
            .setBlockCache(cache);
    return new Options()
        .setCreateIfMissing(mode != Mode.READ)
        .setErrorIfExists(mode == Mode.NEW)
        .setWriteBufferSize(WRITE_BUFFER_SIZE)
        .setMaxOpenFiles(MAX_OPEN_FILES)
        .setTableFormatConfig(table);
  }

  private static long blockCacheBytes() {
    String value = System.getProperty(BLOCK_CACHE_PROPERTY);
    if (value == null || value.isBlank()) {
      return DEFAULT_BLOCK_CACHE_BYTES;
    }
    try {
      long bytes = Long.parseLong(value.trim());
      if (bytes >= 0) {
        return bytes;
      }
    } catch (NumberFormatException e) {
      // reported below with the expected form
    }
    throw new DbException(
        "system property "
            + BLOCK_CACHE_PROPERTY
            + ": expected a byte count >= 0, found '"
            + value
            + "'");
  }

  /**
   * The size of the DB's table files. Compressed tables hold more than that once decompressed into
   * the cache, so a DB near the limit may still overflow it; that only costs what {@code
   * fill_cache=false} would have. Table properties would give the exact raw size, but rocksdbjni
   * 10.10 crashes reading the properties of a LevelDB table (it has none).
   */
  private static long tableFileBytes(Path dir) {
    long files = 0;
    try (Stream<Path> list = Files.list(dir)) {
      for (Path f : (Iterable<Path>) list::iterator) {
        String name = f.getFileName().toString();
        if (name.endsWith(".sst") || name.endsWith(".ldb")) {
          files += Files.size(f);
        }
      }
    } catch (IOException e) {
      throw new DbException("cannot list the tables of '" + dir + "': " + e.getMessage(), e);
    }
    return files;
  }

  /** True when {@code dir} is a DB written by C++ LevelDB (RocksDB always writes OPTIONS files). */
  public static boolean writtenByLevelDb(Path dir) {
    if (!Files.isRegularFile(dir.resolve("CURRENT"))) {
      return false;
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.noneMatch(p -> p.getFileName().toString().startsWith("OPTIONS-"));
    } catch (IOException e) {
      throw new DbException("cannot list '" + dir + "': " + e.getMessage(), e);
    }
  }

  /** Whether cursors fill the block cache (the DB's tables fit in it). */
  boolean fillsCache() {
    return fillCache;
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
    lock.readLock().lock();
    try {
      checkOpen("newCursor");
      RocksCursor cursor = new RocksCursor(this);
      cursors.add(cursor);
      return cursor;
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public Transaction newTransaction() {
    lock.readLock().lock();
    try {
      checkOpen("newTransaction");
      DbChecks.writable(mode, type, source);
      RocksTransaction txn = new RocksTransaction(this);
      transactions.add(txn);
      return txn;
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Writes what open transactions still hold (as Caffe2's transaction destructor would), then waits
   * for native calls in flight and frees the handles. Idempotent.
   */
  @Override
  public void close() {
    for (RocksTransaction txn : transactions) {
      txn.close();
    }
    lock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      // No store-level native call is in flight now (they hold the read lock); freeing a cursor
      // takes its monitor, so it waits for that cursor's call in flight. Iterators go first.
      for (RocksCursor cursor : cursors) {
        cursor.freeNative();
      }
      cursors.clear();
      if (mode != Mode.READ) {
        // Leave the directory self-contained in tables so a later read-only open need not replay
        // the log into memory.
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
          db.flush(flush);
        } catch (RocksDBException e) {
          db.close();
          options.close();
          blockCache.close();
          throw fail("flush on close", e);
        }
      }
      db.close();
      options.close();
      blockCache.close();
    } finally {
      lock.writeLock().unlock();
    }
  }

  private void checkOpen(String what) {
    DbChecks.dbOpen(closed, type, source, what);
  }

  DbException fail(String what, RocksDBException e) {
    return new DbException(
        type + " '" + source + "' (" + mode + "): " + what + " failed: " + e.getMessage(), e);
  }
}
