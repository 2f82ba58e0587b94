package dev.cortado.db;

import java.nio.ByteBuffer;

/** Formats record keys for error messages: printable ASCII keys in quotes, binary keys in hex. */
public final class Keys {
  /** Longer keys are cut in messages so that a corrupt 2 GiB "key" cannot flood a log. */
  private static final int MAX_SHOWN_BYTES = 64;

  private Keys() {}

  /**
   * {@code '00000005'} for a printable ASCII key, {@code 0x00ff7f} for any other (the form that
   * {@code key_hex} in the test vectors and {@code cortado db-dump} use), cut after 64 bytes. Reads
   * the buffer from its position to its limit without moving either.
   */
  public static String describe(ByteBuffer key) {
    int length = key.remaining();
    if (length == 0) {
      return "'' (empty key)";
    }
    int shown = Math.min(length, MAX_SHOWN_BYTES);
    boolean printable = true;
    for (int i = 0; i < shown && printable; i++) {
      int b = key.get(key.position() + i) & 0xff;
      printable = b >= 0x20 && b < 0x7f && b != '\'';
    }
    StringBuilder out = new StringBuilder(shown * 2 + 16);
    if (printable) {
      out.append('\'');
      for (int i = 0; i < shown; i++) {
        out.append((char) key.get(key.position() + i));
      }
      out.append(length > shown ? "...'" : "'");
    } else {
      out.append("0x");
      for (int i = 0; i < shown; i++) {
        out.append(Character.forDigit((key.get(key.position() + i) >> 4) & 0xf, 16));
        out.append(Character.forDigit(key.get(key.position() + i) & 0xf, 16));
      }
      if (length > shown) {
        out.append("...");
      }
    }
    if (length > shown) {
      out.append(" (").append(length).append(" bytes)");
    }
    return out.toString();
  }

  /** Same as {@link #describe(ByteBuffer)} for a byte array. */
  public static String describe(byte[] key) {
    return describe(ByteBuffer.wrap(key));
  }

  /**
   * The key as plain text for messages that quote it themselves (such as {@code record '<key>'} in
   * decode errors): the characters of a printable ASCII key, else {@code 0x} and its hex.
   */
  public static String text(ByteBuffer key) {
    for (int i = key.position(); i < key.limit(); i++) {
      int b = key.get(i) & 0xff;
      if (b < 0x20 || b >= 0x7f) {
        return "0x" + hex(key);
      }
    }
    StringBuilder out = new StringBuilder(key.remaining());
    for (int i = key.position(); i < key.limit(); i++) {
      out.append((char) key.get(i));
    }
    return out.toString();
  }

  /** Same as {@link #text(ByteBuffer)} for a byte array. */
  public static String text(byte[] key) {
    return text(ByteBuffer.wrap(key));
  }

  /** Lower-case hex of all bytes from position to limit, without moving them. */
  public static String hex(ByteBuffer bytes) {
    StringBuilder out = new StringBuilder(bytes.remaining() * 2);
    for (int i = bytes.position(); i < bytes.limit(); i++) {
      out.append(Character.forDigit((bytes.get(i) >> 4) & 0xf, 16));
      out.append(Character.forDigit(bytes.get(i) & 0xf, 16));
    }
    return out.toString();
  }
}
