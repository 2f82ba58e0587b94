package dev.cortado.cpu.nn;

import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;

/**
 * Caffe2's {@code Relu} (Y = max(X, 0)) and {@code ReluGradient} (inputs Y, dY; dX = dY where Y >
 * 0).
 */
final class ReluOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("Relu")
          .numInputs(1)
          .numOutputs(1)
          .allowInplace(0, 0)
          .doc("Y = max(X, 0), element-wise; may run in place.")
          .gradient(Gradient.HAS_GRADIENT)
          .build();

  static final OperatorSchema GRADIENT_SCHEMA =
      OperatorSchema.builder("ReluGradient")
          .numInputs(2)
          .numOutputs(1)
          .allowInplace(1, 0)
          .doc("Gradient of Relu: inputs Y, dY; output dX = dY where Y > 0, else 0.")
          .build();

  private final OperatorContext ctx;
  private final boolean gradient;

  ReluOp(OperatorContext ctx, boolean gradient) {
    this.ctx = ctx;
    this.gradient = gradient;
  }

  @Override
  public void run() {
    Tensor xt = NnTensors.floatInput(ctx, 0);
    float[] x = NnTensors.floats(xt);
    if (!gradient) {
      for (int i = 0; i < x.length; i++) {
        x[i] = x[i] > 0f ? x[i] : 0f;
      }
      NnTensors.setFloats(ctx, 0, xt.dims(), x);
      return;
    }
    Tensor dyt = NnTensors.floatInput(ctx, 1);
    if (!Arrays.equals(dyt.dims(), xt.dims())) {
      throw ctx.error(
          "dY (input 1, '"
              + ctx.inputName(1)
              + "') is "
              + NnTensors.dims(dyt.dims())
              + " but Y (input 0, '"
              + ctx.inputName(0)
              + "') is "
              + NnTensors.dims(xt.dims()));
    }
    float[] dy = NnTensors.floats(dyt);
    for (int i = 0; i < dy.length; i++) {
      if (!(x[i] > 0f)) {
        dy[i] = 0f;
      }
    }
    NnTensors.setFloats(ctx, 0, xt.dims(), dy);
  }
}
