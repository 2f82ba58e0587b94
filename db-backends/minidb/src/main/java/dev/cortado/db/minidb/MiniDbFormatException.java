package dev.cortado.db.minidb;

import dev.cortado.db.DbException;

/**
 * A minidb file whose record framing is broken at {@link #offset()}: a torn tail left by a crash
 * while writing ({@link #tornTail()}), or a zero or negative length. Every record before the offset
 * is whole and readable.
 */
public final class MiniDbFormatException extends DbException {
  private static final long serialVersionUID = 1L;

  private final long offset;
  private final boolean tornTail;

  MiniDbFormatException(String message, long offset, boolean tornTail) {
    super(message);
    this.offset = offset;
    this.tornTail = tornTail;
  }

  /** The byte offset of the broken record: the length of the whole-record prefix before it. */
  public long offset() {
    return offset;
  }

  /**
   * True when the file ends inside the record (truncation); false for a zero or negative length.
   */
  public boolean tornTail() {
    return tornTail;
  }
}
