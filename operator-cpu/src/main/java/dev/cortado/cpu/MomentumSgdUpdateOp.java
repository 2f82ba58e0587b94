package dev.cortado.cpu;

import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import java.nio.FloatBuffer;

/**
 * Caffe2's {@code MomentumSGDUpdate}: inputs grad, moment, lr, param; outputs grad, moment, param
 * (usually in place). Without nesterov: {@code m' = lr * g + momentum * m}, {@code g' = m'}; with
 * nesterov: {@code m' = momentum * m + lr * g}, {@code g' = (1 + momentum) * m' - momentum * m};
 * then {@code param' = param - g'} (lr is positive here, unlike WeightedSum).
 */
final class MomentumSgdUpdateOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("MomentumSGDUpdate")
          .numInputs(4)
          .numOutputs(3)
          .allowInplace(0, 0)
          .allowInplace(1, 1)
          .allowInplace(3, 2)
          .arg("momentum", "0.0", "momentum coefficient")
          .arg("nesterov", "0", "use Nesterov's accelerated gradient")
          .doc(
              "Momentum SGD step that also updates the parameter: grad, moment, lr, param in;"
                  + " adjusted grad, moment, param out.")
          .gradient(Gradient.SHOULD_NOT_DO_GRADIENT)
          .build();

  private final OperatorContext ctx;
  private final float momentum;
  private final boolean nesterov;

  MomentumSgdUpdateOp(OperatorContext ctx) {
    this.ctx = ctx;
    this.momentum = ctx.args().getFloat("momentum", 0f);
    this.nesterov = ctx.args().getBool("nesterov", false);
  }

  @Override
  public void run() {
    Tensor grad = WeightedSumOp.floatInput(ctx, 0);
    Tensor moment = WeightedSumOp.floatInput(ctx, 1);
    float lr = WeightedSumOp.scalar(ctx, 2);
    Tensor param = WeightedSumOp.floatInput(ctx, 3);
    WeightedSumOp.sameShape(ctx, 1, moment, 0, grad);
    WeightedSumOp.sameShape(ctx, 3, param, 0, grad);
    long[] dims = grad.dims();
    FloatBuffer g = grad.data().asFloatBuffer();
    FloatBuffer m = moment.data().asFloatBuffer();
    FloatBuffer w = param.data().asFloatBuffer();
    Tensor gOut = Elements.reuseOrAllocate(ctx.output(0).get(), DataType.FLOAT, dims);
    Tensor mOut = Elements.reuseOrAllocate(ctx.output(1).get(), DataType.FLOAT, dims);
    Tensor wOut = Elements.reuseOrAllocate(ctx.output(2).get(), DataType.FLOAT, dims);
    FloatBuffer ng = gOut.data().asFloatBuffer();
    FloatBuffer nm = mOut.data().asFloatBuffer();
    FloatBuffer nw = wOut.data().asFloatBuffer();
    int n = Math.toIntExact(grad.numel());
    for (int i = 0; i < n; i++) {
      float gi = g.get(i);
      float mi = m.get(i);
      float wi = w.get(i);
      float adjusted;
      if (!nesterov) {
        adjusted = lr * gi + momentum * mi;
        nm.put(i, adjusted);
      } else {
        float mNew = momentum * mi + lr * gi;
        nm.put(i, mNew);
        adjusted = (1 + momentum) * mNew - momentum * mi;
      }
      ng.put(i, adjusted);
      nw.put(i, wi - adjusted);
    }
    ctx.output(0).set(gOut);
    ctx.output(1).set(mOut);
    ctx.output(2).set(wOut);
  }
}
