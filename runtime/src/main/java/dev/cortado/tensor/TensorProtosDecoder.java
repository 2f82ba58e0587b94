package dev.cortado.tensor;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A streaming decoder for serialized {@code caffe2.TensorProtos} records: it reads the protobuf
 * wire format straight from a {@link ByteBuffer} (heap or direct, such as an LMDB map view) and
 * copies each tensor's payload straight into a destination region, without building message
 * objects.
 *
 * <p>Use: {@link #parse} a record (validates everything and records, per proto, the data type,
 * dims and where the payload lies), then {@link #copyTo} / {@link #copyStringsTo} each proto into
 * its destination, or {@link #decode} for fresh tensors. It accepts and rejects exactly what
 * {@link TensorProtoCodec#decodeRecord} (protobuf-java) does and produces identical tensors: any
 * field order, packed or unpacked repeated scalars, split packed chunks, unknown fields of every
 * wire type (groups included), over-long varints, last-wins optional fields and merged nested
 * messages. Every length, count and shape is checked before anything is allocated.
 *
 * <p>Not thread-safe: use one decoder per worker thread. Decoding a record allocates nothing once
 * the decoder's scratch arrays have grown to the record's size (STRING payloads excepted, which
 * need one {@code byte[]} per element). The source buffer's position, limit and byte order are
 * never changed; its bytes must not change between {@link #parse} and the copies.
 */
public final class TensorProtosDecoder {
  private static final VarHandle SHORT_LE =
      MethodHandles.byteBufferViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT_LE =
      MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG_LE =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /** protobuf-java's default nesting limit for messages plus groups. */
  private static final int RECURSION_LIMIT = 100;

  // Tags (field number << 3 | wire type) that protobuf-java's generated TensorProto parser knows.
  private static final int TAG_PROTOS = 10;
  private static final int TAG_DIMS = 8;
  private static final int TAG_DIMS_PACKED = 10;
  private static final int TAG_DATA_TYPE = 16;
  private static final int TAG_FLOAT = 29;
  private static final int TAG_FLOAT_PACKED = 26;
  private static final int TAG_INT32 = 32;
  private static final int TAG_INT32_PACKED = 34;
  private static final int TAG_BYTE_DATA = 42;
  private static final int TAG_STRING_DATA = 50;
  private static final int TAG_NAME = 58;
  private static final int TAG_DEVICE_DETAIL = 66;
  private static final int TAG_DOUBLE = 73;
  private static final int TAG_DOUBLE_PACKED = 74;
  private static final int TAG_INT64 = 80;
  private static final int TAG_INT64_PACKED = 82;
  private static final int TAG_SEGMENT = 90;
  private static final int TAG_RAW_DATA = 106;
  private static final int TAG_DATA_FORMAT = 120;

  /** Per-proto facts plus where its payload chunks lie in the source. */
  static final class Slot extends ProtoSummary {
    int msgStart;
    int msgEnd;
    int byteDataOffset;
    int rawDataOffset;
    // One chunk tracker per repeated numeric payload field: how many non-empty chunks (an
    // unpacked element is a chunk of one), and where the first one lies. One chunk means the
    // payload is copied without rescanning the message.
    int floatChunks;
    int floatOffset;
    int floatLength;
    int int32Chunks;
    int int32Offset;
    int int32Length;
    int int64Chunks;
    int int64Offset;
    int int64Length;
    int doubleChunks;
    int doubleOffset;
    int doubleLength;

    @Override
    void reset() {
      super.reset();
      floatChunks = 0;
      int32Chunks = 0;
      int64Chunks = 0;
      doubleChunks = 0;
    }
  }

  private ByteBuffer buf;
  private int base;
  /**
   * The index of the record's last 8-byte word ({@code limit - 8}), for {@link #word}; negative
   * when the record is shorter than 8 bytes or the fast paths are off.
   */
  private int wordEnd;
  private String key;
  private int pos;
  private Slot[] slots = new Slot[0];
  private int protoCount = -1;

  /** False only in tests: every read byte by byte, the reference for the fast paths. */
  private final boolean fastPaths;

  /** A decoder with empty scratch space; it grows to the largest record seen. */
  public TensorProtosDecoder() {
    this(true);
  }

  /**
   * {@code fastPaths = false} turns off the varint fast paths (H-A1: per-byte varint reads were
   * ~30% of read+decode), so tests can check that they accept, reject and word errors exactly as
   * the byte-at-a-time reads do.
   */
  TensorProtosDecoder(boolean fastPaths) {
    this.fastPaths = fastPaths;
  }

  // ---------------------------------------------------------------------------------------------
  // Public API

  /**
   * Parses and validates one serialized TensorProtos from {@code value}'s position to its limit.
   *
   * @param key the record key, named in every error message (may be null)
   * @return the number of TensorProto entries
   * @throws DecodeException for malformed protobuf (truncation, a bad wire type or tag, a varint
   *     over 10 bytes, a length past the end, a mismatched group, nesting over 100 deep, a segment
   *     missing a required field) or a tensor Caffe2 cannot read (unknown or UNDEFINED data_type,
   *     payload count not equal to the element count, a negative dim, too many elements)
   */
  public int parse(ByteBuffer value, String key) {
    Objects.requireNonNull(value, "value");
    protoCount = -1;
    this.buf = value;
    this.key = key;
    this.base = value.position();
    int end = value.limit();
    this.wordEnd = fastPaths ? end - 8 : -1;
    int n = 0;
    pos = base;
    while (pos < end) {
      int tagPos = pos;
      int tag = readTag(end);
      if (tag == TAG_PROTOS) {
        int len = readLength(end, tagPos);
        // Nesting depth 0 here, so the recursion limit cannot trip.
        Slot s = slot(n++);
        s.reset();
        s.msgStart = pos;
        s.msgEnd = pos + len;
        parseTensorProto(s, pos + len);
      } else {
        skipField(tag, end, 0, false, tagPos);
      }
    }
    // protobuf-java checks required fields after the whole message parsed.
    for (int i = 0; i < n; i++) {
      Slot s = slots[i];
      if (s.hasSegment && !(s.hasSegmentBegin && s.hasSegmentEnd)) {
        throw new DecodeException(ProtoSummary.where(key, -1) + "not a valid TensorProtos: protos["
            + i + "].segment lacks its required field "
            + (s.hasSegmentBegin ? "end" : "begin"));
      }
    }
    for (int i = 0; i < n; i++) {
      slots[i].resolve(key, i, true);
    }
    protoCount = n;
    return n;
  }

  /** The number of protos in the last parsed record. */
  public int protoCount() {
    checkParsed();
    return protoCount;
  }

  public DataType dataType(int proto) {
    return parsed(proto).type;
  }

  public int rank(int proto) {
    return parsed(proto).rank;
  }

  public long dim(int proto, int axis) {
    Slot s = parsed(proto);
    Objects.checkIndex(axis, s.rank);
    return s.dims[axis];
  }

  /** A fresh copy of the proto's dims. */
  public long[] dims(int proto) {
    return parsed(proto).dimsCopy();
  }

  /** True when the proto's dims equal {@code dims} (no allocation). */
  public boolean hasDims(int proto, long[] dims) {
    return parsed(proto).dimsEqual(dims);
  }

  /** The proto's element count: the product of its dims. */
  public long numel(int proto) {
    return parsed(proto).numel;
  }

  /** The dims as text, {@code [2,3]}, for messages. */
  public String dimsString(int proto) {
    return parsed(proto).dimsString();
  }

  /**
   * Writes the proto's elements (fixed-size types), little-endian, into {@code dest} at absolute
   * byte index {@code destIndex}; {@code numel * elementSize} bytes are written. The buffer's
   * position, limit and byte order are not used or changed, so several threads may fill disjoint
   * regions of one buffer.
   */
  public void copyTo(int proto, ByteBuffer dest, int destIndex) {
    Slot s = parsed(proto);
    if (!s.type.isFixedSize()) {
      throw new IllegalStateException("protos[" + proto + "] is " + s.type
          + "; use copyStringsTo");
    }
    long bytes = s.tensorBytes();
    if (destIndex < 0 || destIndex + bytes > dest.limit()) {
      throw new IndexOutOfBoundsException("protos[" + proto + "] needs " + bytes
          + " bytes at index " + destIndex + " of a buffer with limit " + dest.limit());
    }
    copyPayload(s, dest, destIndex);
  }

  /** Writes the proto's strings (STRING type) into {@code dest[destIndex ..]}, fresh arrays. */
  public void copyStringsTo(int proto, byte[][] dest, int destIndex) {
    Slot s = parsed(proto);
    if (s.type != DataType.STRING) {
      throw new IllegalStateException("protos[" + proto + "] is " + s.type + "; use copyTo");
    }
    Objects.checkFromIndexSize(destIndex, (int) s.numel, dest.length);
    int d = destIndex;
    pos = s.msgStart;
    int limit = s.msgEnd;
    while (pos < limit) {
      int tagPos = pos;
      int tag = readTag(limit);
      if (tag == TAG_STRING_DATA) {
        int len = readLength(limit, tagPos);
        byte[] value = new byte[len];
        buf.get(pos, value);
        dest[d++] = value;
        pos += len;
      } else {
        skipField(tag, limit, 1, false, tagPos);
      }
    }
  }

  /** A fresh tensor holding the proto's data. */
  public Tensor toTensor(int proto) {
    Slot s = parsed(proto);
    long[] dims = s.dimsCopy();
    if (s.type == DataType.STRING) {
      byte[][] values = new byte[(int) s.numel][];
      copyStringsTo(proto, values, 0);
      return Tensor.ofStrings(dims, values);
    }
    Tensor t = Tensor.allocate(s.type, dims);
    copyPayload(s, t.data(), 0);
    return t;
  }

  /** Parses {@code value} and returns one fresh tensor per proto. */
  public List<Tensor> decode(ByteBuffer value, String key) {
    int n = parse(value, key);
    List<Tensor> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(toTensor(i));
    }
    return out;
  }

  /** The key given to the last {@link #parse}. */
  String key() {
    return key;
  }

  // ---------------------------------------------------------------------------------------------
  // Phase 1: structure, exactly as protobuf-java's generated parser walks it.

  private void parseTensorProto(Slot s, int limit) {
    final int depth = 1;
    while (pos < limit) {
      int tagPos = pos;
      int tag = readTag(limit);
      switch (tag) {
        case TAG_DIMS:
          s.addDim(readVarint64(limit));
          break;
        case TAG_DIMS_PACKED: {
          int len = readLength(limit, tagPos);
          int chunkEnd = pos + len;
          while (pos < chunkEnd) {
            s.addDim(readVarint64(chunkEnd));
          }
          break;
        }
        case TAG_DATA_TYPE: {
          int v = readVarint32(limit);
          // protobuf-java files a number outside the enum under unknown fields and keeps any
          // earlier known value; we reject the record whenever such a number appears.
          if (dev.cortado.proto.TensorProto.DataType.forNumber(v) != null) {
            s.hasDataType = true;
            s.dataType = v;
          } else {
            s.unknownDataType = true;
            s.unknownDataTypeNumber = v;
          }
          break;
        }
        case TAG_FLOAT_PACKED: {
          int len = readLength(limit, tagPos);
          if ((len & 3) != 0) {
            throw malformed(tagPos, "packed float_data of " + len
                + " bytes is not a whole number of 4-byte floats");
          }
          if (len > 0) {
            if (s.floatChunks++ == 0) {
              s.floatOffset = pos;
              s.floatLength = len;
            }
            s.floatCount += len >>> 2;
          }
          pos += len;
          break;
        }
        case TAG_FLOAT: {
          need(4, limit, tagPos, "float_data");
          if (s.floatChunks++ == 0) {
            s.floatOffset = pos;
            s.floatLength = 4;
          }
          s.floatCount++;
          pos += 4;
          break;
        }
        case TAG_INT32_PACKED: {
          int len = readLength(limit, tagPos);
          int start = pos;
          int chunkEnd = pos + len;
          int c = len >= 16 ? countVarints(start, chunkEnd) : -1;
          if (c >= 0) {
            pos = chunkEnd;
          } else {
            // Short, malformed or unusual (a run of 10+ continuation bytes): the exact
            // per-varint walk finds the error, or the count, just as before.
            c = 0;
            while (pos < chunkEnd) {
              readVarint32(chunkEnd);
              c++;
            }
          }
          if (len > 0) {
            if (s.int32Chunks++ == 0) {
              s.int32Offset = start;
              s.int32Length = len;
            }
            s.int32Count += c;
          }
          break;
        }
        case TAG_INT32: {
          int start = pos;
          readVarint32(limit);
          if (s.int32Chunks++ == 0) {
            s.int32Offset = start;
            s.int32Length = pos - start;
          }
          s.int32Count++;
          break;
        }
        case TAG_BYTE_DATA: {
          int len = readLength(limit, tagPos);
          s.hasByteData = true;
          s.byteDataOffset = pos;
          s.byteDataLength = len;
          pos += len;
          break;
        }
        case TAG_STRING_DATA: {
          int len = readLength(limit, tagPos);
          s.stringCount++;
          pos += len;
          break;
        }
        case TAG_NAME: {
          // proto2 Java does not validate UTF-8 in string fields.
          int len = readLength(limit, tagPos);
          pos += len;
          break;
        }
        case TAG_DEVICE_DETAIL: {
          int len = readLength(limit, tagPos);
          checkDepth(depth, tagPos);
          skipDeviceOption(pos + len, depth + 1);
          break;
        }
        case TAG_DOUBLE_PACKED: {
          int len = readLength(limit, tagPos);
          if ((len & 7) != 0) {
            throw malformed(tagPos, "packed double_data of " + len
                + " bytes is not a whole number of 8-byte doubles");
          }
          if (len > 0) {
            if (s.doubleChunks++ == 0) {
              s.doubleOffset = pos;
              s.doubleLength = len;
            }
            s.doubleCount += len >>> 3;
          }
          pos += len;
          break;
        }
        case TAG_DOUBLE: {
          need(8, limit, tagPos, "double_data");
          if (s.doubleChunks++ == 0) {
            s.doubleOffset = pos;
            s.doubleLength = 8;
          }
          s.doubleCount++;
          pos += 8;
          break;
        }
        case TAG_INT64_PACKED: {
          int len = readLength(limit, tagPos);
          int start = pos;
          int chunkEnd = pos + len;
          int c = len >= 16 ? countVarints(start, chunkEnd) : -1;
          if (c >= 0) {
            pos = chunkEnd;
          } else {
            // Short chunks, and protobuf-java's tenth-byte quirk, which only a run of 10+
            // continuation bytes can trigger: the exact per-varint walk decides.
            c = 0;
            while (pos < chunkEnd) {
              readVarint64(chunkEnd);
              c++;
            }
          }
          if (len > 0) {
            if (s.int64Chunks++ == 0) {
              s.int64Offset = start;
              s.int64Length = len;
            }
            s.int64Count += c;
          }
          break;
        }
        case TAG_INT64: {
          int start = pos;
          readVarint64(limit);
          if (s.int64Chunks++ == 0) {
            s.int64Offset = start;
            s.int64Length = pos - start;
          }
          s.int64Count++;
          break;
        }
        case TAG_SEGMENT: {
          int len = readLength(limit, tagPos);
          checkDepth(depth, tagPos);
          parseSegment(s, pos + len, depth + 1);
          s.hasSegment = true;
          break;
        }
        case TAG_RAW_DATA: {
          int len = readLength(limit, tagPos);
          s.hasRawData = true;
          s.rawDataOffset = pos;
          s.rawDataLength = len;
          pos += len;
          break;
        }
        case TAG_DATA_FORMAT:
          s.dataFormat = readVarint32(limit);
          s.hasDataFormat = true;
          break;
        default:
          skipField(tag, limit, depth, false, tagPos);
      }
    }
  }

  /** Segment{required int64 begin = 1; required int64 end = 2}; occurrences merge. */
  private void parseSegment(Slot s, int limit, int depth) {
    while (pos < limit) {
      int tagPos = pos;
      int tag = readTag(limit);
      if (tag == 8) {
        s.segmentBegin = readVarint64(limit);
        s.hasSegmentBegin = true;
      } else if (tag == 16) {
        s.segmentEnd = readVarint64(limit);
        s.hasSegmentEnd = true;
      } else {
        skipField(tag, limit, depth, false, tagPos);
      }
    }
  }

  /**
   * DeviceOption is ignored but must be well-formed, as the reference parses it. Its int32 and
   * uint32 fields are read as 32-bit varints, everything else as unknown fields.
   */
  private void skipDeviceOption(int limit, int depth) {
    while (pos < limit) {
      int tagPos = pos;
      int tag = readTag(limit);
      switch (tag) {
        case 8: // device_type int32
        case 16: // device_id int32
        case 24: // random_seed uint32
        case 40: // numa_node_id int32
          readVarint32(limit);
          break;
        default:
          skipField(tag, limit, depth, false, tagPos);
      }
    }
  }

  /**
   * Skips one field the way protobuf-java's UnknownFieldSet reads it. Returns false for an
   * end-group tag inside a group (the caller checks it matches); an end-group tag outside any
   * group is an error.
   */
  private boolean skipField(int tag, int limit, int depth, boolean inGroup, int tagPos) {
    switch (tag & 7) {
      case 0:
        readVarint64(limit);
        return true;
      case 1:
        need(8, limit, tagPos, "fixed64 field " + (tag >>> 3));
        pos += 8;
        return true;
      case 2: {
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
          throw malformed(tagPos, "end-group tag for field " + (tag >>> 3)
              + " without a matching start-group tag");
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
        throw malformed(startPos, "group for field " + fieldNumber
            + " has no end-group tag before byte " + (limit - base));
      }
      int tagPos = pos;
      int tag = readTag(limit);
      if (!skipField(tag, limit, depth, true, tagPos)) {
        if (tag != ((fieldNumber << 3) | 4)) {
          throw malformed(tagPos, "end-group tag for field " + (tag >>> 3)
              + " closes the group of field " + fieldNumber);
        }
        return;
      }
    }
  }

  private void checkDepth(int depth, int tagPos) {
    if (depth >= RECURSION_LIMIT) {
      throw malformed(tagPos, "messages and groups nested more than " + RECURSION_LIMIT
          + " deep");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Wire primitives. Semantics follow protobuf-java 4.x CodedInputStream exactly.

  private int readTag(int limit) {
    int tagPos = pos;
    int tag = readVarint32(limit);
    if ((tag >>> 3) == 0) {
      throw malformed(tagPos, "invalid tag " + Integer.toUnsignedString(tag)
          + " (field number 0)");
    }
    return tag;
  }

  /** A length prefix: a 32-bit varint that must be non-negative and fit before the limit. */
  private int readLength(int limit, int tagPos) {
    int len = readVarint32(limit);
    if (len < 0) {
      throw malformed(tagPos, "negative length " + len + " for field " + fieldAt(tagPos));
    }
    if (len > limit - pos) {
      throw malformed(tagPos, "length " + len + " of field " + fieldAt(tagPos)
          + " runs past the end: only " + (limit - pos) + " bytes remain");
    }
    return len;
  }

  private void need(int bytes, int limit, int tagPos, String what) {
    if (limit - pos < bytes) {
      throw malformed(tagPos, "truncated: " + what + " needs " + bytes + " bytes, only "
          + (limit - pos) + " remain");
    }
  }

  /**
   * A varint read as int32 (protobuf-java readRawVarint32): up to 10 bytes, the tenth without a
   * continuation bit; the value is the low 32 bits.
   *
   * <p>Fast paths: a one- or two-byte varint (tags, lengths, small values) is read with one
   * {@code get} per byte and no loop; a longer one of up to 8 bytes is decoded from one
   * little-endian word ({@link #word}) when it ends inside {@code limit}. (A word read costs more
   * than two byte reads, so tags and lengths stay on bytes.) Anything else (a longer varint, a
   * truncated one, a record under 8 bytes) takes the byte-at-a-time path, which decides errors
   * exactly as before.
   */
  private int readVarint32(int limit) {
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
   * even if its continuation bit is set too (and stops there); otherwise a continuation bit on
   * the tenth byte is malformed. Mirrored exactly so both decoders agree. The fast paths (as in
   * {@link #readVarint32}) cover varints of up to 8 bytes only, so the tenth-byte rule always
   * runs in the byte-at-a-time path.
   */
  private long readVarint64(int limit) {
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
    return p <= e
        ? (long) LONG_LE.get(buf, p)
        : (long) LONG_LE.get(buf, e) >>> ((p - e) << 3);
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
   * The number of varints in {@code [start, end)}, counted by their last bytes (the ones without
   * a continuation bit) eight bytes at a time, without decoding them; or -1 when the chunk ends
   * inside a varint or holds a run of 10 or more continuation bytes (over-long varints and
   * protobuf-java's tenth-byte quirk), which the caller then walks varint by varint so that
   * acceptance and error messages stay exactly those of {@link #readVarint32}/{@link
   * #readVarint64}. Every other chunk is a sequence of well-formed varints of 1 to 10 bytes, for
   * either reader.
   */
  private int countVarints(int start, int end) {
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

  private DecodeException malformed(int at, String message) {
    return new DecodeException(ProtoSummary.where(key, -1) + "not a valid TensorProtos: "
        + message + " (at byte " + (at - base) + " of " + (buf.limit() - base) + ")");
  }

  // ---------------------------------------------------------------------------------------------
  // Phase 2: payload copies.

  private void copyPayload(Slot s, ByteBuffer dest, int destIndex) {
    if (s.count == 0) {
      return;
    }
    DataType t = s.type;
    switch (s.source) {
      case FLOAT_DATA:
        copyFixed(s, s.floatChunks, s.floatOffset, s.floatLength, TAG_FLOAT_PACKED, TAG_FLOAT,
            dest, destIndex);
        break;
      case DOUBLE_DATA:
        copyFixed(s, s.doubleChunks, s.doubleOffset, s.doubleLength, TAG_DOUBLE_PACKED,
            TAG_DOUBLE, dest, destIndex);
        break;
      case INT32_DATA:
        if (s.int32Chunks == 1) {
          copyInt32Chunk(t, s.int32Offset, s.int32Offset + s.int32Length, dest, destIndex);
        } else {
          rescanVarints(s, TAG_INT32_PACKED, TAG_INT32, t, dest, destIndex);
        }
        break;
      case INT64_DATA:
        if (s.int64Chunks == 1) {
          copyInt64Chunk(s.int64Offset, s.int64Offset + s.int64Length, dest, destIndex);
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

  /** Fixed-width elements: wire bytes are element bytes, so every chunk is one bulk copy. */
  private void copyFixed(Slot s, int chunks, int offset, int length, int packedTag,
      int unpackedTag, ByteBuffer dest, int destIndex) {
    if (chunks == 1) {
      dest.put(destIndex, buf, offset, length);
      return;
    }
    int width = unpackedTag == TAG_FLOAT ? 4 : 8;
    int d = destIndex;
    pos = s.msgStart;
    int limit = s.msgEnd;
    while (pos < limit) {
      int tagPos = pos;
      int tag = readTag(limit);
      if (tag == packedTag) {
        int len = readLength(limit, tagPos);
        dest.put(d, buf, pos, len);
        d += len;
        pos += len;
      } else if (tag == unpackedTag) {
        dest.put(d, buf, pos, width);
        d += width;
        pos += width;
      } else {
        skipField(tag, limit, 1, false, tagPos);
      }
    }
  }

  private void rescanVarints(Slot s, int packedTag, int unpackedTag, DataType t,
      ByteBuffer dest, int destIndex) {
    int d = destIndex;
    int width = t.elementSize();
    pos = s.msgStart;
    int limit = s.msgEnd;
    while (pos < limit) {
      int tagPos = pos;
      int tag = readTag(limit);
      int start;
      int end;
      if (tag == packedTag) {
        int len = readLength(limit, tagPos);
        start = pos;
        end = pos + len;
      } else if (tag == unpackedTag) {
        start = pos;
        if (t == DataType.INT64) {
          readVarint64(limit);
        } else {
          readVarint32(limit);
        }
        end = pos;
      } else {
        skipField(tag, limit, 1, false, tagPos);
        continue;
      }
      int n = t == DataType.INT64
          ? copyInt64Chunk(start, end, dest, d)
          : copyInt32Chunk(t, start, end, dest, d);
      d += n * width;
      pos = end;
    }
  }

  /** Decodes the int32 varints in [start, end) into elements of type t; returns how many. */
  private int copyInt32Chunk(DataType t, int start, int end, ByteBuffer dest, int destIndex) {
    int saved = pos;
    pos = start;
    int i = 0;
    switch (t) {
      case INT32:
        while (pos < end) {
          INT_LE.set(dest, destIndex + 4 * i++, readVarint32(end));
        }
        break;
      case BOOL:
        while (pos < end) {
          dest.put(destIndex + i++, readVarint32(end) != 0 ? (byte) 1 : (byte) 0);
        }
        break;
      case UINT8:
      case INT8:
        while (pos < end) {
          dest.put(destIndex + i++, (byte) readVarint32(end));
        }
        break;
      case UINT16:
      case INT16:
      case FLOAT16:
        while (pos < end) {
          SHORT_LE.set(dest, destIndex + 2 * i++, (short) readVarint32(end));
        }
        break;
      default:
        throw new IllegalStateException("int32_data cannot hold " + t);
    }
    pos = saved;
    return i;
  }

  private int copyInt64Chunk(int start, int end, ByteBuffer dest, int destIndex) {
    int saved = pos;
    pos = start;
    int i = 0;
    while (pos < end) {
      LONG_LE.set(dest, destIndex + 8 * i++, readVarint64(end));
    }
    pos = saved;
    return i;
  }

  // ---------------------------------------------------------------------------------------------

  private Slot slot(int i) {
    if (i == slots.length) {
      Slot[] grown = new Slot[Math.max(4, slots.length * 2)];
      System.arraycopy(slots, 0, grown, 0, slots.length);
      for (int j = slots.length; j < grown.length; j++) {
        grown[j] = new Slot();
      }
      slots = grown;
    }
    return slots[i];
  }

  private void checkParsed() {
    if (protoCount < 0) {
      throw new IllegalStateException("no record parsed successfully yet");
    }
  }

  private Slot parsed(int proto) {
    checkParsed();
    Objects.checkIndex(proto, protoCount);
    return slots[proto];
  }
}
