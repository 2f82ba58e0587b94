package dev.cortado.db.minidb;

import dev.cortado.db.Db;
import dev.cortado.db.DbChecks;
import dev.cortado.db.DbException;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One open Caffe2 minidb file: records of {@code int32 LE key_len, int32 LE value_len, key, value},
 * no header, in file order.
 *
 * <p>Modes follow Caffe2: {@link Mode#READ} needs an existing file, {@link Mode#WRITE} appends
 * (creating the file when missing) and {@link Mode#NEW} truncates. As in Caffe2, cursors need READ
 * and transactions need WRITE or NEW. Unlike Caffe2, several cursors may be open at once (they
 * share one read-only memory map), a second open transaction is an error instead of a deadlock, and
 * WRITE refuses a file whose tail is torn, because appending after it would make every new record
 * unreadable ({@link #truncateToRecoverable(Path)} repairs such a file).
 *
 * <p>Reading memory-maps the file and hands out read-only slices of the map; nothing is copied to
 * the heap. Maps are never unmapped explicitly (the garbage collector releases them), so closing
 * the DB while another thread still holds a record's buffer cannot crash the JVM; every cursor call
 * after close throws {@link DbException}.
 */
public final class MiniDb implements Db {
  /** The canonical db_type. */
  public static final String TYPE = "minidb";

  /** Largest single map; files up to this size are mapped once, larger ones in windows. */
  static final int DEFAULT_WINDOW_BYTES = Integer.MAX_VALUE - 64;

  private final Path path;
  private final String source;
  private final Mode mode;
  private final FileChannel channel;
  private final int windowBytes;

  /** The whole file, mapped once at open in READ mode when it fits one window; else null. */
  private final ByteBuffer wholeFile;

  /** Guards transactions and close. */
  private final Object lock = new Object();

  private volatile boolean closed;
  private MiniDbTransaction transaction;

  private MiniDb(Path path, String source, Mode mode, FileChannel channel, int windowBytes)
      throws IOException {
    this.path = path;
    this.source = source;
    this.mode = mode;
    this.channel = channel;
    this.windowBytes = windowBytes;
    long size = mode == Mode.READ ? channel.size() : 0;
    this.wholeFile =
        mode == Mode.READ && size <= windowBytes
            ? channel.map(FileChannel.MapMode.READ_ONLY, 0, size)
            : null;
  }

  /** Opens {@code path} in {@code mode}; see the class comment for what each mode does. */
  public static MiniDb open(Path path, Mode mode) {
    return open(path, path.toString(), mode, DEFAULT_WINDOW_BYTES);
  }

  static MiniDb open(Path path, String source, Mode mode, int windowBytes) {
    if (mode == Mode.WRITE && Files.exists(path)) {
      checkWholeRecords(path, windowBytes);
    }
    FileChannel channel = null;
    try {
      switch (mode) {
        case READ -> {
          if (Files.isDirectory(path)) {
            throw new DbException(
                "cannot open minidb file " + path + ": it is a directory (minidb is one file)");
          }
          channel = FileChannel.open(path, StandardOpenOption.READ);
        }
        case WRITE ->
            channel =
                FileChannel.open(
                    path,
                    StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        case NEW ->
            channel =
                FileChannel.open(
                    path,
                    StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING);
      }
      return new MiniDb(path, source, mode, channel, windowBytes);
    } catch (NoSuchFileException e) {
      closeQuietly(channel);
      throw new DbException(
          "cannot open minidb file "
              + path
              + " in "
              + mode
              + " mode: "
              + (mode == Mode.READ ? "no such file" : "its folder does not exist"),
          e);
    } catch (AccessDeniedException e) {
      closeQuietly(channel);
      throw new DbException(
          "cannot open minidb file " + path + " in " + mode + " mode: permission denied", e);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new DbException(
          "cannot open minidb file " + path + " in " + mode + " mode: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  /**
   * The length of the longest prefix of {@code path} made of whole, well-formed records: the file
   * size for a sound file, less for a file with a torn tail (a crash while writing) or a corrupt
   * length. Reading such a file returns every record of that prefix before reporting the problem.
   */
  public static long recoverableLength(Path path) {
    return recoverableLength(path, DEFAULT_WINDOW_BYTES);
  }

  /**
   * Cuts {@code path} to its {@link #recoverableLength(Path)}, dropping a torn tail so that the
   * file can be read to its end and appended to again. Returns the number of bytes removed (0 for a
   * sound file). This is a repair the user asks for; Cortado never truncates on its own.
   */
  public static long truncateToRecoverable(Path path) {
    long keep = recoverableLength(path);
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
      long removed = channel.size() - keep;
      if (removed > 0) {
        channel.truncate(keep);
        channel.force(true);
      }
      return removed;
    } catch (IOException e) {
      throw new DbException(
          "cannot truncate minidb file " + path + " to " + keep + " bytes: " + e.getMessage(), e);
    }
  }

  private static long recoverableLength(Path path, int windowBytes) {
    try (MiniDb db = open(path, path.toString(), Mode.READ, windowBytes);
        MiniDbCursor cursor = db.newCursor()) {
      try {
        cursor.seekToFirst();
        while (cursor.valid()) {
          cursor.next();
        }
        return cursor.offset();
      } catch (MiniDbFormatException e) {
        return e.offset();
      }
    }
  }

  private static void checkWholeRecords(Path path, int windowBytes) {
    try (MiniDb db = open(path, path.toString(), Mode.READ, windowBytes);
        MiniDbCursor cursor = db.newCursor()) {
      cursor.seekToFirst();
      while (cursor.valid()) {
        cursor.next();
      }
    } catch (MiniDbFormatException e) {
      throw new DbException(
          "cannot append to minidb file "
              + path
              + ": "
              + e.getMessage()
              + "; records appended after it could never be read. Repair it first: cortado"
              + " repair-db --db "
              + path
              + " writes its first "
              + e.offset()
              + " bytes (the"
              + " whole records) into a new file",
          e);
    }
  }

  @Override
  public String source() {
    return source;
  }

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public Mode mode() {
    return mode;
  }

  /** The file's path. */
  public Path path() {
    return path;
  }

  @Override
  public MiniDbCursor newCursor() {
    checkOpen("newCursor");
    if (mode != Mode.READ) {
      throw new DbException(
          "minidb file "
              + path
              + " is open in "
              + mode
              + " mode; a cursor needs READ mode"
              + " (close the DB and reopen it with Mode.READ)");
    }
    return new MiniDbCursor(this);
  }

  @Override
  public Transaction newTransaction() {
    synchronized (lock) {
      checkOpen("newTransaction");
      if (mode == Mode.READ) {
        throw new DbException(
            "minidb file " + path + " is open in READ mode; writing needs WRITE or NEW mode");
      }
      if (transaction != null) {
        throw new DbException(
            "minidb file "
                + path
                + " already has an open transaction; close it before opening"
                + " another (Caffe2 would deadlock here)");
      }
      transaction = new MiniDbTransaction(this);
      return transaction;
    }
  }

  /**
   * Commits and closes an open transaction, then closes the file. Idempotent. Cursors and
   * transactions of this DB throw {@link DbException} from now on.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      RuntimeException failure = null;
      try {
        if (transaction != null) {
          transaction.close();
        }
      } catch (RuntimeException e) {
        failure = e;
      }
      closed = true;
      try {
        channel.close();
      } catch (IOException e) {
        DbException closing =
            new DbException("closing minidb file " + path + " failed: " + e.getMessage(), e);
        if (failure == null) {
          failure = closing;
        } else {
          failure.addSuppressed(closing);
        }
      }
      if (failure != null) {
        throw failure;
      }
    }
  }

  @Override
  public String toString() {
    return "MiniDb[" + path + ", " + mode + (closed ? ", closed" : "") + "]";
  }

  // ---- for the cursor and the transaction ----

  Object lock() {
    return lock;
  }

  FileChannel channel() {
    return channel;
  }

  int windowBytes() {
    return windowBytes;
  }

  ByteBuffer wholeFile() {
    return wholeFile;
  }

  void transactionClosed(MiniDbTransaction closedTransaction) {
    synchronized (lock) {
      if (transaction == closedTransaction) {
        transaction = null;
      }
    }
  }

  void checkOpen(String what) {
    DbChecks.dbOpen(closed, TYPE, source, what);
  }

  boolean isClosed() {
    return closed;
  }

  long size() {
    try {
      return channel.size();
    } catch (ClosedChannelException e) {
      throw new DbException("minidb file " + path + " is closed", e);
    } catch (IOException e) {
      throw new DbException(
          "cannot read the size of minidb file " + path + ": " + e.getMessage(), e);
    }
  }

  /** A read-only little-endian map of {@code [position, position + size)}. */
  ByteBuffer map(long position, long size) {
    try {
      return channel
          .map(FileChannel.MapMode.READ_ONLY, position, size)
          .order(ByteOrder.LITTLE_ENDIAN);
    } catch (ClosedChannelException e) {
      throw new DbException("minidb file " + path + " is closed", e);
    } catch (IOException e) {
      throw new DbException(
          "cannot map bytes "
              + position
              + ".."
              + (position + size)
              + " of minidb file "
              + path
              + ": "
              + e.getMessage(),
          e);
    }
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // Already failing; the first error is the one to report.
      }
    }
  }
}
