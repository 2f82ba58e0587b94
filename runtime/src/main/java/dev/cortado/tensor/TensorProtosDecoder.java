package dev.cortado.tensor;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A streaming decoder for serialized {@code caffe2.TensorProtos} records: it reads the protobuf
 * wire format straight from a {@link ByteBuffer} (heap or direct, such as an LMDB map view) and
 * copies each tensor's payload straight into a destination region, without building message
 * objects.
 *
 * <p>Use: {@link #parse} a record (validates everything and records, per proto, the data type, dims
 * and where the payload lies), then {@link #copyTo} / {@link #copyStringsTo} each proto into its
 * destination, or {@link #decode} for fresh tensors. It accepts and rejects exactly what {@link
 * TensorProtoCodec#decodeRecord} (protobuf-java) does and produces identical tensors: any field
 * order, packed or unpacked repeated scalars, split packed chunks, unknown fields of every wire
 * type (groups included), over-long varints, last-wins optional fields and merged nested messages.
 * Every length, count and shape is checked before anything is allocated.
 *
 * <p>This class is the parser and the public face; {@link WireReader} reads the wire primitives and
 * {@link PayloadCopier} copies payloads once a record has parsed.
 *
 * <p>Not thread-safe: use one decoder per worker thread. Decoding a record allocates nothing once
 * the decoder's scratch arrays have grown to the record's size (STRING payloads excepted, which
 * need one {@code byte[]} per element). The source buffer's position, limit and byte order are
 * never changed; its bytes must not change between {@link #parse} and the copies.
 */
public final class TensorProtosDecoder {
  // Tags (field number << 3 | wire type) that protobuf-java's generated TensorProto parser knows.
  static final int TAG_PROTOS = 10;
  static final int TAG_DIMS = 8;
  static final int TAG_DIMS_PACKED = 10;
  static final int TAG_DATA_TYPE = 16;
  static final int TAG_FLOAT = 29;
  static final int TAG_FLOAT_PACKED = 26;
  static final int TAG_INT32 = 32;
  static final int TAG_INT32_PACKED = 34;
  static final int TAG_BYTE_DATA = 42;
  static final int TAG_STRING_DATA = 50;
  static final int TAG_NAME = 58;
  static final int TAG_DEVICE_DETAIL = 66;
  static final int TAG_DOUBLE = 73;
  static final int TAG_DOUBLE_PACKED = 74;
  static final int TAG_INT64 = 80;
  static final int TAG_INT64_PACKED = 82;
  static final int TAG_SEGMENT = 90;
  static final int TAG_RAW_DATA = 106;
  static final int TAG_DATA_FORMAT = 120;

  /**
   * Where one repeated numeric field's payload lies: how many non-empty chunks it came in (an
   * unpacked element is a chunk of one) and where the first one is. One chunk means the payload is
   * copied without rescanning the message.
   */
  static final class Chunks {
    int count;
    int offset;
    int length;

    /** Notes a non-empty chunk of {@code length} bytes at absolute index {@code offset}. */
    void add(int offset, int length) {
      if (count++ == 0) {
        this.offset = offset;
        this.length = length;
      }
    }

    int end() {
      return offset + length;
    }
  }

  /** Per-proto facts plus where its payload chunks lie in the source. */
  static final class Slot extends ProtoSummary {
    int msgStart;
    int msgEnd;
    int byteDataOffset;
    int rawDataOffset;

    /** Where the last {@code name} field's bytes lie; -1 when the proto has none. */
    int nameOffset;

    int nameLength;
    final Chunks floats = new Chunks();
    final Chunks int32s = new Chunks();
    final Chunks int64s = new Chunks();
    final Chunks doubles = new Chunks();

    @Override
    void reset() {
      super.reset();
      nameOffset = -1;
      floats.count = 0;
      int32s.count = 0;
      int64s.count = 0;
      doubles.count = 0;
    }
  }

  private final WireReader in;
  private final PayloadCopier copier;
  private Slot[] slots = new Slot[0];
  private int protoCount = -1;

  /** A decoder with empty scratch space; it grows to the largest record seen. */
  public TensorProtosDecoder() {
    this(true);
  }

  /**
   * {@code fastPaths = false} turns off the varint fast paths (reading varints byte by byte
   * dominated read+decode before them), so tests can check that they accept, reject and word errors
   * exactly as the byte-at-a-time reads do.
   */
  TensorProtosDecoder(boolean fastPaths) {
    this.in = new WireReader(fastPaths);
    this.copier = new PayloadCopier(in);
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
    in.reset(value, key);
    int end = value.limit();
    int n = 0;
    while (in.pos() < end) {
      int tagPos = in.pos();
      int tag = in.readTag(end);
      if (tag == TAG_PROTOS) {
        int len = in.readLength(end, tagPos);
        // Nesting depth 0 here, so the recursion limit cannot trip.
        Slot s = slot(n++);
        s.reset();
        s.msgStart = in.pos();
        s.msgEnd = s.msgStart + len;
        parseTensorProto(s, s.msgEnd);
      } else {
        in.skipField(tag, end, 0, false, tagPos);
      }
    }
    // protobuf-java checks required fields after the whole message parsed.
    for (int i = 0; i < n; i++) {
      Slot s = slots[i];
      if (s.hasSegment && !(s.hasSegmentBegin && s.hasSegmentEnd)) {
        throw new DecodeException(
            ProtoSummary.where(key, -1)
                + "not a valid TensorProtos: protos["
                + i
                + "].segment lacks its required field "
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
      throw new IllegalStateException("protos[" + proto + "] is " + s.type + "; use copyStringsTo");
    }
    long bytes = s.tensorBytes();
    if (destIndex < 0 || destIndex + bytes > dest.limit()) {
      throw new IndexOutOfBoundsException(
          "protos["
              + proto
              + "] needs "
              + bytes
              + " bytes at index "
              + destIndex
              + " of a buffer with limit "
              + dest.limit());
    }
    copier.copy(s, dest, destIndex);
  }

  /** Writes the proto's strings (STRING type) into {@code dest[destIndex ..]}, fresh arrays. */
  public void copyStringsTo(int proto, byte[][] dest, int destIndex) {
    Slot s = parsed(proto);
    if (s.type != DataType.STRING) {
      throw new IllegalStateException("protos[" + proto + "] is " + s.type + "; use copyTo");
    }
    Objects.checkFromIndexSize(destIndex, (int) s.numel, dest.length);
    copier.copyStrings(s, dest, destIndex);
  }

  /**
   * The bytes of the proto's {@code name} (the last one, as protobuf-java keeps), unchecked UTF-8
   * as proto2 stores it; null when the proto has no name.
   */
  public byte[] name(int proto) {
    Slot s = parsed(proto);
    if (s.nameOffset < 0) {
      return null;
    }
    byte[] out = new byte[s.nameLength];
    in.buffer().get(s.nameOffset, out);
    return out;
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
    copier.copy(s, t.data(), 0);
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
    return in.key();
  }

  // ---------------------------------------------------------------------------------------------
  // Structure, exactly as protobuf-java's generated parser walks it.

  private void parseTensorProto(Slot s, int limit) {
    final int depth = 1;
    while (in.pos() < limit) {
      int tagPos = in.pos();
      int tag = in.readTag(limit);
      switch (tag) {
        case TAG_DIMS:
          s.addDim(in.readVarint64(limit));
          break;
        case TAG_DIMS_PACKED:
          {
            int len = in.readLength(limit, tagPos);
            int chunkEnd = in.pos() + len;
            while (in.pos() < chunkEnd) {
              s.addDim(in.readVarint64(chunkEnd));
            }
            break;
          }
        case TAG_DATA_TYPE:
          {
            int v = in.readVarint32(limit);
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
        case TAG_FLOAT_PACKED:
          s.floatCount += packedFixed(s.floats, 4, "float_data", "floats", limit, tagPos);
          break;
        case TAG_FLOAT:
          s.floatCount += unpackedFixed(s.floats, 4, "float_data", limit, tagPos);
          break;
        case TAG_INT32_PACKED:
          s.int32Count += packedVarints(s.int32s, false, limit, tagPos);
          break;
        case TAG_INT32:
          s.int32Count += unpackedVarint(s.int32s, false, limit);
          break;
        case TAG_BYTE_DATA:
          {
            int len = in.readLength(limit, tagPos);
            s.hasByteData = true;
            s.byteDataOffset = in.pos();
            s.byteDataLength = len;
            in.skip(len);
            break;
          }
        case TAG_STRING_DATA:
          {
            int len = in.readLength(limit, tagPos);
            s.stringCount++;
            in.skip(len);
            break;
          }
        case TAG_NAME:
          {
            // proto2 Java does not validate UTF-8 in string fields. The last one wins.
            int len = in.readLength(limit, tagPos);
            s.nameOffset = in.pos();
            s.nameLength = len;
            in.skip(len);
            break;
          }
        case TAG_DEVICE_DETAIL:
          {
            int len = in.readLength(limit, tagPos);
            in.checkDepth(depth, tagPos);
            skipDeviceOption(in.pos() + len, depth + 1);
            break;
          }
        case TAG_DOUBLE_PACKED:
          s.doubleCount += packedFixed(s.doubles, 8, "double_data", "doubles", limit, tagPos);
          break;
        case TAG_DOUBLE:
          s.doubleCount += unpackedFixed(s.doubles, 8, "double_data", limit, tagPos);
          break;
        case TAG_INT64_PACKED:
          s.int64Count += packedVarints(s.int64s, true, limit, tagPos);
          break;
        case TAG_INT64:
          s.int64Count += unpackedVarint(s.int64s, true, limit);
          break;
        case TAG_SEGMENT:
          {
            int len = in.readLength(limit, tagPos);
            in.checkDepth(depth, tagPos);
            parseSegment(s, in.pos() + len, depth + 1);
            s.hasSegment = true;
            break;
          }
        case TAG_RAW_DATA:
          {
            int len = in.readLength(limit, tagPos);
            s.hasRawData = true;
            s.rawDataOffset = in.pos();
            s.rawDataLength = len;
            in.skip(len);
            break;
          }
        case TAG_DATA_FORMAT:
          s.dataFormat = in.readVarint32(limit);
          s.hasDataFormat = true;
          break;
        default:
          in.skipField(tag, limit, depth, false, tagPos);
      }
    }
  }

  /**
   * One packed chunk of {@code width}-byte elements (float_data, double_data): its length must be a
   * whole number of elements. Returns the number of elements.
   */
  private int packedFixed(
      Chunks chunks, int width, String field, String elements, int limit, int tagPos) {
    int len = in.readLength(limit, tagPos);
    if ((len & (width - 1)) != 0) {
      throw in.malformed(
          tagPos,
          "packed "
              + field
              + " of "
              + len
              + " bytes is not a whole number of "
              + width
              + "-byte "
              + elements);
    }
    if (len > 0) {
      chunks.add(in.pos(), len);
    }
    in.skip(len);
    return len / width;
  }

  /** One unpacked {@code width}-byte element (wire type fixed32 or fixed64). Returns 1. */
  private int unpackedFixed(Chunks chunks, int width, String field, int limit, int tagPos) {
    in.need(width, limit, tagPos, field);
    chunks.add(in.pos(), width);
    in.skip(width);
    return 1;
  }

  /**
   * One packed chunk of varints (int32_data, int64_data, read as 64-bit varints when {@code wide}).
   * Returns the number of elements.
   */
  private int packedVarints(Chunks chunks, boolean wide, int limit, int tagPos) {
    int len = in.readLength(limit, tagPos);
    int start = in.pos();
    int chunkEnd = start + len;
    int c = len >= 16 ? in.countVarints(start, chunkEnd) : -1;
    if (c >= 0) {
      in.seek(chunkEnd);
    } else {
      // Short, malformed or unusual (a run of 10+ continuation bytes, which protobuf-java's
      // tenth-byte quirk needs): the exact per-varint walk finds the error, or the count.
      c = 0;
      while (in.pos() < chunkEnd) {
        if (wide) {
          in.readVarint64(chunkEnd);
        } else {
          in.readVarint32(chunkEnd);
        }
        c++;
      }
    }
    if (len > 0) {
      chunks.add(start, len);
    }
    return c;
  }

  /** One unpacked varint element. Returns 1. */
  private int unpackedVarint(Chunks chunks, boolean wide, int limit) {
    int start = in.pos();
    if (wide) {
      in.readVarint64(limit);
    } else {
      in.readVarint32(limit);
    }
    chunks.add(start, in.pos() - start);
    return 1;
  }

  /** Segment{required int64 begin = 1; required int64 end = 2}; occurrences merge. */
  private void parseSegment(Slot s, int limit, int depth) {
    while (in.pos() < limit) {
      int tagPos = in.pos();
      int tag = in.readTag(limit);
      if (tag == 8) {
        s.segmentBegin = in.readVarint64(limit);
        s.hasSegmentBegin = true;
      } else if (tag == 16) {
        s.segmentEnd = in.readVarint64(limit);
        s.hasSegmentEnd = true;
      } else {
        in.skipField(tag, limit, depth, false, tagPos);
      }
    }
  }

  /**
   * DeviceOption is ignored but must be well-formed, as the reference parses it. Its int32 and
   * uint32 fields are read as 32-bit varints, everything else as unknown fields.
   */
  private void skipDeviceOption(int limit, int depth) {
    while (in.pos() < limit) {
      int tagPos = in.pos();
      int tag = in.readTag(limit);
      switch (tag) {
        case 8: // device_type int32
        case 16: // device_id int32
        case 24: // random_seed uint32
        case 40: // numa_node_id int32
          in.readVarint32(limit);
          break;
        default:
          in.skipField(tag, limit, depth, false, tagPos);
      }
    }
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
