package dev.cortado.cli;

import java.nio.ByteBuffer;

/** Copies of the short-lived buffers a cursor hands out. */
final class DbBytes {
  private DbBytes() {}

  /** The bytes from position to limit, without moving the buffer. */
  static byte[] copy(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}
