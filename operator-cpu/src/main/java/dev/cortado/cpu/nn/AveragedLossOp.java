package dev.cortado.cpu.nn;

import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.Tensor;

/**
 * Caffe2's {@code AveragedLoss}: the mean of all elements of X as a rank-0 float. Its gradient
 * takes X and the rank-0 dY and gives dX filled with {@code dY / numel(X)}.
 */
final class AveragedLossOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("AveragedLoss")
          .numInputs(1)
          .numOutputs(1)
          .doc("loss = mean(X), a scalar (rank 0).")
          .gradient(Gradient.HAS_GRADIENT)
          .build();

  static final OperatorSchema GRADIENT_SCHEMA =
      OperatorSchema.builder("AveragedLossGradient")
          .numInputs(2)
          .numOutputs(1)
          .doc("Gradient of AveragedLoss: inputs X, dY (one value); dX = dY / numel(X).")
          .build();

  private final OperatorContext ctx;
  private final boolean gradient;

  AveragedLossOp(OperatorContext ctx, boolean gradient) {
    this.ctx = ctx;
    this.gradient = gradient;
  }

  @Override
  public void run() {
    Tensor xt = NnTensors.floatInput(ctx, 0);
    if (xt.numel() == 0) {
      throw ctx.error("X (input 0, '" + ctx.inputName(0) + "') is empty: " + xt);
    }
    if (!gradient) {
      float[] x = NnTensors.floats(xt);
      float sum = 0f;
      for (float v : x) {
        sum += v;
      }
      NnTensors.setFloats(ctx, 0, new long[0], new float[] {sum / x.length});
      return;
    }
    Tensor dyt = NnTensors.floatInput(ctx, 1);
    if (dyt.numel() != 1) {
      throw ctx.error("dY (input 1, '" + ctx.inputName(1) + "') must hold one value, found " + dyt);
    }
    float g = NnTensors.floats(dyt)[0] / xt.numel();
    float[] dx = new float[Math.toIntExact(xt.numel())];
    java.util.Arrays.fill(dx, g);
    NnTensors.setFloats(ctx, 0, xt.dims(), dx);
  }
}
