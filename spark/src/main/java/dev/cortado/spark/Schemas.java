package dev.cortado.spark;

import dev.cortado.tensor.DataType;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The row layouts the connector reads and writes. */
public final class Schemas {
  /**
   * One tensor: its name (null when the record has none), Caffe2's dtype name ({@code FLOAT},
   * {@code BYTE}, ...), dims, the raw little-endian element bytes (null for STRING) and the
   * elements of a STRING tensor (null for every other type).
   */
  public static final StructType TENSOR =
      new StructType(
          new StructField[] {
            DataTypes.createStructField("name", DataTypes.StringType, true),
            DataTypes.createStructField("dtype", DataTypes.StringType, false),
            DataTypes.createStructField(
                "dims", DataTypes.createArrayType(DataTypes.LongType, false), false),
            DataTypes.createStructField("data", DataTypes.BinaryType, true),
            DataTypes.createStructField(
                "strings", DataTypes.createArrayType(DataTypes.BinaryType, false), true)
          });

  /** {@code value_format=tensors}: {@code key binary, tensors array<struct<...>>}. */
  public static final StructType TENSORS =
      new StructType(
          new StructField[] {
            DataTypes.createStructField("key", DataTypes.BinaryType, false),
            DataTypes.createStructField("tensors", DataTypes.createArrayType(TENSOR, false), false)
          });

  /** {@code value_format=raw}: {@code key binary, value binary}, the DB's bytes unchanged. */
  public static final StructType RAW =
      new StructType(
          new StructField[] {
            DataTypes.createStructField("key", DataTypes.BinaryType, false),
            DataTypes.createStructField("value", DataTypes.BinaryType, false)
          });

  private Schemas() {}

  /**
   * The Spark type of a typed column holding a tensor of {@code type} and rank {@code rank}: BYTE
   * and UINT8 as {@code binary}; other scalars as the matching Spark scalar; others as arrays.
   * UINT16 widens to int and FLOAT16 to float (both exact).
   */
  public static org.apache.spark.sql.types.DataType columnType(DataType type, int rank) {
    org.apache.spark.sql.types.DataType element =
        switch (type) {
          case BYTE, UINT8 -> DataTypes.BinaryType;
          case FLOAT, FLOAT16 -> DataTypes.FloatType;
          case DOUBLE -> DataTypes.DoubleType;
          case INT32, UINT16 -> DataTypes.IntegerType;
          case INT64 -> DataTypes.LongType;
          case INT16 -> DataTypes.ShortType;
          case INT8 -> DataTypes.ByteType;
          case BOOL -> DataTypes.BooleanType;
          case STRING -> DataTypes.BinaryType;
          default -> throw new IllegalArgumentException("no column type for " + type);
        };
    if (type == DataType.BYTE || type == DataType.UINT8 || rank == 0) {
      return element;
    }
    return DataTypes.createArrayType(element, false);
  }

  /** True when {@code schema} has the {@code tensors} column of {@link #TENSORS}. */
  public static boolean isTensors(StructType schema) {
    int i = indexOf(schema, "tensors");
    return i >= 0
        && schema.fields()[i].dataType() instanceof ArrayType a
        && a.elementType() instanceof StructType;
  }

  /** True when {@code schema} has a binary {@code value} column. */
  public static boolean isRaw(StructType schema) {
    int i = indexOf(schema, "value");
    return i >= 0 && schema.fields()[i].dataType().equals(DataTypes.BinaryType);
  }

  /** The index of a column by case-insensitive name, or -1. */
  public static int indexOf(StructType schema, String name) {
    StructField[] fields = schema.fields();
    for (int i = 0; i < fields.length; i++) {
      if (fields[i].name().equalsIgnoreCase(name)) {
        return i;
      }
    }
    return -1;
  }
}
