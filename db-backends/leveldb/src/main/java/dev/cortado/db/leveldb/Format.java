package dev.cortado.db.leveldb;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** LevelDB's on-disk encodings (varints, fixed-width little-endian ints, masked CRC32C). */
final class Format {
  /** LevelDB's bytewise comparator name; RocksDB's bytewise comparator uses the same one. */
  static final String COMPARATOR = "leveldb.BytewiseComparator";

  /** Value-type tags inside internal keys and write batches. */
  static final int TYPE_DELETION = 0;

  static final int TYPE_VALUE = 1;

  private Format() {}

  static void putVarint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7fL) != 0) {
      out.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  static void putFixed32(ByteArrayOutputStream out, int v) {
    for (int i = 0; i < 4; i++) {
      out.write(v >>> (8 * i));
    }
  }

  static void putFixed64(ByteArrayOutputStream out, long v) {
    for (int i = 0; i < 8; i++) {
      out.write((int) (v >>> (8 * i)));
    }
  }

  static void putLengthPrefixed(ByteArrayOutputStream out, byte[] bytes) {
    putVarint(out, bytes.length);
    out.writeBytes(bytes);
  }

  /** Reads a varint of at most 64 bits from {@code in}; throws on a truncated or overlong one. */
  static long getVarint(ByteBuffer in) {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!in.hasRemaining()) {
        throw new IllegalArgumentException("truncated varint");
      }
      int b = in.get() & 0xff;
      result |= (long) (b & 0x7f) << shift;
      if (b < 0x80) {
        return result;
      }
    }
    throw new IllegalArgumentException("varint longer than 10 bytes");
  }

  static byte[] getLengthPrefixed(ByteBuffer in) {
    long length = getVarint(in);
    if (length > in.remaining()) {
      throw new IllegalArgumentException(
          "length " + length + " runs past the end (" + in.remaining() + " bytes left)");
    }
    byte[] bytes = new byte[(int) length];
    in.get(bytes);
    return bytes;
  }

  /** LevelDB stores CRCs masked, because a CRC over data that embeds CRCs is weak. */
  static int maskedCrc(byte[] a, int offset, int length, byte[] b, int bOffset, int bLength) {
    CRC32C crc = new CRC32C();
    crc.update(a, offset, length);
    crc.update(b, bOffset, bLength);
    int c = (int) crc.getValue();
    return ((c >>> 15) | (c << 17)) + 0xa282ead8;
  }

  /** An internal key: the user key, then (sequence << 8 | type) as a little-endian fixed64. */
  static byte[] internalKey(byte[] userKey, long sequence, int type) {
    byte[] out = new byte[userKey.length + 8];
    System.arraycopy(userKey, 0, out, 0, userKey.length);
    long tag = (sequence << 8) | type;
    for (int i = 0; i < 8; i++) {
      out[userKey.length + i] = (byte) (tag >>> (8 * i));
    }
    return out;
  }

  static String fileName(long number, String suffix) {
    return String.format("%06d.%s", number, suffix);
  }
}
