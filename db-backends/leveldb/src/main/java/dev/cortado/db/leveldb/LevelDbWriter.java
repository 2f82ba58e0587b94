package dev.cortado.db.leveldb;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbChecks;
import dev.cortado.db.DbException;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import dev.cortado.db.leveldb.VersionEdit.FileMeta;
import dev.cortado.db.rocksdb.RocksStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A LevelDB directory open for writing, in LevelDB's own format so that C++ LevelDB (and so
 * Caffe2's {@code leveldb} backend) reads the result: RocksDB cannot write that format.
 *
 * <p>It follows LevelDB's write path, minus compaction: each commit appends one write batch to the
 * log and goes into a sorted in-memory table; when that holds {@link #MEMTABLE_BYTES}, and on
 * close, it is written out as an uncompressed {@code .ldb} table and recorded in the MANIFEST, and
 * the log is replaced by an empty one. A table whose keys overlap no existing table goes to level
 * 1, any other to level 0 (newest first), which keeps LevelDB's ordering rules without compacting.
 * The directory's {@code LOCK} file is locked while writing, as C++ LevelDB does, so the two
 * exclude each other.
 *
 * <p>WRITE on a directory that C++ LevelDB (or this class) wrote recovers it as LevelDB does: reads
 * the MANIFEST, replays the records still in its logs, writes them to a table and starts a new
 * MANIFEST.
 */
final class LevelDbWriter implements Db {
  /** In-memory table size before it is written out; LevelDB's default is 4 MiB, Caffe2's 256. */
  static final long MEMTABLE_BYTES = 64L << 20;

  /** Caffe2's block size for LevelDB tables. */
  static final int BLOCK_SIZE = 65536;

  /** Puts a transaction keeps before it commits by itself. */
  static final int AUTO_COMMIT_PUTS = 1000;

  private static final Pattern NUMBERED = Pattern.compile("(\\d+)\\.(log|ldb|sst)");

  private record Entry(long sequence, byte[] value) {} // value null: a deletion

  private final String type;
  private final String source;
  private final Mode mode;
  private final Path dir;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final TreeMap<byte[], Entry> memtable = new TreeMap<>(Arrays::compareUnsigned);
  private final List<FileMeta> files = new ArrayList<>();
  private final Set<LevelDbTransaction> transactions = ConcurrentHashMap.newKeySet();
  private final Set<RocksStore> readers = ConcurrentHashMap.newKeySet();
  private final long memtableLimit;
  private long memtableBytes;
  private long nextFile;
  private long lastSequence;
  private long logNumber;
  private long manifestNumber;
  private LogWriter log;
  private LogWriter manifest;
  private volatile boolean closed;

  private LevelDbWriter(String type, String source, Mode mode, Path dir, long memtableLimit)
      throws IOException {
    this.memtableLimit = memtableLimit;
    this.type = type;
    this.source = source;
    this.mode = mode;
    this.dir = dir;
    this.lockChannel =
        FileChannel.open(dir.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock taken;
    try {
      taken = lockChannel.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      lockChannel.close();
      throw new IOException("its LOCK is held by another writer in this JVM", e);
    } catch (IOException | RuntimeException e) {
      lockChannel.close();
      throw e;
    }
    if (taken == null) {
      lockChannel.close();
      throw new IOException("its LOCK is held by another process (a LevelDB writer)");
    }
    this.lock = taken;
  }

  /** Creates an empty DB in {@code dir} (missing or empty), or recovers the LevelDB there. */
  static LevelDbWriter open(String type, String source, Mode mode) {
    return open(type, source, mode, MEMTABLE_BYTES);
  }

  /** As {@link #open(String, String, Mode)} with another memtable size, for tests. */
  static LevelDbWriter open(String type, String source, Mode mode, long memtableLimit) {
    Path dir = Path.of(source);
    LevelDbWriter writer = null;
    try {
      Files.createDirectories(dir);
      writer = new LevelDbWriter(type, source, mode, dir, memtableLimit);
      if (Files.exists(dir.resolve("CURRENT"))) {
        writer.recover();
      } else {
        writer.create();
      }
      return writer;
    } catch (IOException | IllegalArgumentException e) {
      if (writer != null) {
        writer.abandon();
      }
      throw new DbException(
          type + ": cannot open '" + source + "' for " + mode + ": " + e.getMessage(), e);
    }
  }

  private void create() throws IOException {
    manifestNumber = 1;
    logNumber = 2;
    nextFile = 3;
    log = new LogWriter(dir.resolve(Format.fileName(logNumber, "log")));
    VersionEdit edit = new VersionEdit();
    edit.comparator = Format.COMPARATOR;
    startManifest(edit);
  }

  /** LevelDB's recovery: MANIFEST, then the logs it names; the result goes to a new MANIFEST. */
  private void recover() throws IOException {
    String current = Files.readString(dir.resolve("CURRENT"), StandardCharsets.US_ASCII);
    if (!current.endsWith("\n") || !current.startsWith("MANIFEST-")) {
      throw new IOException("CURRENT does not name a MANIFEST: '" + current.strip() + "'");
    }
    Path oldManifest = dir.resolve(current.strip());
    Map<Long, FileMeta> live = new HashMap<>();
    long prevLog = 0;
    for (byte[] record : LogReader.readAll(oldManifest)) {
      VersionEdit edit = VersionEdit.decode(record);
      if (edit.comparator != null && !edit.comparator.equals(Format.COMPARATOR)) {
        throw new IOException("comparator is " + edit.comparator + ", not " + Format.COMPARATOR);
      }
      logNumber = edit.logNumber != null ? edit.logNumber : logNumber;
      prevLog = edit.prevLogNumber != null ? edit.prevLogNumber : prevLog;
      nextFile = edit.nextFileNumber != null ? edit.nextFileNumber : nextFile;
      lastSequence = edit.lastSequence != null ? edit.lastSequence : lastSequence;
      edit.deletedFiles.forEach(d -> live.remove(d.number()));
      edit.newFiles.forEach(f -> live.put(f.number(), f));
    }
    files.addAll(live.values());
    List<Path> logs = new ArrayList<>();
    long highest = Long.parseLong(oldManifest.getFileName().toString().substring(9));
    try (Stream<Path> list = Files.list(dir)) {
      for (Path p : (Iterable<Path>) list::iterator) {
        Matcher m = NUMBERED.matcher(p.getFileName().toString());
        if (m.matches()) {
          long number = Long.parseLong(m.group(1));
          highest = Math.max(highest, number);
          if (m.group(2).equals("log") && (number >= logNumber || number == prevLog)) {
            logs.add(p);
          }
        }
      }
    }
    logs.sort(
        java.util.Comparator.comparingLong(
            p -> Long.parseLong(p.getFileName().toString().replace(".log", ""))));
    for (Path p : logs) {
      for (byte[] batch : LogReader.readAll(p)) {
        replay(batch, p);
      }
    }
    nextFile = Math.max(nextFile, highest + 1);
    if (!memtable.isEmpty()) {
      files.add(writeTable());
    }
    logNumber = nextFile++;
    log = new LogWriter(dir.resolve(Format.fileName(logNumber, "log")));
    VersionEdit snapshot = new VersionEdit();
    snapshot.comparator = Format.COMPARATOR;
    snapshot.newFiles.addAll(files);
    manifestNumber = nextFile++;
    startManifest(snapshot);
    Files.delete(oldManifest);
    for (Path p : logs) {
      Files.delete(p);
    }
  }

  private void replay(byte[] batch, Path file) throws IOException {
    ByteBuffer in = ByteBuffer.wrap(batch).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    if (batch.length < 12) {
      throw new IOException(file + ": write batch of " + batch.length + " bytes, shorter than 12");
    }
    long sequence = in.getLong();
    int count = in.getInt();
    for (int i = 0; i < count; i++) {
      int tag = in.get();
      byte[] key = Format.getLengthPrefixed(in);
      byte[] value = tag == Format.TYPE_VALUE ? Format.getLengthPrefixed(in) : null;
      if (tag != Format.TYPE_VALUE && tag != Format.TYPE_DELETION) {
        throw new IOException(file + ": unknown write batch tag " + tag);
      }
      apply(key, new Entry(sequence + i, value));
    }
    lastSequence = Math.max(lastSequence, sequence + count - 1);
  }

  /**
   * Writes a new MANIFEST holding {@code edit} plus the current numbers, then points CURRENT at it.
   */
  private void startManifest(VersionEdit edit) throws IOException {
    edit.logNumber = logNumber;
    edit.nextFileNumber = nextFile;
    edit.lastSequence = lastSequence;
    String name = "MANIFEST-" + String.format("%06d", manifestNumber);
    manifest = new LogWriter(dir.resolve(name));
    manifest.add(edit.encode());
    manifest.sync();
    Path tmp = dir.resolve(Format.fileName(manifestNumber, "dbtmp"));
    Files.writeString(tmp, name + "\n", StandardCharsets.US_ASCII);
    Files.move(tmp, dir.resolve("CURRENT"), StandardCopyOption.ATOMIC_MOVE);
  }

  private void apply(byte[] key, Entry entry) {
    Entry old = memtable.put(key, entry);
    memtableBytes += key.length + (entry.value() == null ? 0 : entry.value().length) + 32;
    if (old != null) {
      memtableBytes -= key.length + (old.value() == null ? 0 : old.value().length) + 32;
    }
  }

  /** Writes the memtable as one table; level 1 when it overlaps no table, else level 0. */
  private FileMeta writeTable() throws IOException {
    long number = nextFile++;
    Path path = dir.resolve(Format.fileName(number, "ldb"));
    long size;
    byte[] smallest;
    byte[] largest;
    try (TableWriter table = new TableWriter(path, BLOCK_SIZE)) {
      for (Map.Entry<byte[], Entry> e : memtable.entrySet()) {
        Entry v = e.getValue();
        int kind = v.value() == null ? Format.TYPE_DELETION : Format.TYPE_VALUE;
        table.add(
            Format.internalKey(e.getKey(), v.sequence(), kind),
            v.value() == null ? new byte[0] : v.value());
      }
      size = table.finish();
      smallest = table.firstKey();
      largest = table.lastKey();
    }
    try (FileChannel c = FileChannel.open(path, StandardOpenOption.WRITE)) {
      c.force(true);
    }
    boolean overlaps = false;
    for (FileMeta f : files) {
      overlaps |=
          Arrays.compareUnsigned(userKey(smallest), userKey(f.largest())) <= 0
              && Arrays.compareUnsigned(userKey(f.smallest()), userKey(largest)) <= 0;
    }
    memtable.clear();
    memtableBytes = 0;
    return new FileMeta(overlaps ? 0 : 1, number, size, smallest, largest);
  }

  private static byte[] userKey(byte[] internalKey) {
    return Arrays.copyOf(internalKey, internalKey.length - 8);
  }

  /** Table, new empty log, MANIFEST edit, old log removed: LevelDB's memtable compaction. */
  private void flushMemtable() throws IOException {
    if (memtable.isEmpty()) {
      return;
    }
    VersionEdit edit = new VersionEdit();
    FileMeta table = writeTable();
    edit.newFiles.add(table);
    files.add(table);
    long oldLog = logNumber;
    log.close();
    logNumber = nextFile++;
    log = new LogWriter(dir.resolve(Format.fileName(logNumber, "log")));
    edit.logNumber = logNumber;
    edit.nextFileNumber = nextFile;
    edit.lastSequence = lastSequence;
    manifest.add(edit.encode());
    manifest.sync();
    Files.deleteIfExists(dir.resolve(Format.fileName(oldLog, "log")));
  }

  /** One commit: a write batch appended to the log, then applied to the memtable. */
  synchronized void write(List<byte[]> keysAndValues) {
    check("commit");
    int count = keysAndValues.size() / 2;
    ByteArrayOutputStream batch = new ByteArrayOutputStream();
    Format.putFixed64(batch, lastSequence + 1);
    Format.putFixed32(batch, count);
    for (int i = 0; i < keysAndValues.size(); i += 2) {
      batch.write(Format.TYPE_VALUE);
      Format.putLengthPrefixed(batch, keysAndValues.get(i));
      Format.putLengthPrefixed(batch, keysAndValues.get(i + 1));
    }
    try {
      log.add(batch.toByteArray());
      for (int i = 0; i < count; i++) {
        apply(
            keysAndValues.get(2 * i),
            new Entry(lastSequence + 1 + i, keysAndValues.get(2 * i + 1)));
      }
      lastSequence += count;
      if (memtableBytes >= memtableLimit) {
        flushMemtable();
      }
    } catch (IOException e) {
      throw new DbException(type + " '" + source + "' (" + mode + "): write failed: " + e, e);
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

  /** A cursor over what was committed so far, through a read-only RocksDB view of the directory. */
  @Override
  public synchronized Cursor newCursor() {
    check("newCursor");
    RocksStore view = RocksStore.open(type, source, Mode.READ);
    readers.add(view);
    return new ViewCursor(view, view.newCursor());
  }

  @Override
  public Transaction newTransaction() {
    check("newTransaction");
    LevelDbTransaction txn = new LevelDbTransaction();
    transactions.add(txn);
    return txn;
  }

  /** Commits open transactions, writes the memtable out and releases the LOCK. Idempotent. */
  @Override
  public void close() {
    for (LevelDbTransaction txn : transactions) {
      txn.close();
    }
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      readers.forEach(RocksStore::close);
      try {
        flushMemtable();
      } catch (IOException e) {
        throw new DbException(type + " '" + source + "': writing the last table failed: " + e, e);
      } finally {
        abandon();
      }
    }
  }

  /** Closes files and the lock without writing anything more. */
  private void abandon() {
    for (AutoCloseable c : new AutoCloseable[] {log, manifest, lock, lockChannel}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // Nothing was lost: the data is in the files already synced; keep closing the rest.
      }
    }
  }

  private void check(String what) {
    DbChecks.dbOpen(closed, type, source, what);
  }

  /** A cursor that owns the read-only view it reads from. */
  private final class ViewCursor implements Cursor {
    private final RocksStore view;
    private final Cursor cursor;

    ViewCursor(RocksStore view, Cursor cursor) {
      this.view = view;
      this.cursor = cursor;
    }

    @Override
    public void seekToFirst() {
      cursor.seekToFirst();
    }

    @Override
    public void seek(byte[] key) {
      cursor.seek(key);
    }

    @Override
    public boolean supportsSeek() {
      return true;
    }

    @Override
    public void next() {
      cursor.next();
    }

    @Override
    public boolean valid() {
      return cursor.valid();
    }

    @Override
    public ByteBuffer key() {
      return cursor.key();
    }

    @Override
    public ByteBuffer value() {
      return cursor.value();
    }

    @Override
    public void close() {
      cursor.close();
      view.close();
      readers.remove(view);
    }
  }

  /** Puts kept until commit, then written as one LevelDB write batch. */
  private final class LevelDbTransaction implements Transaction {
    private final List<byte[]> pending = new ArrayList<>();
    private boolean txnClosed;

    @Override
    public synchronized void put(byte[] key, byte[] value) {
      checkOpen("put");
      pending.add(key.clone());
      pending.add(value.clone());
      if (pending.size() >= 2 * AUTO_COMMIT_PUTS) {
        flush();
      }
    }

    @Override
    public synchronized void commit() {
      checkOpen("commit");
      flush();
    }

    private void flush() {
      if (!pending.isEmpty()) {
        try {
          write(pending);
        } finally {
          pending.clear();
        }
      }
    }

    private void checkOpen(String what) {
      DbChecks.transactionOpen(txnClosed, closed, type, source, what);
    }

    @Override
    public synchronized void close() {
      try {
        if (!txnClosed && !closed) {
          flush();
        }
      } finally {
        txnClosed = true;
        transactions.remove(this);
      }
    }
  }
}
