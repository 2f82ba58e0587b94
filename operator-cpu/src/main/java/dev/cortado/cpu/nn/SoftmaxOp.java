package dev.cortado.cpu.nn;

import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;

/**
 * Caffe2's {@code Softmax} over the dims from {@code axis} on (the input read as N x D), and {@code
 * SoftmaxGradient} (inputs Y, dY; dX = Y * (dY - sum(dY * Y)) per row).
 */
final class SoftmaxOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("Softmax")
          .numInputs(1)
          .numOutputs(1)
          .arg("axis", "1", "dims before axis are rows, the rest is one softmax")
          .doc("Y = exp(X - max) / sum(exp(X - max)) per row.")
          .gradient(Gradient.HAS_GRADIENT)
          .build();

  static final OperatorSchema GRADIENT_SCHEMA =
      OperatorSchema.builder("SoftmaxGradient")
          .numInputs(2)
          .numOutputs(1)
          .arg("axis", "1", "as in Softmax")
          .doc("Gradient of Softmax: inputs Y, dY; output dX.")
          .build();

  private final OperatorContext ctx;
  private final boolean gradient;
  private final int axis;

  SoftmaxOp(OperatorContext ctx, boolean gradient) {
    this.ctx = ctx;
    this.gradient = gradient;
    this.axis = ctx.args().getInt("axis", 1);
  }

  @Override
  public void run() {
    Tensor xt = NnTensors.floatInput(ctx, 0);
    long[] dims = xt.dims();
    int ax = NnTensors.canonicalAxis(ctx, "axis", axis, dims.length);
    int rows = Math.toIntExact(NnTensors.sizeBetween(dims, 0, ax));
    int d = Math.toIntExact(NnTensors.sizeBetween(dims, ax, dims.length));
    float[] x = NnTensors.floats(xt);
    if (!gradient) {
      for (int r = 0; r < rows; r++) {
        int o = r * d;
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < d; j++) {
          max = Math.max(max, x[o + j]);
        }
        float sum = 0f;
        for (int j = 0; j < d; j++) {
          float e = (float) Math.exp(x[o + j] - max);
          x[o + j] = e;
          sum += e;
        }
        for (int j = 0; j < d; j++) {
          x[o + j] /= sum;
        }
      }
      NnTensors.setFloats(ctx, 0, dims, x);
      return;
    }
    Tensor dyt = NnTensors.floatInput(ctx, 1);
    if (!Arrays.equals(dyt.dims(), dims)) {
      throw ctx.error(
          "dY (input 1, '"
              + ctx.inputName(1)
              + "') is "
              + NnTensors.dims(dyt.dims())
              + " but Y (input 0, '"
              + ctx.inputName(0)
              + "') is "
              + NnTensors.dims(dims));
    }
    float[] dy = NnTensors.floats(dyt);
    for (int r = 0; r < rows; r++) {
      int o = r * d;
      float dot = 0f;
      for (int j = 0; j < d; j++) {
        dot += dy[o + j] * x[o + j];
      }
      for (int j = 0; j < d; j++) {
        dy[o + j] = x[o + j] * (dy[o + j] - dot);
      }
    }
    NnTensors.setFloats(ctx, 0, dims, dy);
  }
}
