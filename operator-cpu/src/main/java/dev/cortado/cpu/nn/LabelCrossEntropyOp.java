package dev.cortado.cpu.nn;

import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.Tensor;

/**
 * Caffe2's {@code LabelCrossEntropy}: X holds N rows of D probabilities (a 1-D X is one row), the
 * int32 label one class per row; {@code Y[i] = -log(max(X[i, label[i]], 1e-20))}, shape (N). Its
 * gradient takes X, label, dY and gives dX, zero but at the labels: {@code -dY[i] / max(X[i,
 * label[i]], 1e-20)}.
 */
final class LabelCrossEntropyOp implements Operator {
  static final float LOG_THRESHOLD = 1e-20f;

  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("LabelCrossEntropy")
          .numInputs(2)
          .numOutputs(1)
          .doc("Y[i] = -log(max(X[i, label[i]], 1e-20)); inputs X (N x D), label (N, int32).")
          .gradient(Gradient.HAS_GRADIENT)
          .build();

  static final OperatorSchema GRADIENT_SCHEMA =
      OperatorSchema.builder("LabelCrossEntropyGradient")
          .numInputs(3)
          .numOutputs(1)
          .doc("Gradient of LabelCrossEntropy: inputs X, label, dY; output dX.")
          .build();

  private final OperatorContext ctx;
  private final boolean gradient;

  LabelCrossEntropyOp(OperatorContext ctx, boolean gradient) {
    this.ctx = ctx;
    this.gradient = gradient;
  }

  @Override
  public void run() {
    Tensor xt = NnTensors.floatInput(ctx, 0);
    Tensor lt = NnTensors.intInput(ctx, 1);
    long[] xd = xt.dims();
    int n;
    int d;
    if (xd.length > 1) {
      n = Math.toIntExact(xd[0]);
      d = Math.toIntExact(NnTensors.sizeBetween(xd, 1, xd.length));
    } else if (xd.length == 1) {
      n = 1;
      d = Math.toIntExact(xd[0]);
    } else {
      throw ctx.error(
          "X (input 0, '" + ctx.inputName(0) + "') must have at least 1 dim, found " + xt);
    }
    long[] ld = lt.dims();
    if (!(ld.length == 1 || (ld.length == 2 && ld[1] == 1)) || ld[0] != n) {
      throw ctx.error(
          "the label (input 1, '"
              + ctx.inputName(1)
              + "') must be ["
              + n
              + "] (or ["
              + n
              + ",1]) for X "
              + NnTensors.dims(xd)
              + ", found "
              + lt);
    }
    int[] label = NnTensors.ints(lt);
    for (int i = 0; i < n; i++) {
      if (label[i] < 0 || label[i] >= d) {
        throw ctx.error("label " + label[i] + " of row " + i + " is out of range [0, " + d + ")");
      }
    }
    float[] x = NnTensors.floats(xt);
    if (!gradient) {
      float[] y = new float[n];
      for (int i = 0; i < n; i++) {
        y[i] = (float) -Math.log(Math.max(x[i * d + label[i]], LOG_THRESHOLD));
      }
      NnTensors.setFloats(ctx, 0, new long[] {n}, y);
      return;
    }
    Tensor dyt = NnTensors.floatInput(ctx, 2);
    if (dyt.rank() != 1 || dyt.dim(0) != n) {
      throw ctx.error("dY (input 2, '" + ctx.inputName(2) + "') must be [" + n + "], found " + dyt);
    }
    float[] dy = NnTensors.floats(dyt);
    float[] dx = new float[x.length];
    for (int i = 0; i < n; i++) {
      int at = i * d + label[i];
      dx[at] = -dy[i] / Math.max(x[at], LOG_THRESHOLD);
    }
    NnTensors.setFloats(ctx, 0, xd, dx);
  }
}
