package dev.cortado.spark.write;

import dev.cortado.db.Keys;
import dev.cortado.proto.TensorProto;
import dev.cortado.proto.TensorProtos;
import dev.cortado.spark.Schemas;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.DecodeException;
import dev.cortado.tensor.Shapes;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorProtoCodec;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Turns the rows to write into DB records: the key, and a {@code TensorProtos} value encoded by
 * Cortado's codec in Caffe2's layout ({@link TensorProtoCodec}), or the value as given for the raw
 * layout. The input is one of three layouts, chosen by its columns:
 *
 * <ul>
 *   <li>{@code tensors} (the read layout): one tensor per struct, its element bytes as given;
 *   <li>{@code value} binary (the raw layout): written unchanged;
 *   <li>typed columns: every column but {@code key} and the dims columns becomes one tensor, in
 *       column order. {@code binary} is a BYTE tensor, Spark scalars are scalar tensors ({@code
 *       int} INT32, {@code bigint} INT64, {@code float} FLOAT, ...), arrays are tensors of their
 *       element type. Their dims are {@code [length]} (none for scalars) unless a column {@code
 *       <name>_dims}, or {@code dims} for the first tensor column, gives them.
 * </ul>
 *
 * The key column is {@code binary} or {@code string} (UTF-8).
 */
public final class RowEncoder implements Serializable {
  private static final long serialVersionUID = 1L;

  enum Layout {
    TENSORS,
    RAW,
    TYPED
  }

  /**
   * A typed column: its ordinal, Caffe2 type, whether a scalar, the ordinal of its dims (or -1).
   */
  record Column(
      String name,
      int ordinal,
      DataType type,
      boolean scalar,
      boolean utf8,
      int dimsOrdinal,
      boolean dimsLong)
      implements Serializable {}

  private final Layout layout;
  private final int keyOrdinal;
  private final boolean keyIsString;
  private final int valueOrdinal;
  private final List<Column> columns;

  private RowEncoder(
      Layout layout, int keyOrdinal, boolean keyIsString, int valueOrdinal, List<Column> columns) {
    this.layout = layout;
    this.keyOrdinal = keyOrdinal;
    this.keyIsString = keyIsString;
    this.valueOrdinal = valueOrdinal;
    this.columns = List.copyOf(columns);
  }

  /** The encoder for rows of {@code schema}; an unusable schema is an error saying why. */
  public static RowEncoder forSchema(StructType schema) {
    int key = Schemas.indexOf(schema, "key");
    if (key < 0) {
      throw new IllegalArgumentException(
          "tensorprotos: the data to write needs a column 'key'"
              + " (binary or string); found "
              + schema.simpleString());
    }
    org.apache.spark.sql.types.DataType keyType = schema.fields()[key].dataType();
    if (!(keyType instanceof BinaryType) && !(keyType instanceof StringType)) {
      throw new IllegalArgumentException(
          "tensorprotos: the column 'key' must be binary or"
              + " string, found "
              + keyType.simpleString()
              + " (in "
              + schema.simpleString()
              + ")");
    }
    boolean keyString = keyType instanceof StringType;
    if (Schemas.isTensors(schema)) {
      checkTensorStruct(schema.fields()[Schemas.indexOf(schema, "tensors")]);
      return new RowEncoder(
          Layout.TENSORS, key, keyString, Schemas.indexOf(schema, "tensors"), List.of());
    }
    if (Schemas.isRaw(schema)) {
      return new RowEncoder(
          Layout.RAW, key, keyString, Schemas.indexOf(schema, "value"), List.of());
    }
    StructField[] fields = schema.fields();
    List<Column> columns = new ArrayList<>();
    for (int i = 0; i < fields.length; i++) {
      String name = fields[i].name();
      String lower = name.toLowerCase(Locale.ROOT);
      if (i == key || lower.equals("dims") || lower.endsWith("_dims")) {
        continue;
      }
      int dims = Schemas.indexOf(schema, name + "_dims");
      if (dims < 0 && columns.isEmpty()) {
        dims = Schemas.indexOf(schema, "dims");
      }
      if (dims >= 0 && !isIntegerArray(fields[dims].dataType())) {
        throw new IllegalArgumentException(
            "tensorprotos: the dims column "
                + fields[dims].name()
                + " must be array<int> or array<bigint>, found "
                + fields[dims].dataType().simpleString());
      }
      boolean dimsLong =
          dims >= 0 && ((ArrayType) fields[dims].dataType()).elementType() instanceof LongType;
      columns.add(typed(name, i, fields[i].dataType(), dims, dimsLong));
    }
    if (columns.isEmpty()) {
      throw new IllegalArgumentException(
          "tensorprotos: the data to write has no value column:"
              + " expected 'tensors' (array of tensor structs), 'value' (binary) or typed columns"
              + " beside 'key'; found "
              + schema.simpleString());
    }
    return new RowEncoder(Layout.TYPED, key, keyString, -1, columns);
  }

  private static Column typed(
      String name,
      int ordinal,
      org.apache.spark.sql.types.DataType sparkType,
      int dims,
      boolean dimsLong) {
    boolean scalar = !(sparkType instanceof ArrayType);
    org.apache.spark.sql.types.DataType element =
        scalar ? sparkType : ((ArrayType) sparkType).elementType();
    if (scalar && sparkType instanceof BinaryType) {
      return new Column(name, ordinal, DataType.BYTE, false, false, dims, dimsLong);
    }
    DataType type;
    boolean utf8 = false;
    if (element instanceof FloatType) {
      type = DataType.FLOAT;
    } else if (element instanceof DoubleType) {
      type = DataType.DOUBLE;
    } else if (element instanceof IntegerType) {
      type = DataType.INT32;
    } else if (element instanceof LongType) {
      type = DataType.INT64;
    } else if (element instanceof ShortType) {
      type = DataType.INT16;
    } else if (element instanceof ByteType) {
      type = DataType.INT8;
    } else if (element instanceof BooleanType) {
      type = DataType.BOOL;
    } else if (element instanceof BinaryType) {
      type = DataType.STRING;
    } else if (element instanceof StringType) {
      type = DataType.STRING;
      utf8 = true;
    } else {
      throw new IllegalArgumentException(
          "tensorprotos: column "
              + name
              + " of type "
              + sparkType.simpleString()
              + " has no tensor type; use binary, a number, boolean,"
              + " string or an array of those");
    }
    return new Column(name, ordinal, type, scalar, utf8, dims, dimsLong);
  }

  private static boolean isIntegerArray(org.apache.spark.sql.types.DataType t) {
    return t instanceof ArrayType a
        && (a.elementType() instanceof IntegerType || a.elementType() instanceof LongType);
  }

  private static void checkTensorStruct(StructField field) {
    StructType struct = (StructType) ((ArrayType) field.dataType()).elementType();
    for (String needed : new String[] {"dtype", "dims"}) {
      if (Schemas.indexOf(struct, needed) < 0) {
        throw new IllegalArgumentException(
            "tensorprotos: the tensors struct needs a field '"
                + needed
                + "'; expected "
                + Schemas.TENSOR.simpleString()
                + ", found "
                + struct.simpleString());
      }
    }
  }

  /** The key of a row; a null key is an error. */
  public byte[] key(InternalRow row) {
    if (row.isNullAt(keyOrdinal)) {
      throw new DecodeException("tensorprotos: a row to write has a null key");
    }
    return keyIsString ? row.getUTF8String(keyOrdinal).getBytes() : row.getBinary(keyOrdinal);
  }

  /** The record value of a row whose key is {@code key} (for messages). */
  public byte[] value(InternalRow row, byte[] key) {
    try {
      return switch (layout) {
        case RAW -> {
          if (row.isNullAt(valueOrdinal)) {
            throw new DecodeException("the value is null");
          }
          yield row.getBinary(valueOrdinal);
        }
        case TENSORS -> encodeTensors(row.getArray(valueOrdinal));
        case TYPED -> encodeTyped(row);
      };
    } catch (DecodeException | IllegalArgumentException | ArithmeticException e) {
      throw new DecodeException(
          "tensorprotos: cannot encode the row with key "
              + Keys.describe(key)
              + ": "
              + e.getMessage(),
          e);
    }
  }

  private byte[] encodeTensors(ArrayData tensors) {
    if (tensors == null) {
      throw new DecodeException("tensors is null");
    }
    TensorProtos.Builder out = TensorProtos.newBuilder();
    for (int i = 0; i < tensors.numElements(); i++) {
      InternalRow t = tensors.getStruct(i, 5);
      String where = "tensors[" + i + "]";
      String name = t.isNullAt(0) ? null : t.getUTF8String(0).toString();
      if (t.isNullAt(1)) {
        throw new DecodeException(where + ": dtype is null");
      }
      String dtypeName = t.getUTF8String(1).toString();
      DataType type =
          DataType.fromName(dtypeName)
              .filter(d -> d != DataType.UNDEFINED)
              .orElseThrow(
                  () ->
                      new DecodeException(
                          where
                              + ": unknown dtype '"
                              + dtypeName
                              + "'; expected a Caffe2 type name such as FLOAT, INT32, BYTE or STRING"));
      if (t.isNullAt(2)) {
        throw new DecodeException(where + ": dims is null");
      }
      long[] dims = t.getArray(2).toLongArray();
      Tensor tensor;
      if (type == DataType.STRING) {
        if (t.isNullAt(4)) {
          throw new DecodeException(where + ": a STRING tensor needs 'strings'");
        }
        ArrayData strings = t.getArray(4);
        byte[][] values = new byte[strings.numElements()][];
        for (int j = 0; j < values.length; j++) {
          values[j] = strings.getBinary(j);
        }
        if (values.length != Shapes.numel(dims)) {
          throw new DecodeException(
              where
                  + ": STRING dims "
                  + Shapes.toString(dims)
                  + " need "
                  + Shapes.numel(dims)
                  + " strings, found "
                  + values.length);
        }
        tensor = Tensor.ofStrings(dims, values);
      } else {
        if (t.isNullAt(3)) {
          throw new DecodeException(where + ": a " + type + " tensor needs 'data'");
        }
        byte[] data = t.getBinary(3);
        long expected = Shapes.numel(dims) * type.elementSize();
        if (data.length != expected) {
          throw new DecodeException(
              where
                  + ": "
                  + type
                  + " dims "
                  + Shapes.toString(dims)
                  + " need "
                  + expected
                  + " bytes of data, found "
                  + data.length);
        }
        tensor = Tensor.wrap(type, dims, ByteBuffer.wrap(data));
      }
      TensorProto proto = TensorProtoCodec.fromTensor(tensor);
      if (name != null && !name.isEmpty()) {
        proto = proto.toBuilder().setName(name).build();
      }
      out.addProtos(proto);
    }
    return out.build().toByteArray();
  }

  private byte[] encodeTyped(InternalRow row) {
    List<Tensor> tensors = new ArrayList<>(columns.size());
    for (Column c : columns) {
      if (row.isNullAt(c.ordinal())) {
        throw new DecodeException("column " + c.name() + " is null");
      }
      tensors.add(typedTensor(row, c));
    }
    return TensorProtoCodec.encodeRecord(tensors);
  }

  private static Tensor typedTensor(InternalRow row, Column c) {
    if (c.type() == DataType.BYTE) {
      byte[] bytes = row.getBinary(c.ordinal());
      long[] dims = dims(row, c, bytes.length);
      return Tensor.wrap(DataType.BYTE, dims, ByteBuffer.wrap(bytes));
    }
    if (c.scalar()) {
      long[] dims = dims(row, c, 1);
      return switch (c.type()) {
        case STRING ->
            Tensor.ofStrings(
                dims,
                new byte[][] {
                  c.utf8() ? row.getUTF8String(c.ordinal()).getBytes() : row.getBinary(c.ordinal())
                });
        default -> {
          ByteBuffer b = ByteBuffer.allocate(c.type().elementSize()).order(ByteOrder.LITTLE_ENDIAN);
          switch (c.type()) {
            case FLOAT -> b.putFloat(row.getFloat(c.ordinal()));
            case DOUBLE -> b.putDouble(row.getDouble(c.ordinal()));
            case INT32 -> b.putInt(row.getInt(c.ordinal()));
            case INT64 -> b.putLong(row.getLong(c.ordinal()));
            case INT16 -> b.putShort(row.getShort(c.ordinal()));
            case INT8 -> b.put(row.getByte(c.ordinal()));
            case BOOL -> b.put((byte) (row.getBoolean(c.ordinal()) ? 1 : 0));
            default -> throw new IllegalStateException(c.type().name());
          }
          yield Tensor.wrap(c.type(), dims, b.flip());
        }
      };
    }
    ArrayData a = row.getArray(c.ordinal());
    int n = a.numElements();
    for (int i = 0; i < n; i++) {
      if (a.isNullAt(i)) {
        throw new DecodeException("column " + c.name() + " has a null element at " + i);
      }
    }
    long[] dims = dims(row, c, n);
    if (c.type() == DataType.STRING) {
      byte[][] values = new byte[n][];
      for (int i = 0; i < n; i++) {
        values[i] = c.utf8() ? a.getUTF8String(i).getBytes() : a.getBinary(i);
      }
      return Tensor.ofStrings(dims, values);
    }
    ByteBuffer b = ByteBuffer.allocate(n * c.type().elementSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      switch (c.type()) {
        case FLOAT -> b.putFloat(a.getFloat(i));
        case DOUBLE -> b.putDouble(a.getDouble(i));
        case INT32 -> b.putInt(a.getInt(i));
        case INT64 -> b.putLong(a.getLong(i));
        case INT16 -> b.putShort(a.getShort(i));
        case INT8 -> b.put(a.getByte(i));
        case BOOL -> b.put((byte) (a.getBoolean(i) ? 1 : 0));
        default -> throw new IllegalStateException(c.type().name());
      }
    }
    return Tensor.wrap(c.type(), dims, b.flip());
  }

  /** The dims of column {@code c}: its dims column's, else [count] (none for a scalar). */
  private static long[] dims(InternalRow row, Column c, int count) {
    if (c.dimsOrdinal() < 0 || row.isNullAt(c.dimsOrdinal())) {
      return c.scalar() && c.type() != DataType.BYTE ? new long[0] : new long[] {count};
    }
    ArrayData d = row.getArray(c.dimsOrdinal());
    long[] dims = new long[d.numElements()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = c.dimsLong() ? d.getLong(i) : d.getInt(i);
    }
    if (Shapes.numel(dims) != count) {
      throw new DecodeException(
          "column "
              + c.name()
              + " holds "
              + count
              + " elements, but its"
              + " dims "
              + Shapes.toString(dims)
              + " need "
              + Shapes.numel(dims));
    }
    return dims;
  }
}
