package dev.cortado.db;

/**
 * The checks a backend makes before a call on its DB, cursors and transactions, so that a call
 * after close, past the last record or a write on a READ DB fails the same way on every backend,
 * for example {@code lmdb '/data/train': cursor key() after the DB was closed}.
 *
 * <p>Each check costs one branch when it passes; the message is built only when it fails.
 */
public final class DbChecks {
  private DbChecks() {}

  /** Throws unless the DB is open: {@code <type> '<source>': <call> after the DB was closed}. */
  public static void dbOpen(boolean dbClosed, String type, String source, String call) {
    if (dbClosed) {
      throw new DbException(type + " '" + source + "': " + call + " after the DB was closed");
    }
  }

  /**
   * Throws unless both the cursor and its DB are open: {@code <type> '<source>': cursor <call>()
   * after the cursor was closed} (or {@code the DB}).
   */
  public static void cursorOpen(
      boolean cursorClosed, boolean dbClosed, String type, String source, String call) {
    if (cursorClosed || dbClosed) {
      throw afterClose(type, source, "cursor", call, cursorClosed);
    }
  }

  /**
   * Throws unless both the transaction and its DB are open: {@code <type> '<source>': transaction
   * <call>() after the transaction was closed} (or {@code the DB}).
   */
  public static void transactionOpen(
      boolean transactionClosed, boolean dbClosed, String type, String source, String call) {
    if (transactionClosed || dbClosed) {
      throw afterClose(type, source, "transaction", call, transactionClosed);
    }
  }

  /**
   * Throws unless the cursor is on a record: {@code <type> '<source>': cursor <call>() past the
   * end}.
   */
  public static void onRecord(boolean valid, String type, String source, String call) {
    if (!valid) {
      throw pastEnd(type, source, call, null);
    }
  }

  /**
   * The error for a cursor call past the last record, with {@code detail} (where the data ended,
   * say) in parentheses when not null.
   */
  public static DbException pastEnd(String type, String source, String call, String detail) {
    return new DbException(
        type
            + " '"
            + source
            + "': cursor "
            + call
            + "() past the end"
            + (detail == null ? "" : " (" + detail + ")"));
  }

  /**
   * Throws unless {@code mode} allows writing: {@code <type> '<source>' is open for READ; a
   * transaction needs WRITE or NEW}.
   */
  public static void writable(Mode mode, String type, String source) {
    if (mode == Mode.READ) {
      throw new DbException(
          type + " '" + source + "' is open for READ; a transaction needs WRITE or NEW");
    }
  }

  private static DbException afterClose(
      String type, String source, String what, String call, boolean itselfClosed) {
    return new DbException(
        type
            + " '"
            + source
            + "': "
            + what
            + " "
            + call
            + "() after "
            + (itselfClosed ? "the " + what : "the DB")
            + " was closed");
  }
}
