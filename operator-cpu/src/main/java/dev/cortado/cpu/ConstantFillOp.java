package dev.cortado.cpu;

import dev.cortado.operator.Arguments;
import dev.cortado.operator.Gradient;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Caffe2's {@code ConstantFill}: every element set to {@code value}. {@code dtype} (an int)
 * defaults to FLOAT, or, when only {@code value} is given, to FLOAT for a float value and INT64 for
 * an int value; {@code value} is then read with that type's field rules.
 */
final class ConstantFillOp extends FillerOp {
  static final OperatorSchema SCHEMA =
      fillerSchema("ConstantFill")
          .arg(
              "value",
              "0",
              "the fill value, read as the output type (f for float/double, i for"
                  + " ints and bool, s for string)")
          .arg("dtype", "1 (FLOAT)", "output TensorProto.DataType number")
          .doc("Fills a tensor of the given shape with a constant.")
          .gradient(Gradient.NO_GRADIENT)
          .build();

  private final DataType dtype;
  private final double floating;
  private final long integral;
  private final byte[] string;

  ConstantFillOp(OperatorContext ctx) {
    super(ctx);
    Arguments args = ctx.args();
    DataType t;
    if (!args.has("dtype") && args.has("value")) {
      if (args.hasFloat("value")) {
        t = DataType.FLOAT;
      } else if (args.hasInt("value")) {
        t = DataType.INT64;
      } else {
        throw args.error("value", "is of unexpected type (neither f nor i) and no dtype is given");
      }
    } else {
      int n = args.getInt("dtype", DataType.FLOAT.number());
      t = DataType.fromNumber(n).orElse(null);
      if (t == null || t == DataType.BYTE || t == DataType.FLOAT16) {
        throw args.error("dtype", "has an unexpected value " + n);
      }
      if (t == DataType.UNDEFINED) {
        throw args.error("dtype", "cannot be UNDEFINED");
      }
    }
    this.dtype = t;
    double f = 0;
    long i = 0;
    byte[] s = null;
    switch (t) {
      case FLOAT -> f = args.getFloat("value", 0f);
      case DOUBLE -> f = args.getDouble("value", 0d);
      case BOOL -> i = args.getBool("value", false) ? 1 : 0;
      case INT8 ->
          i =
              checkedRange(
                  args, "value", args.getLong("value", 0), Byte.MIN_VALUE, Byte.MAX_VALUE, t);
      case INT16 ->
          i =
              checkedRange(
                  args, "value", args.getLong("value", 0), Short.MIN_VALUE, Short.MAX_VALUE, t);
      case INT32 -> i = args.getInt("value", 0);
      case INT64 -> i = args.getLong("value", 0);
      case UINT8 -> i = checkedRange(args, "value", args.getLong("value", 0), 0, 255, t);
      case UINT16 -> i = checkedRange(args, "value", args.getLong("value", 0), 0, 65535, t);
      case STRING -> {
        byte[] b = args.getBytes("value");
        s = b == null ? new byte[0] : b;
      }
      default -> throw new IllegalStateException("unreachable: " + t);
    }
    this.floating = f;
    this.integral = i;
    this.string = s;
  }

  @Override
  protected Tensor fill(long[] dims) {
    if (dtype == DataType.STRING) {
      Tensor t = Tensor.allocate(DataType.STRING, dims);
      Arrays.fill(t.strings(), string);
      return t;
    }
    Tensor t = Elements.reuseOrAllocate(ctx.output(0).get(), dtype, dims);
    ByteBuffer b = t.data();
    int n = Math.toIntExact(t.numel());
    if (Elements.isFloating(dtype)) {
      for (int k = 0; k < n; k++) {
        Elements.putDouble(b, dtype, k, floating);
      }
    } else {
      for (int k = 0; k < n; k++) {
        Elements.putLong(b, dtype, k, integral);
      }
    }
    return t;
  }
}
