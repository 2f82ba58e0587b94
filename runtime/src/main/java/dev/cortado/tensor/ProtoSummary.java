package dev.cortado.tensor;

/**
 * What one TensorProto declares (type, dims, payload counts, segment, format), gathered by either
 * decoder, plus the Caffe2 reader rules that turn it into a tensor.
 *
 * <p>Both the reference path ({@link TensorProtoCodec}, protobuf-java messages) and the streaming
 * path ({@link TensorProtosDecoder}, raw wire bytes) fill one of these and call {@link #resolve},
 * so they accept, reject and word their semantic errors identically. Mutable and reused by the
 * streaming decoder so that decoding a record allocates nothing.
 */
class ProtoSummary {
  /** Which wire field holds the elements, chosen by {@link #resolve}. */
  enum Source {
    FLOAT_DATA,
    BFLOAT16_RAW_DATA,
    INT32_DATA,
    BYTE_DATA,
    STRING_DATA,
    INT64_DATA,
    DOUBLE_DATA
  }

  /** The largest tensor, in bytes, that one direct buffer can hold with alignment slack. */
  static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE - Tensor.ALIGNMENT;

  /** DataType by wire number, without DataType.fromNumber's Optional (this is per record). */
  private static final DataType[] BY_NUMBER = new DataType[16];

  static {
    for (DataType t : DataType.values()) {
      BY_NUMBER[t.number()] = t;
    }
  }

  static final int FMT_PROTOBUF = 0;
  static final int FMT_BFLOAT16 = 1;

  long[] dims = new long[4];
  int rank;
  boolean hasDataType;
  int dataType;
  boolean unknownDataType;
  int unknownDataTypeNumber;
  int floatCount;
  int int32Count;
  int stringCount;
  int int64Count;
  int doubleCount;
  boolean hasByteData;
  int byteDataLength;
  boolean hasRawData;
  int rawDataLength;
  boolean hasDataFormat;
  int dataFormat;
  boolean hasSegment;
  boolean hasSegmentBegin;
  boolean hasSegmentEnd;
  long segmentBegin;
  long segmentEnd;

  // Set by resolve().
  DataType type;
  long numel;
  long begin;
  long count;
  Source source;

  void reset() {
    rank = 0;
    hasDataType = false;
    dataType = DataType.FLOAT.number();
    unknownDataType = false;
    unknownDataTypeNumber = 0;
    floatCount = 0;
    int32Count = 0;
    stringCount = 0;
    int64Count = 0;
    doubleCount = 0;
    hasByteData = false;
    byteDataLength = 0;
    hasRawData = false;
    rawDataLength = 0;
    hasDataFormat = false;
    dataFormat = 0;
    hasSegment = false;
    hasSegmentBegin = false;
    hasSegmentEnd = false;
    segmentBegin = 0;
    segmentEnd = 0;
    type = null;
    numel = 0;
    begin = 0;
    count = 0;
    source = null;
  }

  final void addDim(long d) {
    if (rank == dims.length) {
      long[] grown = new long[rank * 2];
      System.arraycopy(dims, 0, grown, 0, rank);
      dims = grown;
    }
    dims[rank++] = d;
  }

  /** A fresh copy of the declared dims. */
  final long[] dimsCopy() {
    long[] out = new long[rank];
    System.arraycopy(dims, 0, out, 0, rank);
    return out;
  }

  /** True when the declared dims equal {@code other}, without allocating. */
  final boolean dimsEqual(long[] other) {
    if (other.length != rank) {
      return false;
    }
    for (int i = 0; i < rank; i++) {
      if (dims[i] != other[i]) {
        return false;
      }
    }
    return true;
  }

  /** Bytes one whole tensor of this proto occupies (fixed-size types). */
  final long tensorBytes() {
    return numel * type.elementSize();
  }

  /**
   * Applies the reader rules of §2.4 of docs/caffe2-semantics.md (union of OLD and NEW) and sets
   * {@link #type}, {@link #numel}, {@link #begin}, {@link #count} and {@link #source}.
   *
   * @param key record key for messages, or null
   * @param index position of the proto in its TensorProtos, or -1 for a lone TensorProto
   * @param wholeTensor true when the proto must carry the whole tensor (records); false for a Save
   *     chunk whose segment may cover part of it
   */
  final void resolve(String key, int index, boolean wholeTensor) {
    // 1. Element type: absent means FLOAT (OLD rule); numbers Caffe2 cannot decode are errors.
    if (unknownDataType) {
      throw fail(
          key,
          index,
          "unknown data_type "
              + unknownDataTypeNumber
              + " (not a Caffe2 TensorProto.DataType number)");
    }
    DataType t;
    if (!hasDataType) {
      t = DataType.FLOAT;
    } else {
      switch (dataType) {
        case 0:
          throw fail(
              key,
              index,
              "data_type UNDEFINED (0) names no element type; cannot decode the tensor");
        case 14:
          throw fail(
              key,
              index,
              "data_type ZERO_COLLISION_HASH (14) is not a plain tensor type;"
                  + " only Caffe2's specialised serializer reads it");
        case 15:
          throw fail(
              key,
              index,
              "data_type REBATCHING_BUFFER (15) is not a plain tensor type;"
                  + " only Caffe2's specialised serializer reads it");
        default:
          t = dataType >= 0 && dataType < BY_NUMBER.length ? BY_NUMBER[dataType] : null;
          if (t == null) {
            throw fail(key, index, "unknown data_type " + dataType);
          }
      }
    }

    // 2. Element count, with the same overflow rule as Shapes.numel, before anything is sized.
    long n = 1;
    for (int i = 0; i < rank; i++) {
      long d = dims[i];
      if (d < 0) {
        throw fail(key, index, "negative dim " + d + " in dims " + dimsString());
      }
      if (d == 0) {
        n = 0;
      }
    }
    for (int i = 0; i < rank && n != 0; i++) {
      long d = dims[i];
      // Same test as d != 0 && n > MAX_ELEMENTS / d without a 64-bit division per dim: n never
      // exceeds MAX_ELEMENTS (2^31 - 1) here, so for d <= MAX_ELEMENTS the product is exact.
      if (d > Shapes.MAX_ELEMENTS ? n != 0 : n * d > Shapes.MAX_ELEMENTS) {
        throw fail(
            key,
            index,
            "dims " + dimsString() + " declare more than " + Shapes.MAX_ELEMENTS + " elements");
      }
      n *= d;
    }
    numel = n;
    if (t.isFixedSize() && n * t.elementSize() > MAX_TENSOR_BYTES) {
      throw fail(
          key,
          index,
          t
              + " "
              + dimsString()
              + " needs "
              + (n * t.elementSize())
              + " bytes, more than the "
              + MAX_TENSOR_BYTES
              + " one tensor buffer can hold");
    }

    // 3. Chunk range: the segment if present, else the whole tensor.
    long b = 0;
    long c = n;
    if (hasSegment) {
      if (segmentBegin < 0 || segmentBegin > segmentEnd || segmentEnd > n) {
        throw fail(
            key,
            index,
            "invalid chunk: segment ["
                + segmentBegin
                + ", "
                + segmentEnd
                + ") does not lie within the "
                + n
                + " elements of "
                + t
                + " "
                + dimsString());
      }
      if (wholeTensor && (segmentBegin != 0 || segmentEnd != n)) {
        throw fail(
            key,
            index,
            "segment ["
                + segmentBegin
                + ", "
                + segmentEnd
                + ") covers only"
                + " part of the "
                + n
                + " elements of "
                + t
                + " "
                + dimsString()
                + "; a record must carry the whole tensor (partial chunks are read by Load)");
      }
      b = segmentBegin;
      c = segmentEnd - segmentBegin;
    }

    // 4. Serialization format (NEW): absent = FMT_PROTOBUF.
    int format = hasDataFormat ? dataFormat : FMT_PROTOBUF;
    Source src;
    if (format == FMT_BFLOAT16) {
      if (t != DataType.FLOAT) {
        throw fail(
            key,
            index,
            "data_format FMT_BFLOAT16 (1) is only valid for FLOAT, found "
                + t
                + " "
                + dimsString());
      }
      if (rawDataLength != 2 * c) {
        throw fail(
            key,
            index,
            what(t, b, c)
                + " has "
                + elements(c)
                + " but raw_data holds "
                + rawDataLength
                + " bytes; FMT_BFLOAT16 needs "
                + (2 * c));
      }
      src = Source.BFLOAT16_RAW_DATA;
    } else if (format != FMT_PROTOBUF) {
      throw fail(
          key,
          index,
          "unsupported serialization format "
              + Integer.toUnsignedString(format)
              + " in data_format (known: 0 FMT_PROTOBUF,"
              + " 1 FMT_BFLOAT16)");
    } else {
      src = payloadSource(t, key, index, b, c);
    }

    type = t;
    begin = b;
    count = c;
    source = src;
  }

  private Source payloadSource(DataType t, String key, int index, long b, long c) {
    switch (t) {
      case FLOAT:
        expectCount(floatCount, "float_data", t, key, index, b, c);
        return Source.FLOAT_DATA;
      case INT32:
        expectCount(int32Count, "int32_data", t, key, index, b, c);
        return Source.INT32_DATA;
      case BYTE:
        expectBytes(c, t, key, index, b, c);
        return Source.BYTE_DATA;
      case STRING:
        expectCount(stringCount, "string_data", t, key, index, b, c);
        return Source.STRING_DATA;
      case BOOL:
      case UINT8:
      case INT8:
      case UINT16:
      case INT16:
      case FLOAT16:
        // NEW byte holder when byte_data is present (even empty), else the 2018 int32_data.
        if (hasByteData) {
          expectBytes(c * t.elementSize(), t, key, index, b, c);
          return Source.BYTE_DATA;
        }
        expectCount(int32Count, "int32_data", t, key, index, b, c);
        return Source.INT32_DATA;
      case INT64:
        expectCount(int64Count, "int64_data", t, key, index, b, c);
        return Source.INT64_DATA;
      case DOUBLE:
        expectCount(doubleCount, "double_data", t, key, index, b, c);
        return Source.DOUBLE_DATA;
      default:
        throw fail(key, index, "cannot decode data_type " + t);
    }
  }

  private void expectCount(
      int found, String field, DataType t, String key, int index, long b, long c) {
    if (found != c) {
      throw fail(
          key,
          index,
          what(t, b, c)
              + " has "
              + elements(c)
              + " but "
              + field
              + " holds "
              + found
              + (found == 1 ? " value" : " values"));
    }
  }

  private void expectBytes(long expected, DataType t, String key, int index, long b, long c) {
    int found = hasByteData ? byteDataLength : 0;
    if (found != expected) {
      throw fail(
          key,
          index,
          what(t, b, c)
              + " has "
              + elements(c)
              + " but byte_data holds "
              + found
              + " bytes, expected "
              + expected);
    }
  }

  private static String elements(long c) {
    return c + (c == 1 ? " element" : " elements");
  }

  private String what(DataType t, long b, long c) {
    if (hasSegment && (b != 0 || c != numel)) {
      return "chunk [" + b + ", " + (b + c) + ") of " + t + " with dims " + dimsString();
    }
    return t + " with dims " + dimsString();
  }

  final String dimsString() {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < rank; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(dims[i]);
    }
    return sb.append(']').toString();
  }

  /** "record 'k': protos[i]: " (parts omitted when unknown). */
  static String where(String key, int index) {
    StringBuilder sb = new StringBuilder();
    if (key != null) {
      sb.append("record '").append(key).append("': ");
    }
    if (index >= 0) {
      sb.append("protos[").append(index).append("]: ");
    }
    return sb.toString();
  }

  static DecodeException fail(String key, int index, String message) {
    return new DecodeException(where(key, index) + message);
  }
}
