package dev.cortado.bench;

import dev.cortado.tensor.Tensor;
import java.nio.ByteBuffer;

/** Constants and small helpers shared by the benchmarks. */
final class Bench {
  /** lmdbjava's fast buffer proxy reads the address field of direct buffers. */
  static final String OPEN_NIO = "--add-opens=java.base/java.nio=ALL-UNNAMED";

  static final String OPEN_NIO_CH = "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED";

  private Bench() {}

  /** A zero-filled, 64-byte aligned direct buffer. */
  static ByteBuffer direct(long bytes) {
    return Tensor.allocateAligned(Math.toIntExact(bytes));
  }

  /** Closes each non-null resource in order; the first failure is thrown after all were tried. */
  static void closeAll(AutoCloseable... resources) {
    RuntimeException first = null;
    for (AutoCloseable r : resources) {
      if (r == null) {
        continue;
      }
      try {
        r.close();
      } catch (Exception e) {
        if (first == null) {
          first = e instanceof RuntimeException re ? re : new IllegalStateException(e);
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
