package dev.cortado.tensor;

import static dev.cortado.tensor.TensorProtosDecoder.TAG_DOUBLE;
import static dev.cortado.tensor.TensorProtosDecoder.TAG_DOUBLE_PACKED;
import static dev.cortado.tensor.TensorProtosDecoder.TAG_FLOAT;
import static dev.cortado.tensor.TensorProtosDecoder.TAG_FLOAT_PACKED;
import static dev.cortado.tensor.TensorProtosDecoder.TAG_INT32;
import static dev.cortado.tensor.TensorProtosDecoder.TAG_INT32_PACKED;
import static dev.cortado.tensor.TensorProtosDecoder.TAG_INT64;
import static dev.cortado.tensor.TensorProtosDecoder.TAG_INT64_PACKED;
import static dev.cortado.tensor.TensorProtosDecoder.TAG_STRING_DATA;

import dev.cortado.tensor.TensorProtosDecoder.Chunks;
import dev.cortado.tensor.TensorProtosDecoder.Slot;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The second phase of {@link TensorProtosDecoder}: copies the payload of one parsed proto from the
 * source record into a destination, as little-endian elements of the proto's data type. A payload
 * in one chunk is copied from where the parser found it; one split over several chunks (split
 * packed runs, unpacked elements) is gathered by rescanning the proto's message. The record was
 * fully validated by the parse, so nothing here can fail on the record's bytes.
 */
final class PayloadCopier {
  private static final VarHandle SHORT_LE =
      MethodHandles.byteBufferViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT_LE =
      MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG_LE =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final WireReader in;

  PayloadCopier(WireReader in) {
    this.in = in;
  }

  /** Writes the fixed-size elements of {@code s} into {@code dest} at byte {@code destIndex}. */
  void copy(Slot s, ByteBuffer dest, int destIndex) {
    if (s.count == 0) {
      return;
    }
    DataType t = s.type;
    ByteBuffer buf = in.buffer();
    switch (s.source) {
      case FLOAT_DATA:
        copyFixed(s, s.floats, TAG_FLOAT_PACKED, TAG_FLOAT, 4, dest, destIndex);
        break;
      case DOUBLE_DATA:
        copyFixed(s, s.doubles, TAG_DOUBLE_PACKED, TAG_DOUBLE, 8, dest, destIndex);
        break;
      case INT32_DATA:
        if (s.int32s.count == 1) {
          copyInt32Chunk(t, s.int32s.offset, s.int32s.end(), dest, destIndex);
        } else {
          rescanVarints(s, TAG_INT32_PACKED, TAG_INT32, t, dest, destIndex);
        }
        break;
      case INT64_DATA:
        if (s.int64s.count == 1) {
          copyInt64Chunk(s.int64s.offset, s.int64s.end(), dest, destIndex);
        } else {
          rescanVarints(s, TAG_INT64_PACKED, TAG_INT64, t, dest, destIndex);
        }
        break;
      case BYTE_DATA:
        if (t == DataType.BOOL) {
          // A bool is true or false: normalise holder bytes to 0/1 as the int32 path does.
          for (int i = 0; i < s.byteDataLength; i++) {
            dest.put(destIndex + i, buf.get(s.byteDataOffset + i) != 0 ? (byte) 1 : (byte) 0);
          }
        } else {
          dest.put(destIndex, buf, s.byteDataOffset, s.byteDataLength);
        }
        break;
      case BFLOAT16_RAW_DATA:
        for (int i = 0; i < s.count; i++) {
          int bits = Short.toUnsignedInt((short) SHORT_LE.get(buf, s.rawDataOffset + 2 * i));
          INT_LE.set(dest, destIndex + 4 * i, bits << 16);
        }
        break;
      default:
        throw new IllegalStateException("no byte payload for " + t);
    }
  }

  /** Writes the STRING elements of {@code s} into {@code dest[destIndex ..]}, fresh arrays. */
  void copyStrings(Slot s, byte[][] dest, int destIndex) {
    ByteBuffer buf = in.buffer();
    int d = destIndex;
    in.seek(s.msgStart);
    int limit = s.msgEnd;
    while (in.pos() < limit) {
      int tagPos = in.pos();
      int tag = in.readTag(limit);
      if (tag == TAG_STRING_DATA) {
        int len = in.readLength(limit, tagPos);
        byte[] value = new byte[len];
        buf.get(in.pos(), value);
        dest[d++] = value;
        in.skip(len);
      } else {
        in.skipField(tag, limit, 1, false, tagPos);
      }
    }
  }

  /**
   * Fixed-width elements ({@code width} bytes each): wire bytes are element bytes, so every chunk
   * is one bulk copy.
   */
  private void copyFixed(
      Slot s,
      Chunks chunks,
      int packedTag,
      int unpackedTag,
      int width,
      ByteBuffer dest,
      int destIndex) {
    ByteBuffer buf = in.buffer();
    if (chunks.count == 1) {
      dest.put(destIndex, buf, chunks.offset, chunks.length);
      return;
    }
    int d = destIndex;
    in.seek(s.msgStart);
    int limit = s.msgEnd;
    while (in.pos() < limit) {
      int tagPos = in.pos();
      int tag = in.readTag(limit);
      int len;
      if (tag == packedTag) {
        len = in.readLength(limit, tagPos);
      } else if (tag == unpackedTag) {
        len = width;
      } else {
        in.skipField(tag, limit, 1, false, tagPos);
        continue;
      }
      dest.put(d, buf, in.pos(), len);
      d += len;
      in.skip(len);
    }
  }

  /** Varint elements over several chunks: each chunk is decoded where it lies. */
  private void rescanVarints(
      Slot s, int packedTag, int unpackedTag, DataType t, ByteBuffer dest, int destIndex) {
    int d = destIndex;
    int width = t.elementSize();
    in.seek(s.msgStart);
    int limit = s.msgEnd;
    while (in.pos() < limit) {
      int tagPos = in.pos();
      int tag = in.readTag(limit);
      int start;
      int end;
      if (tag == packedTag) {
        int len = in.readLength(limit, tagPos);
        start = in.pos();
        end = start + len;
      } else if (tag == unpackedTag) {
        start = in.pos();
        if (t == DataType.INT64) {
          in.readVarint64(limit);
        } else {
          in.readVarint32(limit);
        }
        end = in.pos();
      } else {
        in.skipField(tag, limit, 1, false, tagPos);
        continue;
      }
      int n =
          t == DataType.INT64
              ? copyInt64Chunk(start, end, dest, d)
              : copyInt32Chunk(t, start, end, dest, d);
      d += n * width;
      in.seek(end);
    }
  }

  /** Decodes the int32 varints in [start, end) into elements of type t; returns how many. */
  private int copyInt32Chunk(DataType t, int start, int end, ByteBuffer dest, int destIndex) {
    int saved = in.pos();
    in.seek(start);
    int i = 0;
    switch (t) {
      case INT32:
        while (in.pos() < end) {
          INT_LE.set(dest, destIndex + 4 * i++, in.readVarint32(end));
        }
        break;
      case BOOL:
        while (in.pos() < end) {
          dest.put(destIndex + i++, in.readVarint32(end) != 0 ? (byte) 1 : (byte) 0);
        }
        break;
      case UINT8:
      case INT8:
        while (in.pos() < end) {
          dest.put(destIndex + i++, (byte) in.readVarint32(end));
        }
        break;
      case UINT16:
      case INT16:
      case FLOAT16:
        while (in.pos() < end) {
          SHORT_LE.set(dest, destIndex + 2 * i++, (short) in.readVarint32(end));
        }
        break;
      default:
        throw new IllegalStateException("int32_data cannot hold " + t);
    }
    in.seek(saved);
    return i;
  }

  /** Decodes the int64 varints in [start, end); returns how many. */
  private int copyInt64Chunk(int start, int end, ByteBuffer dest, int destIndex) {
    int saved = in.pos();
    in.seek(start);
    int i = 0;
    while (in.pos() < end) {
      LONG_LE.set(dest, destIndex + 8 * i++, in.readVarint64(end));
    }
    in.seek(saved);
    return i;
  }
}
