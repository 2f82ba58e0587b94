package dev.cortado.tensor;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Protobuf wire primitives over one record in a {@link ByteBuffer}: tags, lengths, varints and
 * skipped fields, read at a cursor ({@link #pos()}) with the acceptance rules and limits of
 * protobuf-java 4.x {@code CodedInputStream}. Every error is a {@link DecodeException} naming the
 * record key and the byte offset within the record.
 *
 * <p>Reused across records ({@link #reset}); never changes the buffer's position, limit or byte
 * order. Not thread-safe.
 */
final class WireReader {
  private static final VarHandle LONG_LE =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /** protobuf-java's default nesting limit for messages plus groups. */
  static final int RECURSION_LIMIT = 100;

  /** False only in tests: every read byte by byte, the reference for the fast paths. */
  private final boolean fastPaths;

  private ByteBuffer buf;
  private int base;

  /**
   * The index of the record's last 8-byte word ({@code limit - 8}), for {@link #word}; negative
   * when the record is shorter than 8 bytes or the fast paths are off.
   */
  private int wordEnd;

  private String key;
  private int pos;

  WireReader(boolean fastPaths) {
    this.fastPaths = fastPaths;
  }

  /** Starts reading {@code value} from its position to its limit; {@code key} names errors. */
  void reset(ByteBuffer value, String key) {
    this.buf = value;
    this.key = key;
    this.base = value.position();
    this.wordEnd = fastPaths ? value.limit() - 8 : -1;
    this.pos = base;
  }

  ByteBuffer buffer() {
    return buf;
  }

  String key() {
    return key;
  }

  /** The absolute index of the next byte to read. */
  int pos() {
    return pos;
  }

  /** Moves the cursor to absolute index {@code p}. */
  void seek(int p) {
    pos = p;
  }

  /** Moves the cursor past {@code n} bytes that the caller has already bounds-checked. */
  void skip(int n) {
    pos += n;
  }

  // ---------------------------------------------------------------------------------------------
  // Tags, lengths, skipped fields.

  int readTag(int limit) {
    int tagPos = pos;
    int tag = readVarint32(limit);
    if ((tag >>> 3) == 0) {
      throw malformed(tagPos, "invalid tag " + Integer.toUnsignedString(tag) + " (field number 0)");
    }
    return tag;
  }

  /** A length prefix: a 32-bit varint that must be non-negative and fit before the limit. */
  int readLength(int limit, int tagPos) {
    int len = readVarint32(limit);
    if (len < 0) {
      throw malformed(tagPos, "negative length " + len + " for field " + fieldAt(tagPos));
    }
    if (len > limit - pos) {
      throw malformed(
          tagPos,
          "length "
              + len
              + " of field "
              + fieldAt(tagPos)
              + " runs past the end: only "
              + (limit - pos)
              + " bytes remain");
    }
    return len;
  }

  /** Fails unless {@code bytes} bytes remain before {@code limit}. */
  void need(int bytes, int limit, int tagPos, String what) {
    if (limit - pos < bytes) {
      throw malformed(
          tagPos,
          "truncated: " + what + " needs " + bytes + " bytes, only " + (limit - pos) + " remain");
    }
  }

  /**
   * Skips one field the way protobuf-java's UnknownFieldSet reads it. Returns false for an
   * end-group tag inside a group (the caller checks it matches); an end-group tag outside any group
   * is an error.
   */
  boolean skipField(int tag, int limit, int depth, boolean inGroup, int tagPos) {
    switch (tag & 7) {
      case 0:
        readVarint64(limit);
        return true;
      case 1:
        need(8, limit, tagPos, "fixed64 field " + (tag >>> 3));
        pos += 8;
        return true;
      case 2:
        {
          int len = readLength(limit, tagPos);
          pos += len;
          return true;
        }
      case 3:
        checkDepth(depth, tagPos);
        skipGroup(tag >>> 3, limit, depth + 1, tagPos);
        return true;
      case 4:
        if (!inGroup) {
          throw malformed(
              tagPos,
              "end-group tag for field " + (tag >>> 3) + " without a matching start-group tag");
        }
        return false;
      case 5:
        need(4, limit, tagPos, "fixed32 field " + (tag >>> 3));
        pos += 4;
        return true;
      default:
        throw malformed(tagPos, "invalid wire type " + (tag & 7) + " for field " + (tag >>> 3));
    }
  }

  private void skipGroup(int fieldNumber, int limit, int depth, int startPos) {
    while (true) {
      if (pos >= limit) {
        throw malformed(
            startPos,
            "group for field "
                + fieldNumber
                + " has no end-group tag before byte "
                + (limit - base));
      }
      int tagPos = pos;
      int tag = readTag(limit);
      if (!skipField(tag, limit, depth, true, tagPos)) {
        if (tag != ((fieldNumber << 3) | 4)) {
          throw malformed(
              tagPos,
              "end-group tag for field "
                  + (tag >>> 3)
                  + " closes the group of field "
                  + fieldNumber);
        }
        return;
      }
    }
  }

  /** Fails when entering one more message or group at {@code depth} passes the limit. */
  void checkDepth(int depth, int tagPos) {
    if (depth >= RECURSION_LIMIT) {
      throw malformed(tagPos, "messages and groups nested more than " + RECURSION_LIMIT + " deep");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Varints.

  /**
   * A varint read as int32 (protobuf-java readRawVarint32): up to 10 bytes, the tenth without a
   * continuation bit; the value is the low 32 bits.
   *
   * <p>Fast paths: a one- or two-byte varint (tags, lengths, small values) is read with one {@code
   * get} per byte and no loop; a longer one of up to 8 bytes is decoded from one little-endian word
   * ({@link #word}) when it ends inside {@code limit}. (A word read costs more than two byte reads,
   * so tags and lengths stay on bytes.) Anything else (a longer varint, a truncated one, a record
   * under 8 bytes) takes the byte-at-a-time path, which decides errors exactly as before.
   */
  int readVarint32(int limit) {
    int p = pos;
    if (p < limit && fastPaths) {
      int b = buf.get(p);
      if (b >= 0) {
        pos = p + 1;
        return b;
      }
      if (limit - p >= 2) {
        int b1 = buf.get(p + 1);
        if (b1 >= 0) {
          pos = p + 2;
          return (b & 0x7f) | (b1 << 7);
        }
        if (wordEnd >= 0) {
          long w = word(p);
          long stops = ~w & 0x8080808080808080L;
          int n = (Long.numberOfTrailingZeros(stops) + 1) >>> 3;
          if (stops != 0 && n <= limit - p) {
            pos = p + n;
            return (int) compact(w, n);
          }
        }
      }
    }
    return readVarint32Slow(limit);
  }

  private int readVarint32Slow(int limit) {
    int p = pos;
    if (p >= limit) {
      throw truncatedVarint(p);
    }
    int b = buf.get(p++);
    if (b >= 0) {
      pos = p;
      return b;
    }
    int result = b & 0x7f;
    for (int shift = 7; ; shift += 7) {
      if (p >= limit) {
        throw truncatedVarint(pos);
      }
      b = buf.get(p++);
      if (shift < 32) {
        result |= (b & 0x7f) << shift;
      }
      if (b >= 0) {
        pos = p;
        return result;
      }
      if (shift == 63) {
        throw malformed(pos, "varint longer than 10 bytes");
      }
    }
  }

  /**
   * A varint read as int64 (protobuf-java readRawVarint64). Up to 10 bytes; the tenth byte
   * contributes only bit 63. protobuf-java's fast path accepts a tenth byte whose low bit is set
   * even if its continuation bit is set too (and stops there); otherwise a continuation bit on the
   * tenth byte is malformed. Mirrored exactly so both decoders agree. The fast paths (as in {@link
   * #readVarint32}) cover varints of up to 8 bytes only, so the tenth-byte rule always runs in the
   * byte-at-a-time path.
   */
  long readVarint64(int limit) {
    int p = pos;
    if (p < limit && fastPaths) {
      int b = buf.get(p);
      if (b >= 0) {
        pos = p + 1;
        return b;
      }
      if (limit - p >= 2) {
        int b1 = buf.get(p + 1);
        if (b1 >= 0) {
          pos = p + 2;
          return (b & 0x7f) | (b1 << 7);
        }
        if (wordEnd >= 0) {
          long w = word(p);
          long stops = ~w & 0x8080808080808080L;
          int n = (Long.numberOfTrailingZeros(stops) + 1) >>> 3;
          if (stops != 0 && n <= limit - p) {
            pos = p + n;
            return compact(w, n);
          }
        }
      }
    }
    return readVarint64Slow(limit);
  }

  private long readVarint64Slow(int limit) {
    int p = pos;
    if (p >= limit) {
      throw truncatedVarint(p);
    }
    int b = buf.get(p++);
    if (b >= 0) {
      pos = p;
      return b;
    }
    long result = b & 0x7f;
    for (int shift = 7; shift < 63; shift += 7) {
      if (p >= limit) {
        throw truncatedVarint(pos);
      }
      b = buf.get(p++);
      result |= (long) (b & 0x7f) << shift;
      if (b >= 0) {
        pos = p;
        return result;
      }
    }
    if (p >= limit) {
      throw truncatedVarint(pos);
    }
    b = buf.get(p++);
    if ((b & 0x80) != 0 && (b & 1) == 0) {
      throw malformed(pos, "varint longer than 10 bytes");
    }
    pos = p;
    return result | ((long) (b & 1) << 63);
  }

  /**
   * Bytes {@code p, p+1, ...} of the source in the low bytes of a little-endian word. Near the end
   * of the record (p past {@link #wordEnd}, the record at least 8 bytes long) it is the record's
   * last word shifted down, so the bytes past the end read as zeros: callers accept a varint only
   * when it ends before their limit, and a zero there can only end a varint past the limit.
   */
  private long word(int p) {
    int e = wordEnd;
    return p <= e ? (long) LONG_LE.get(buf, p) : (long) LONG_LE.get(buf, e) >>> ((p - e) << 3);
  }

  /**
   * The value of the {@code n}-byte varint (1 <= n <= 8) in the low bytes of little-endian word
   * {@code w}: the 7-bit groups packed together (at most 56 bits).
   */
  private static long compact(long w, int n) {
    long x = w & (-1L >>> (64 - 8 * n)) & 0x7f7f7f7f7f7f7f7fL;
    x = (x & 0x007f007f007f007fL) | ((x & 0x7f007f007f007f00L) >>> 1);
    x = (x & 0x00003fff00003fffL) | ((x & 0x3fff00003fff0000L) >>> 2);
    return (x & 0x000000000fffffffL) | ((x & 0x0fffffff00000000L) >>> 4);
  }

  /**
   * The number of varints in {@code [start, end)}, counted by their last bytes (the ones without a
   * continuation bit) eight bytes at a time, without decoding them; or -1 when the chunk ends
   * inside a varint or holds a run of 10 or more continuation bytes (over-long varints and
   * protobuf-java's tenth-byte quirk), which the caller then walks varint by varint so that
   * acceptance and error messages stay exactly those of {@link #readVarint32}/{@link
   * #readVarint64}. Every other chunk is a sequence of well-formed varints of 1 to 10 bytes, for
   * either reader. The cursor does not move.
   */
  int countVarints(int start, int end) {
    if (!fastPaths) {
      return -1;
    }
    int p = start;
    int count = 0;
    int run = 0; // continuation bytes since the last varint ended
    for (; p <= end - 8; p += 8) {
      long stops = ~(long) LONG_LE.get(buf, p) & 0x8080808080808080L; // p <= end - 8
      if (stops == 0) {
        run += 8;
        if (run >= 10) {
          return -1;
        }
      } else {
        if (run + (Long.numberOfTrailingZeros(stops) >>> 3) >= 10) {
          return -1;
        }
        count += Long.bitCount(stops);
        run = Long.numberOfLeadingZeros(stops) >>> 3;
      }
    }
    for (; p < end; p++) {
      if (buf.get(p) < 0) {
        if (++run >= 10) {
          return -1;
        }
      } else {
        count++;
        run = 0;
      }
    }
    return run == 0 ? count : -1;
  }

  // ---------------------------------------------------------------------------------------------
  // Errors.

  private DecodeException truncatedVarint(int at) {
    return malformed(at, "truncated varint");
  }

  private String fieldAt(int tagPos) {
    // Re-read the tag only to name it; the tag itself was valid.
    int saved = pos;
    pos = tagPos;
    int tag = readVarint32(buf.limit());
    pos = saved;
    return String.valueOf(tag >>> 3);
  }

  /** A malformed-record error at absolute index {@code at}, naming the key and the offset. */
  DecodeException malformed(int at, String message) {
    return new DecodeException(
        ProtoSummary.where(key, -1)
            + "not a valid TensorProtos: "
            + message
            + " (at byte "
            + (at - base)
            + " of "
            + (buf.limit() - base)
            + ")");
  }
}
