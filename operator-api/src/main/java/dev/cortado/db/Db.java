package dev.cortado.db;

/**
 * An open key-value DB whose values are usually serialized {@code caffe2.TensorProtos}. {@link
 * #close()} is idempotent; using the DB, or a cursor or transaction from it, after close throws
 * {@link DbException}.
 */
public interface Db extends AutoCloseable {
  /** The path or other source this DB was opened from. */
  String source();

  /** The db_type name it was opened with (the provider's canonical name). */
  String type();

  Mode mode();

  /** A cursor on the first record. Needs {@link Mode#READ} on backends that care. */
  Cursor newCursor();

  /** A transaction for writing. Needs {@link Mode#WRITE} or {@link Mode#NEW}. */
  Transaction newTransaction();

  @Override
  void close();
}
