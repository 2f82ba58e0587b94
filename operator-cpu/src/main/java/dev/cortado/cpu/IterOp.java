package dev.cortado.cpu;

import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import java.nio.ByteBuffer;

/**
 * Caffe2's {@code Iter}: increments the int64 counter of shape [1] in place (the input is the
 * output). Without an input, a blob that holds no tensor yet starts at 0 (Caffe2's old form).
 */
final class IterOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("Iter")
          .inputs(0, 1)
          .numOutputs(1)
          .enforceInplace(0, 0)
          .doc("Increments an int64 [1] iteration counter in place (training iteration count).")
          .gradient(Gradient.NO_GRADIENT)
          .build();

  private final OperatorContext ctx;

  IterOp(OperatorContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void run() {
    Object current = ctx.output(0).get();
    if (ctx.inputCount() == 0 && !(current instanceof Tensor)) {
      current = Tensor.allocate(DataType.INT64, 1);
      ctx.output(0).set(current);
    }
    if (!(current instanceof Tensor t) || t.dataType() != DataType.INT64 || t.numel() != 1) {
      throw ctx.error(
          "the counter '"
              + ctx.outputName(0)
              + "' must be an int64 tensor of one"
              + " element, found "
              + ctx.output(0).describeValue());
    }
    ByteBuffer b = t.data();
    long v = b.getLong(0);
    if (v == Long.MAX_VALUE) {
      throw ctx.error("the counter '" + ctx.outputName(0) + "' is at its maximum " + v);
    }
    b.putLong(0, v + 1);
  }
}
