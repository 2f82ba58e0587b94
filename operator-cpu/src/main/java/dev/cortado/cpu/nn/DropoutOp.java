package dev.cortado.cpu.nn;

import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Caffe2's {@code Dropout} and {@code DropoutGrad}. Training: each element is kept with probability
 * {@code 1 - ratio} and scaled by {@code 1 / (1 - ratio)}; the second output is the bool mask. With
 * {@code is_test} the input passes through unchanged and no mask is written. The gradient takes dY
 * and the mask (training) and applies the same mask and scale. The random stream is seeded by the
 * device option's {@code random_seed} when it is set.
 */
final class DropoutOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("Dropout")
          .numInputs(1)
          .outputs(1, 2)
          .allowInplace(0, 0)
          .arg("ratio", "0.5", "probability of dropping an element")
          .arg("is_test", "0", "1: pass the input through (inference)")
          .doc("Y = X * mask / (1 - ratio) in training, with the bool mask as the second output.")
          .gradient(Gradient.HAS_GRADIENT)
          .build();

  static final OperatorSchema GRADIENT_SCHEMA =
      OperatorSchema.builder("DropoutGrad")
          .inputs(1, 2)
          .numOutputs(1)
          .allowInplace(0, 0)
          .arg("ratio", "0.5", "as in Dropout")
          .arg("is_test", "0", "as in Dropout")
          .doc(
              "Gradient of Dropout: inputs dY and (training) the mask; dX = dY * mask / (1 - ratio).")
          .build();

  private final OperatorContext ctx;
  private final boolean gradient;
  private final float ratio;
  private final boolean isTest;
  private final SplittableRandom random;

  DropoutOp(OperatorContext ctx, boolean gradient) {
    this.ctx = ctx;
    this.gradient = gradient;
    this.ratio = ctx.args().getFloat("ratio", 0.5f);
    this.isTest = ctx.args().getInt("is_test", 0) != 0;
    if (ratio < 0f || ratio > 1f) {
      throw ctx.args().error("ratio", "must be in [0, 1], found " + ratio);
    }
    if (!isTest && !gradient && ctx.outputCount() < 2) {
      throw ctx.error("in training (is_test 0) Dropout needs a second output for the mask");
    }
    if (!isTest && gradient && ctx.inputCount() < 2) {
      throw ctx.error("in training (is_test 0) DropoutGrad needs the mask as its second input");
    }
    this.random =
        ctx.deviceOption().hasRandomSeed()
            ? new SplittableRandom(ctx.deviceOption().getRandomSeed())
            : new SplittableRandom();
  }

  private float scale() {
    return ratio >= 1f ? 0f : 1f / (1f - ratio);
  }

  @Override
  public void run() {
    Tensor xt = NnTensors.floatInput(ctx, 0);
    float[] x = NnTensors.floats(xt);
    if (isTest) {
      NnTensors.setFloats(ctx, 0, xt.dims(), x);
      return;
    }
    float scale = scale();
    if (!gradient) {
      Tensor mask = NnTensors.output(ctx, 1, DataType.BOOL, xt.dims());
      ByteBuffer mb = mask.data();
      double keep = 1.0 - ratio;
      for (int i = 0; i < x.length; i++) {
        boolean kept = random.nextDouble() < keep;
        mb.put(i, (byte) (kept ? 1 : 0));
        x[i] = kept ? x[i] * scale : 0f;
      }
      NnTensors.setFloats(ctx, 0, xt.dims(), x);
      ctx.output(1).set(mask);
      return;
    }
    Tensor mt = ctx.input(1, Tensor.class);
    if (mt.dataType() != DataType.BOOL || !Arrays.equals(mt.dims(), xt.dims())) {
      throw ctx.error(
          "the mask (input 1, '"
              + ctx.inputName(1)
              + "') must be bool "
              + NnTensors.dims(xt.dims())
              + " like dY, found "
              + mt);
    }
    ByteBuffer mb = mt.data();
    for (int i = 0; i < x.length; i++) {
      x[i] = mb.get(i) != 0 ? x[i] * scale : 0f;
    }
    NnTensors.setFloats(ctx, 0, xt.dims(), x);
  }
}
