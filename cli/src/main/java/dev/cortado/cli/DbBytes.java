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

  /** A key as messages name it: the text itself for printable ASCII, else 0x-prefixed hex. */
  static String keyString(ByteBuffer key) {
    for (int i = key.position(); i < key.limit(); i++) {
      int b = key.get(i) & 0xff;
      if (b < 0x20 || b >= 0x7f) {
        return "0x" + dev.cortado.db.Keys.hex(key);
      }
    }
    byte[] bytes = copy(key);
    return new String(bytes, java.nio.charset.StandardCharsets.US_ASCII);
  }
}
