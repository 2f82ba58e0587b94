package dev.cortado.cpu;

import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import java.nio.ByteBuffer;

/** Caffe2's {@code Scale}: Y = X * scale for float and double tensors; may run in place. */
final class ScaleOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("Scale")
          .numInputs(1)
          .numOutputs(1)
          .allowInplace(0, 0)
          .arg("scale", "1.0", "the factor (a float argument, field f; an int is an error)")
          .doc("Multiplies every element of a float or double tensor by 'scale'.")
          .gradient(Gradient.HAS_GRADIENT)
          .build();

  private final OperatorContext ctx;
  private final float scale;

  ScaleOp(OperatorContext ctx) {
    this.ctx = ctx;
    this.scale = ctx.args().getFloat("scale", 1.0f);
  }

  @Override
  public void run() {
    Tensor in = ctx.input(0, Tensor.class);
    DataType t = in.dataType();
    if (t != DataType.FLOAT && t != DataType.DOUBLE) {
      throw ctx.error(
          "Scale takes a float or double tensor, found " + in + " in '" + ctx.inputName(0) + "'");
    }
    Tensor out = Elements.reuseOrAllocate(ctx.output(0).get(), t, in.dims());
    ByteBuffer src = in.data();
    ByteBuffer dst = out.data();
    int n = Math.toIntExact(in.numel());
    if (t == DataType.FLOAT) {
      for (int i = 0; i < n; i++) {
        dst.putFloat(i * 4, src.getFloat(i * 4) * scale);
      }
    } else {
      double s = scale;
      for (int i = 0; i < n; i++) {
        dst.putDouble(i * 8, src.getDouble(i * 8) * s);
      }
    }
    ctx.output(0).set(out);
  }
}
