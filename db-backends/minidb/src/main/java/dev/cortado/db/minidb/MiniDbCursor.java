package dev.cortado.db.minidb;

import dev.cortado.db.Cursor;
import dev.cortado.db.DbChecks;
import dev.cortado.db.DbException;
import dev.cortado.db.Keys;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.OptionalLong;

/**
 * A cursor over a minidb file in file order, reading straight from a memory map.
 *
 * <p>Framing is checked record by record as the cursor reaches it, so every record before a broken
 * one is returned first. A broken record (a torn tail, or a zero or negative length) is a {@link
 * MiniDbFormatException} from the call that moved onto it and from every later call except the
 * repositioning ones ({@link #seekToFirst()}, {@link #seekToPosition(long)}). One to seven bytes
 * after the last whole record are reported as a torn tail; Caffe2 silently ignored one to three of
 * them (and failed on four to seven).
 */
public final class MiniDbCursor implements Cursor {
  private static final int HEADER_BYTES = 8;

  private final MiniDb db;
  private final int windowBytes;

  /** The file size this cursor reads up to; refreshed by the repositioning calls. */
  private long fileSize;

  /** The current map window: file bytes {@code [windowStart, windowStart + window.capacity())}. */
  private ByteBuffer window;

  private long windowStart;

  /** Byte offset of the current record, or of the end of the data when not valid. */
  private long offset;

  /** Index of the current record in file order, or -1 when unknown (after seekToPosition). */
  private long ordinal;

  private ByteBuffer key;
  private ByteBuffer value;
  private MiniDbFormatException broken;
  private boolean closed;

  MiniDbCursor(MiniDb db) {
    this.db = db;
    this.windowBytes = db.windowBytes();
    this.window = db.wholeFile();
    this.windowStart = 0;
    try {
      load(0, 0, db.size());
    } catch (MiniDbFormatException e) {
      // Kept in `broken`: the first call on the cursor reports it, as for any other move.
    }
  }

  @Override
  public void seekToFirst() {
    checkOpen("seekToFirst");
    load(0, 0, db.size());
  }

  /** Minidb has no index, so it cannot seek by key; use {@link #seekToPosition(long)}. */
  @Override
  public void seek(byte[] target) {
    checkOpen("seek");
    throw new DbException(
        "minidb file "
            + db.path()
            + " cannot seek to key "
            + Keys.describe(target)
            + ": minidb has no key index (Caffe2 aborts here); only seekToFirst and saved"
            + " byte-offset positions work");
  }

  @Override
  public boolean supportsSeek() {
    return false;
  }

  @Override
  public void next() {
    checkReadable("next");
    // Capacities: the caller may have moved the position of the buffers it was handed.
    long nextOffset = offset + HEADER_BYTES + key.capacity() + value.capacity();
    load(nextOffset, ordinal < 0 ? -1 : ordinal + 1, fileSize);
  }

  @Override
  public boolean valid() {
    checkOpen("valid");
    if (broken != null) {
      throw copy(broken);
    }
    return key != null;
  }

  /**
   * The current key: the same read-only view on every call until the cursor moves, reset to
   * position 0, limit = length and big-endian each time (no {@code duplicate()} per call).
   */
  @Override
  public ByteBuffer key() {
    checkReadable("key");
    return pristine(key);
  }

  /** The current value; handed out as {@link #key()} is. */
  @Override
  public ByteBuffer value() {
    checkReadable("value");
    return pristine(value);
  }

  private static ByteBuffer pristine(ByteBuffer view) {
    return view.clear().order(ByteOrder.BIG_ENDIAN);
  }

  /** The byte offset of the current record. */
  @Override
  public OptionalLong position() {
    checkOpen("position");
    return key != null && broken == null ? OptionalLong.of(offset) : OptionalLong.empty();
  }

  /**
   * Moves to the record starting at byte offset {@code position}, as {@link #position()} reported
   * it. An offset that is not a record boundary shows up as a framing error or a wrong key, which
   * is why {@link dev.cortado.db.DbReader} checkpoints also store the key.
   */
  @Override
  public void seekToPosition(long position) {
    checkOpen("seekToPosition");
    long size = db.size();
    if (position < 0 || position > size) {
      throw new DbException(
          "minidb file "
              + db.path()
              + " has no byte offset "
              + position
              + ": its size is "
              + size
              + " bytes");
    }
    load(position, position == 0 ? 0 : -1, size);
  }

  @Override
  public String location() {
    return "byte offset " + offset + (ordinal >= 0 ? ", record #" + ordinal : "");
  }

  /** The current record's byte offset, or the end of the data when not valid. */
  long offset() {
    return offset;
  }

  @Override
  public void close() {
    closed = true;
    key = null;
    value = null;
    window = null;
  }

  private void checkOpen(String what) {
    DbChecks.cursorOpen(closed, db.isClosed(), db.type(), db.source(), what);
  }

  private void checkReadable(String what) {
    checkOpen(what);
    if (broken != null) {
      throw copy(broken);
    }
    if (key == null) {
      throw DbChecks.pastEnd(
          db.type(), db.source(), what, "end of the data at byte offset " + offset);
    }
  }

  /** Positions on the record at {@code at}; the end of the data leaves the cursor invalid. */
  private void load(long at, long recordOrdinal, long size) {
    key = null;
    value = null;
    broken = null;
    offset = at;
    ordinal = recordOrdinal;
    fileSize = size;
    long remaining = size - at;
    if (remaining == 0) {
      return;
    }
    if (remaining < HEADER_BYTES) {
      throw fail(
          null,
          "is truncated: only "
              + remaining
              + " bytes remain after the last whole"
              + " record, a record header needs "
              + HEADER_BYTES,
          true);
    }
    int keyLength;
    int valueLength;
    if (window != null
        && at >= windowStart
        && at + HEADER_BYTES <= windowStart + window.capacity()) {
      // The usual case: read the header in place rather than through a slice per record.
      int i = (int) (at - windowStart);
      keyLength = littleEndianInt(window, i);
      valueLength = littleEndianInt(window, i + 4);
    } else {
      ByteBuffer header = slice(at, HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      keyLength = header.getInt(0);
      valueLength = header.getInt(4);
    }
    if (keyLength <= 0) {
      throw fail(null, badLength(keyLength, "key"), false);
    }
    if (keyLength > remaining - HEADER_BYTES) {
      throw fail(
          null,
          "is truncated: its key length is "
              + keyLength
              + " bytes but only "
              + (remaining - HEADER_BYTES)
              + " bytes follow the header before the end of the file at"
              + " byte "
              + size,
          true);
    }
    ByteBuffer keyBytes = slice(at + HEADER_BYTES, keyLength);
    if (valueLength <= 0) {
      throw fail(keyBytes, badLength(valueLength, "value"), false);
    }
    long valueRoom = remaining - HEADER_BYTES - keyLength;
    if (valueLength > valueRoom) {
      throw fail(
          keyBytes,
          "is truncated: its value length is "
              + valueLength
              + " bytes but only "
              + valueRoom
              + " bytes remain before the end of the file at byte "
              + size,
          true);
    }
    ByteBuffer valueBytes = slice(at + HEADER_BYTES + keyLength, valueLength);
    key = keyBytes;
    value = valueBytes;
  }

  /** The little-endian int at {@code index}, whatever {@code b}'s own byte order. */
  private static int littleEndianInt(ByteBuffer b, int index) {
    int v = b.getInt(index);
    return b.order() == ByteOrder.LITTLE_ENDIAN ? v : Integer.reverseBytes(v);
  }

  private static String badLength(int length, String what) {
    return length == 0
        ? "has a zero length for the " + what + "; minidb lengths must be > 0"
        : "has a negative length " + length + " for the " + what + "; minidb lengths must be > 0";
  }

  private MiniDbFormatException fail(ByteBuffer keyBytes, String problem, boolean tornTail) {
    StringBuilder message = new StringBuilder("minidb file ").append(db.path()).append(": record");
    if (ordinal >= 0) {
      message.append(" #").append(ordinal);
    }
    if (keyBytes != null) {
      message.append(" (key ").append(Keys.describe(keyBytes)).append(')');
    }
    message.append(" at byte offset ").append(offset).append(' ').append(problem);
    if (tornTail) {
      message
          .append(" (a torn tail, as a crash while writing leaves; ")
          .append(
              offset == 0
                  ? "the file holds no whole record)"
                  : "the records before byte "
                      + offset
                      + " read normally; cortado repair-db --db "
                      + db.path()
                      + " copies them into a new file)");
    }
    broken = new MiniDbFormatException(message.toString(), offset, tornTail);
    return broken;
  }

  private static MiniDbFormatException copy(MiniDbFormatException e) {
    MiniDbFormatException again =
        new MiniDbFormatException(e.getMessage(), e.offset(), e.tornTail());
    again.initCause(e);
    return again;
  }

  /**
   * Bytes {@code [at, at + length)} of the file, from the current window when it holds them, else
   * from a new map. Callers have checked that the range lies inside the file.
   */
  private ByteBuffer slice(long at, int length) {
    if (window != null && at >= windowStart && at + length <= windowStart + window.capacity()) {
      return window.slice((int) (at - windowStart), length);
    }
    long size = Math.min(fileSize - at, Math.max(windowBytes, length));
    ByteBuffer mapped = db.map(at, size);
    if (length <= windowBytes) {
      window = mapped;
      windowStart = at;
    }
    return mapped.slice(0, length);
  }
}
