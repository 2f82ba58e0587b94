package dev.cortado.spark.read;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.cortado.db.Keys;
import dev.cortado.proto.TensorProto;
import dev.cortado.proto.TensorProtos;
import dev.cortado.spark.Schemas;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.DecodeException;
import dev.cortado.tensor.Shapes;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorProtoCodec;
import dev.cortado.tensor.TensorProtosDecoder;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Turns one DB record into a row of the chosen layout, decoding values with Cortado's reference
 * codec ({@link TensorProtoCodec}, Caffe2's reader rules). A record that does not decode is a
 * {@link DecodeException} whose message names the record's key and the problem.
 */
public final class RecordDecoder implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The wire decoder of each reading thread: it keeps its scratch space from record to record. */
  private static final ThreadLocal<TensorProtosDecoder> WIRE =
      ThreadLocal.withInitial(TensorProtosDecoder::new);

  /** How values become columns. */
  public enum Format {
    TENSORS,
    RAW,
    COLUMNS
  }

  private final Format format;
  private final List<ColumnSpec> columns;

  private RecordDecoder(Format format, List<ColumnSpec> columns) {
    this.format = format;
    this.columns = List.copyOf(columns);
  }

  public static RecordDecoder tensors() {
    return new RecordDecoder(Format.TENSORS, List.of());
  }

  public static RecordDecoder raw() {
    return new RecordDecoder(Format.RAW, List.of());
  }

  /** Typed columns, one per tensor, fixed by a first record. */
  public static RecordDecoder columns(List<ColumnSpec> columns) {
    return new RecordDecoder(Format.COLUMNS, columns);
  }

  /**
   * The typed columns {@code names} describe, with dtypes and dims taken from {@code firstValue}
   * (the first record read, as in Caffe2, where the first record fixes each output).
   */
  public static RecordDecoder columnsFrom(
      List<String> names, byte[] firstKey, ByteBuffer firstValue) {
    TensorProtos protos = parse(firstValue, firstKey);
    if (protos.getProtosCount() != names.size()) {
      throw new DecodeException(
          "record '"
              + Keys.text(firstKey)
              + "' has "
              + protos.getProtosCount()
              + " tensors, "
              + names.size()
              + " expected (columns="
              + String.join(",", names)
              + ")");
    }
    List<ColumnSpec> specs = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      Tensor t = tensor(protos.getProtos(i), firstKey, i);
      specs.add(new ColumnSpec(names.get(i), i, t.dataType(), t.dims()));
    }
    return columns(specs);
  }

  public Format format() {
    return format;
  }

  /** The rows' schema. */
  public StructType schema() {
    return switch (format) {
      case TENSORS -> Schemas.TENSORS;
      case RAW -> Schemas.RAW;
      case COLUMNS -> {
        StructType s =
            new StructType().add("key", org.apache.spark.sql.types.DataTypes.BinaryType, false);
        for (ColumnSpec c : columns) {
          s =
              s.add(
                  new StructField(
                      c.name(),
                      Schemas.columnType(c.dtype(), c.dims().length),
                      false,
                      org.apache.spark.sql.types.Metadata.empty()));
        }
        yield s;
      }
    };
  }

  /** The row for one record; {@code key} is owned by the row from now on. */
  public InternalRow decode(byte[] key, ByteBuffer value) {
    switch (format) {
      case RAW:
        {
          byte[] bytes = new byte[value.remaining()];
          value.duplicate().get(bytes);
          return new GenericInternalRow(new Object[] {key, bytes});
        }
      case TENSORS:
        {
          TensorProtosDecoder wire = WIRE.get();
          int n = parseWire(wire, value, key);
          Object[] structs = new Object[n];
          for (int i = 0; i < n; i++) {
            structs[i] = tensorStruct(wire, i);
          }
          return new GenericInternalRow(new Object[] {key, new GenericArrayData(structs)});
        }
      default:
        {
          TensorProtos protos = parse(value, key);
          if (protos.getProtosCount() != columns.size()) {
            throw new DecodeException(
                "record '"
                    + Keys.text(key)
                    + "' has "
                    + protos.getProtosCount()
                    + " tensors, "
                    + columns.size()
                    + " expected (columns "
                    + names()
                    + ", fixed by the first record)");
          }
          Object[] row = new Object[columns.size() + 1];
          row[0] = key;
          for (ColumnSpec c : columns) {
            Tensor t = tensor(protos.getProtos(c.index()), key, c.index());
            if (t.dataType() != c.dtype()) {
              throw new DecodeException(
                  "record '"
                      + Keys.text(key)
                      + "': column "
                      + c.name()
                      + " (protos["
                      + c.index()
                      + "]) is "
                      + t.dataType()
                      + ", but the first record's is "
                      + c.dtype()
                      + ": "
                      + c.dtype()
                      + " expected, "
                      + t.dataType()
                      + " found");
            }
            if (!Arrays.equals(t.dims(), c.dims())) {
              throw new DecodeException(
                  "record '"
                      + Keys.text(key)
                      + "': column "
                      + c.name()
                      + " (protos["
                      + c.index()
                      + "]) has shape "
                      + Shapes.toString(t.dims())
                      + ", but the first record's is "
                      + Shapes.toString(c.dims())
                      + ": "
                      + Shapes.toString(c.dims())
                      + " expected, "
                      + Shapes.toString(t.dims())
                      + " found");
            }
            row[c.index() + 1] = columnValue(t);
          }
          return new GenericInternalRow(row);
        }
    }
  }

  private String names() {
    List<String> n = new ArrayList<>();
    for (ColumnSpec c : columns) {
      n.add(c.name());
    }
    return String.join(",", n);
  }

  /**
   * Parses {@code value} with the wire decoder; the key becomes text only for the error, as in the
   * operator's batch filler, not once per record.
   */
  private static int parseWire(TensorProtosDecoder wire, ByteBuffer value, byte[] key) {
    try {
      return wire.parse(value, null);
    } catch (DecodeException e) {
      throw new DecodeException("record '" + Keys.text(key) + "': " + e.getMessage(), e);
    }
  }

  private static TensorProtos parse(ByteBuffer value, byte[] key) {
    try {
      return TensorProtos.parseFrom(value.duplicate());
    } catch (InvalidProtocolBufferException e) {
      throw new DecodeException(
          "record '"
              + Keys.text(key)
              + "': not a valid TensorProtos ("
              + value.remaining()
              + " bytes): "
              + e.getMessage(),
          e);
    }
  }

  private static Tensor tensor(TensorProto p, byte[] key, int index) {
    try {
      return TensorProtoCodec.toTensor(p);
    } catch (DecodeException e) {
      throw new DecodeException(
          "record '" + Keys.text(key) + "': protos[" + index + "]: " + e.getMessage(), e);
    }
  }

  /**
   * Proto {@code i} of the record {@code wire} just parsed, straight from the wire: the payload is
   * copied once, into the row's own array.
   */
  private static InternalRow tensorStruct(TensorProtosDecoder wire, int i) {
    DataType type = wire.dataType(i);
    byte[] data = null;
    ArrayData strings = null;
    if (type == DataType.STRING) {
      byte[][] values = new byte[(int) wire.numel(i)][];
      wire.copyStringsTo(i, values, 0);
      strings = new GenericArrayData((Object[]) values);
    } else {
      data = new byte[Math.toIntExact(wire.numel(i) * type.elementSize())];
      wire.copyTo(i, ByteBuffer.wrap(data), 0);
    }
    byte[] name = wire.name(i);
    return new GenericInternalRow(
        new Object[] {
          name == null ? null : UTF8String.fromBytes(name),
          UTF8String.fromString(type.name()),
          ArrayData.toArrayData(wire.dims(i)),
          data,
          strings
        });
  }

  private static byte[] bytes(Tensor t) {
    ByteBuffer data = t.data();
    byte[] out = new byte[data.remaining()];
    data.get(out);
    return out;
  }

  /** A tensor as the value of its typed column; see {@link Schemas#columnType}. */
  static Object columnValue(Tensor t) {
    DataType type = t.dataType();
    boolean scalar = t.rank() == 0;
    int n = (int) t.numel();
    if (type == DataType.BYTE || type == DataType.UINT8) {
      return bytes(t);
    }
    if (type == DataType.STRING) {
      byte[][] values = t.strings();
      return scalar ? values[0] : new GenericArrayData((Object[]) values.clone());
    }
    ByteBuffer d = t.data();
    switch (type) {
      case FLOAT:
        {
          float[] v = new float[n];
          d.asFloatBuffer().get(v);
          return scalar ? (Object) v[0] : ArrayData.toArrayData(v);
        }
      case FLOAT16:
        {
          float[] v = new float[n];
          for (int i = 0; i < n; i++) {
            v[i] = halfToFloat(d.getShort(2 * i));
          }
          return scalar ? (Object) v[0] : ArrayData.toArrayData(v);
        }
      case DOUBLE:
        {
          double[] v = new double[n];
          d.asDoubleBuffer().get(v);
          return scalar ? (Object) v[0] : ArrayData.toArrayData(v);
        }
      case INT32:
        {
          int[] v = new int[n];
          d.asIntBuffer().get(v);
          return scalar ? (Object) v[0] : ArrayData.toArrayData(v);
        }
      case UINT16:
        {
          int[] v = new int[n];
          for (int i = 0; i < n; i++) {
            v[i] = d.getShort(2 * i) & 0xffff;
          }
          return scalar ? (Object) v[0] : ArrayData.toArrayData(v);
        }
      case INT64:
        {
          long[] v = new long[n];
          d.asLongBuffer().get(v);
          return scalar ? (Object) v[0] : ArrayData.toArrayData(v);
        }
      case INT16:
        {
          short[] v = new short[n];
          d.asShortBuffer().get(v);
          return scalar ? (Object) v[0] : ArrayData.toArrayData(v);
        }
      case INT8:
        {
          byte[] v = new byte[n];
          d.get(v);
          return scalar ? (Object) v[0] : ArrayData.toArrayData(v);
        }
      case BOOL:
        {
          boolean[] v = new boolean[n];
          for (int i = 0; i < n; i++) {
            v[i] = d.get(i) != 0;
          }
          return scalar ? (Object) v[0] : ArrayData.toArrayData(v);
        }
      default:
        throw new DecodeException("no column type for " + type);
    }
  }

  /** IEEE 754 half to float, exact (NaN payloads keep their top bits). */
  static float halfToFloat(short half) {
    int h = half & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      if (mant == 0) {
        return Float.intBitsToFloat(sign);
      }
      float v = mant * 0x1p-24f;
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }
}
