package dev.cortado.cpu;

import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Shapes;
import dev.cortado.tensor.Tensor;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Caffe2's {@code Add} and {@code Mul} without broadcasting: both inputs must have the same type
 * and shape; {@code broadcast=1} is refused with a clear error.
 */
final class BinaryOp implements Operator {
  /** The element-wise operation. */
  enum Kind {
    ADD("Add", "Element-wise A + B of two tensors of the same type and shape."),
    MUL("Mul", "Element-wise A * B of two tensors of the same type and shape.");

    final String type;
    final String doc;

    Kind(String type, String doc) {
      this.type = type;
      this.doc = doc;
    }

    OperatorSchema schema() {
      return OperatorSchema.builder(type)
          .numInputs(2)
          .numOutputs(1)
          .allowInplace(0, 0)
          .allowInplace(1, 0)
          .arg("broadcast", "0", "legacy broadcasting; Cortado supports only 0")
          .arg("axis", "-1", "legacy broadcast axis; unused without broadcasting")
          .doc(doc + " (float, double, int32, int64; no broadcasting)")
          .gradient(Gradient.HAS_GRADIENT)
          .build();
    }
  }

  private final OperatorContext ctx;
  private final Kind kind;

  BinaryOp(OperatorContext ctx, Kind kind) {
    this.ctx = ctx;
    this.kind = kind;
    if (ctx.args().getInt("broadcast", 0) != 0) {
      throw ctx.args()
          .error("broadcast", "is set, but Cortado's " + kind.type + " does not broadcast");
    }
  }

  static void checkType(OperatorContext ctx, DataType t, Tensor in, int index) {
    if (t != DataType.FLOAT && t != DataType.DOUBLE && t != DataType.INT32 && t != DataType.INT64) {
      throw ctx.error(
          "input "
              + index
              + " ('"
              + ctx.inputName(index)
              + "') is "
              + in
              + "; supported types are float, double, int32 and int64");
    }
  }

  static void checkSame(OperatorContext ctx, Tensor a, Tensor b, int ia, int ib) {
    if (a.dataType() != b.dataType() || !Arrays.equals(a.dims(), b.dims())) {
      throw ctx.error(
          "inputs must have the same type and shape (no broadcasting): input "
              + ia
              + " ('"
              + ctx.inputName(ia)
              + "') is "
              + a.dataType()
              + " "
              + Shapes.toString(a.dims())
              + ", input "
              + ib
              + " ('"
              + ctx.inputName(ib)
              + "') is "
              + b.dataType()
              + " "
              + Shapes.toString(b.dims()));
    }
  }

  @Override
  public void run() {
    Tensor a = ctx.input(0, Tensor.class);
    Tensor b = ctx.input(1, Tensor.class);
    checkSame(ctx, a, b, 0, 1);
    DataType t = a.dataType();
    checkType(ctx, t, a, 0);
    Object current = ctx.output(0).get();
    // Element i only reads element i, so writing into an input in place is safe.
    Tensor out =
        current == a || current == b
            ? (Tensor) current
            : Elements.reuseOrAllocate(current, t, a.dims());
    ByteBuffer x = a.data();
    ByteBuffer y = b.data();
    ByteBuffer z = out.data();
    int n = Math.toIntExact(a.numel());
    boolean add = kind == Kind.ADD;
    switch (t) {
      case FLOAT -> {
        for (int i = 0; i < n; i++) {
          float p = x.getFloat(i * 4);
          float q = y.getFloat(i * 4);
          z.putFloat(i * 4, add ? p + q : p * q);
        }
      }
      case DOUBLE -> {
        for (int i = 0; i < n; i++) {
          double p = x.getDouble(i * 8);
          double q = y.getDouble(i * 8);
          z.putDouble(i * 8, add ? p + q : p * q);
        }
      }
      case INT32 -> {
        for (int i = 0; i < n; i++) {
          int p = x.getInt(i * 4);
          int q = y.getInt(i * 4);
          z.putInt(i * 4, add ? p + q : p * q);
        }
      }
      default -> {
        for (int i = 0; i < n; i++) {
          long p = x.getLong(i * 8);
          long q = y.getLong(i * 8);
          z.putLong(i * 8, add ? p + q : p * q);
        }
      }
    }
    ctx.output(0).set(out);
  }
}
