package dev.cortado.db;

import java.nio.ByteBuffer;

/**
 * Receives one record from {@link DbReader#read(RecordVisitor)} or {@link DbReader#readBatch(int,
 * RecordVisitor)} without a copy.
 *
 * <p>The buffers may point straight into the backend's storage (an LMDB map, a minidb mapping).
 * They are read-only, positioned at 0 with the length as limit, and valid only during the call: the
 * reader's lock is held while the visitor runs, and the cursor moves as soon as it returns. A
 * visitor that needs the bytes later copies them. Keep the visitor short: other threads reading
 * from the same {@link DbReader} wait for it.
 */
@FunctionalInterface
public interface RecordVisitor {
  void visit(ByteBuffer key, ByteBuffer value);
}
