package dev.cortado.cpu;

import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.Tensor;

/** Caffe2's {@code StopGradient}: a copy forward (nothing in place), no gradient backward. */
final class StopGradientOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("StopGradient")
          .numInputs(1)
          .numOutputs(1)
          .allowInplace(0, 0)
          .doc("Passes its input through unchanged and stops gradient propagation.")
          .gradient(Gradient.NO_GRADIENT)
          .build();

  private final OperatorContext ctx;

  StopGradientOp(OperatorContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void run() {
    if (ctx.input(0) == ctx.output(0)) {
      return;
    }
    Tensor in = ctx.input(0, Tensor.class);
    ctx.output(0).set(Elements.copy(in, ctx.output(0).get()));
  }
}
