package dev.cortado.cpu;

import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.Tensor;

/** Caffe2's {@code Copy}: a deep copy of a tensor into another blob. */
final class CopyOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("Copy")
          .numInputs(1)
          .numOutputs(1)
          .doc("Copies the input tensor into the output blob.")
          .gradient(Gradient.HAS_GRADIENT)
          .build();

  private final OperatorContext ctx;

  CopyOp(OperatorContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void run() {
    Tensor in = ctx.input(0, Tensor.class);
    ctx.output(0).set(Elements.copy(in, ctx.output(0).get()));
  }
}
