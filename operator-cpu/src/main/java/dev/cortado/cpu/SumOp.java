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
 * Caffe2's {@code Sum}: the element-wise sum of one or more tensors of one type and shape, added
 * left to right ((x0 + x1) + x2 ...) so float results match Caffe2 bit for bit.
 */
final class SumOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("Sum")
          .inputs(1, OperatorSchema.MANY)
          .numOutputs(1)
          .allowInplace(0, 0)
          .doc("Element-wise sum of all inputs (same type and shape; float, double, int32, int64).")
          .gradient(Gradient.HAS_GRADIENT)
          .build();

  private final OperatorContext ctx;

  SumOp(OperatorContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void run() {
    Tensor first = ctx.input(0, Tensor.class);
    Tensor[] ins = new Tensor[ctx.inputCount()];
    for (int i = 0; i < ins.length; i++) {
      ins[i] = ctx.input(i, Tensor.class);
      BinaryOp.checkSame(ctx, first, ins[i], 0, i);
    }
    ctx.output(0).set(sum(ctx, ins, ctx.output(0).get()));
  }

  static Tensor sum(OperatorContext ctx, Tensor[] ins, Object currentOutput) {
    DataType t = ins[0].dataType();
    BinaryOp.checkType(ctx, t, ins[0], 0);
    int n = Math.toIntExact(ins[0].numel());
    // Compute into a fresh tensor unless the output is input 0 itself (in place is safe then).
    Tensor out =
        currentOutput == ins[0]
            ? ins[0]
            : Arrays.asList(ins).contains(currentOutput)
                ? Tensor.allocate(t, ins[0].dims())
                : Elements.reuseOrAllocate(currentOutput, t, ins[0].dims());
    ByteBuffer dst = out.data();
    if (out != ins[0]) {
      dst.put(ins[0].data());
    }
    for (int k = 1; k < ins.length; k++) {
      ByteBuffer src = ins[k].data();
      switch (t) {
        case FLOAT -> {
          for (int i = 0; i < n; i++) {
            dst.putFloat(i * 4, dst.getFloat(i * 4) + src.getFloat(i * 4));
          }
        }
        case DOUBLE -> {
          for (int i = 0; i < n; i++) {
            dst.putDouble(i * 8, dst.getDouble(i * 8) + src.getDouble(i * 8));
          }
        }
        case INT32 -> {
          for (int i = 0; i < n; i++) {
            dst.putInt(i * 4, dst.getInt(i * 4) + src.getInt(i * 4));
          }
        }
        default -> {
          for (int i = 0; i < n; i++) {
            dst.putLong(i * 8, dst.getLong(i * 8) + src.getLong(i * 8));
          }
        }
      }
    }
    return out;
  }

  static String shape(Tensor t) {
    return t.dataType() + " " + Shapes.toString(t.dims());
  }
}
