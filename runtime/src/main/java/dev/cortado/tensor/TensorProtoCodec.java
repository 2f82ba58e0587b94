package dev.cortado.tensor;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.cortado.proto.TensorProto;
import dev.cortado.proto.TensorProtos;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The reference TensorProto codec: protobuf-java messages to tensors and back, following Caffe2's
 * reader rules (the union of the 2018 and 2024 readers, §2.4 of docs/caffe2-semantics.md) and its
 * 2018 writer layout.
 *
 * <p>Reading: absent {@code data_type} is FLOAT; an explicit number Caffe2 cannot decode
 * (UNDEFINED, 14, 15, or one outside the enum, which protobuf-java files under unknown fields) is
 * an error naming it; BOOL/UINT8/INT8/UINT16/INT16/FLOAT16 come from {@code byte_data} when it is
 * present, else from {@code int32_data} narrowed like a C cast (BOOL as value != 0); FLOAT may come
 * as bfloat16 {@code raw_data} when {@code data_format} is 1; payload counts must equal the element
 * count exactly. {@link TensorProtosDecoder} is the fast path and agrees with this class on every
 * input.
 *
 * <p>Writing: {@code data_type} and {@code dims} always set; FLOAT16 as 16-bit patterns in {@code
 * int32_data} (zero-extended), BYTE in {@code byte_data}, BOOL and the small integer types in
 * {@code int32_data}, the rest in their typed fields. Both Caffe2 versions read this layout.
 */
public final class TensorProtoCodec {
  private TensorProtoCodec() {}

  /**
   * Decodes a TensorProto that carries a whole tensor (a {@code segment}, if present, must be
   * {@code [0, numel)}).
   */
  public static Tensor toTensor(TensorProto p) {
    return toTensor(p, null, -1);
  }

  /**
   * Parses a serialized {@code TensorProtos} record (position to limit; the buffer is not changed)
   * and decodes every entry.
   */
  public static List<Tensor> decodeRecord(ByteBuffer value) {
    return decodeRecord(value, null);
  }

  /** As {@link #decodeRecord(ByteBuffer)}, naming {@code key} in every error message. */
  public static List<Tensor> decodeRecord(ByteBuffer value, String key) {
    TensorProtos protos;
    try {
      protos = TensorProtos.parseFrom(value.duplicate());
    } catch (InvalidProtocolBufferException e) {
      throw new DecodeException(
          ProtoSummary.where(key, -1) + "not a valid TensorProtos: " + e.getMessage(), e);
    }
    List<Tensor> out = new ArrayList<>(protos.getProtosCount());
    for (int i = 0; i < protos.getProtosCount(); i++) {
      out.add(toTensor(protos.getProtos(i), key, i));
    }
    return out;
  }

  /**
   * Copies the chunk a Save record carries ({@code segment} = [begin, end), or the whole tensor
   * when absent) into {@code target} at element {@code begin}, as Caffe2's Load does. The proto's
   * type and dims must equal the target's.
   */
  public static void readChunkInto(TensorProto p, Tensor target) {
    ProtoSummary s = summarize(p, null, -1);
    s.resolve(null, -1, false);
    if (s.type != target.dataType() || !s.dimsEqual(target.dims())) {
      throw new DecodeException(
          "chunk of "
              + s.type
              + " "
              + s.dimsString()
              + " does not fit the target tensor "
              + target.dataType()
              + " "
              + Shapes.toString(target.dims()));
    }
    if (s.type == DataType.STRING) {
      byte[][] dest = target.strings();
      for (int i = 0; i < s.count; i++) {
        dest[(int) s.begin + i] = p.getStringData(i).toByteArray();
      }
      return;
    }
    writePayload(p, s, target.data(), (int) (s.begin * s.type.elementSize()));
  }

  /** Encodes a whole tensor in the 2018 layout (no segment, no name). */
  public static TensorProto fromTensor(Tensor t) {
    TensorProto.Builder b = header(t);
    writeElements(b, t, 0, t.numel());
    return b.build();
  }

  /**
   * Encodes elements [begin, end) of a tensor as a Save chunk: all dims, the data type, {@code
   * segment = {begin, end}} and only the chunk's elements.
   */
  public static TensorProto fromTensorChunk(Tensor t, long begin, long end) {
    if (begin < 0 || begin > end || end > t.numel()) {
      throw new IllegalArgumentException(
          "chunk [" + begin + ", " + end + ") of a tensor with " + t.numel() + " elements");
    }
    TensorProto.Builder b = header(t);
    b.setSegment(TensorProto.Segment.newBuilder().setBegin(begin).setEnd(end));
    writeElements(b, t, begin, end);
    return b.build();
  }

  /** Serializes tensors as one {@code TensorProtos} record value, one proto per tensor. */
  public static byte[] encodeRecord(List<Tensor> tensors) {
    TensorProtos.Builder b = TensorProtos.newBuilder();
    for (Tensor t : tensors) {
      b.addProtos(fromTensor(t));
    }
    return b.build().toByteArray();
  }

  // ---------------------------------------------------------------------------------------------

  static Tensor toTensor(TensorProto p, String key, int index) {
    ProtoSummary s = summarize(p, key, index);
    s.resolve(key, index, true);
    long[] dims = s.dimsCopy();
    if (s.type == DataType.STRING) {
      byte[][] values = new byte[(int) s.numel][];
      for (int i = 0; i < values.length; i++) {
        values[i] = p.getStringData(i).toByteArray();
      }
      return Tensor.ofStrings(dims, values);
    }
    Tensor t = Tensor.allocate(s.type, dims);
    writePayload(p, s, t.data(), 0);
    return t;
  }

  private static ProtoSummary summarize(TensorProto p, String key, int index) {
    ProtoSummary s = new ProtoSummary();
    s.reset();
    for (int i = 0; i < p.getDimsCount(); i++) {
      s.addDim(p.getDims(i));
    }
    if (p.hasDataType()) {
      s.hasDataType = true;
      s.dataType = p.getDataType().getNumber();
    }
    // protobuf-java keeps a data_type number outside the enum only as unknown field 2.
    List<Long> unknownTypes = p.getUnknownFields().getField(2).getVarintList();
    if (!unknownTypes.isEmpty()) {
      s.unknownDataType = true;
      s.unknownDataTypeNumber = (int) (long) unknownTypes.get(unknownTypes.size() - 1);
    }
    s.floatCount = p.getFloatDataCount();
    s.int32Count = p.getInt32DataCount();
    s.stringCount = p.getStringDataCount();
    s.int64Count = p.getInt64DataCount();
    s.doubleCount = p.getDoubleDataCount();
    s.hasByteData = p.hasByteData();
    s.byteDataLength = p.getByteData().size();
    s.hasRawData = p.hasRawData();
    s.rawDataLength = p.getRawData().size();
    s.hasDataFormat = p.hasDataFormat();
    s.dataFormat = p.getDataFormat();
    if (p.hasSegment()) {
      TensorProto.Segment seg = p.getSegment();
      if (!seg.hasBegin() || !seg.hasEnd()) {
        throw ProtoSummary.fail(
            key, index, "segment lacks its required field " + (seg.hasBegin() ? "end" : "begin"));
      }
      s.hasSegment = true;
      s.hasSegmentBegin = true;
      s.hasSegmentEnd = true;
      s.segmentBegin = seg.getBegin();
      s.segmentEnd = seg.getEnd();
    }
    return s;
  }

  /** Writes the s.count elements of the chosen payload field at byte index destIndex (LE). */
  private static void writePayload(TensorProto p, ProtoSummary s, ByteBuffer dest, int destIndex) {
    int n = (int) s.count;
    switch (s.source) {
      case FLOAT_DATA:
        for (int i = 0; i < n; i++) {
          dest.putInt(destIndex + 4 * i, Float.floatToRawIntBits(p.getFloatData(i)));
        }
        break;
      case DOUBLE_DATA:
        for (int i = 0; i < n; i++) {
          dest.putLong(destIndex + 8 * i, Double.doubleToRawLongBits(p.getDoubleData(i)));
        }
        break;
      case INT64_DATA:
        for (int i = 0; i < n; i++) {
          dest.putLong(destIndex + 8 * i, p.getInt64Data(i));
        }
        break;
      case INT32_DATA:
        for (int i = 0; i < n; i++) {
          int v = p.getInt32Data(i);
          switch (s.type) {
            case INT32:
              dest.putInt(destIndex + 4 * i, v);
              break;
            case BOOL:
              dest.put(destIndex + i, (byte) (v != 0 ? 1 : 0));
              break;
            case UINT8:
            case INT8:
              dest.put(destIndex + i, (byte) v);
              break;
            case UINT16:
            case INT16:
            case FLOAT16:
              dest.putShort(destIndex + 2 * i, (short) v);
              break;
            default:
              throw new IllegalStateException("int32_data cannot hold " + s.type);
          }
        }
        break;
      case BYTE_DATA:
        {
          byte[] bytes = p.getByteData().toByteArray();
          if (s.type == DataType.BOOL) {
            for (int i = 0; i < bytes.length; i++) {
              bytes[i] = (byte) (bytes[i] != 0 ? 1 : 0);
            }
          }
          dest.put(destIndex, bytes);
          break;
        }
      case BFLOAT16_RAW_DATA:
        {
          byte[] raw = p.getRawData().toByteArray();
          for (int i = 0; i < n; i++) {
            int bits = (raw[2 * i] & 0xff) | (raw[2 * i + 1] & 0xff) << 8;
            dest.putInt(destIndex + 4 * i, bits << 16);
          }
          break;
        }
      default:
        throw new IllegalStateException("no byte payload for " + s.type);
    }
  }

  private static TensorProto.Builder header(Tensor t) {
    TensorProto.DataType type = TensorProto.DataType.forNumber(t.dataType().number());
    TensorProto.Builder b = TensorProto.newBuilder().setDataType(Objects.requireNonNull(type));
    for (long d : t.dims()) {
      b.addDims(d);
    }
    return b;
  }

  private static void writeElements(TensorProto.Builder b, Tensor t, long begin, long end) {
    int from = (int) begin;
    int to = (int) end;
    if (t.dataType() == DataType.STRING) {
      byte[][] values = t.strings();
      for (int i = from; i < to; i++) {
        b.addStringData(ByteString.copyFrom(values[i]));
      }
      return;
    }
    ByteBuffer data = t.data();
    switch (t.dataType()) {
      case FLOAT:
        for (int i = from; i < to; i++) {
          b.addFloatData(Float.intBitsToFloat(data.getInt(4 * i)));
        }
        break;
      case DOUBLE:
        for (int i = from; i < to; i++) {
          b.addDoubleData(Double.longBitsToDouble(data.getLong(8 * i)));
        }
        break;
      case INT32:
        for (int i = from; i < to; i++) {
          b.addInt32Data(data.getInt(4 * i));
        }
        break;
      case INT64:
        for (int i = from; i < to; i++) {
          b.addInt64Data(data.getLong(8 * i));
        }
        break;
      case BYTE:
        {
          byte[] bytes = new byte[to - from];
          data.get(from, bytes);
          b.setByteData(ByteString.copyFrom(bytes));
          break;
        }
      case BOOL:
        for (int i = from; i < to; i++) {
          b.addInt32Data(data.get(i) != 0 ? 1 : 0);
        }
        break;
      case UINT8:
        for (int i = from; i < to; i++) {
          b.addInt32Data(data.get(i) & 0xff);
        }
        break;
      case INT8:
        for (int i = from; i < to; i++) {
          b.addInt32Data(data.get(i));
        }
        break;
      case UINT16:
      case FLOAT16:
        for (int i = from; i < to; i++) {
          b.addInt32Data(data.getShort(2 * i) & 0xffff);
        }
        break;
      case INT16:
        for (int i = from; i < to; i++) {
          b.addInt32Data(data.getShort(2 * i));
        }
        break;
      default:
        throw new IllegalArgumentException(
            "cannot encode a tensor of type " + t.dataType() + " " + Arrays.toString(t.dims()));
    }
  }
}
