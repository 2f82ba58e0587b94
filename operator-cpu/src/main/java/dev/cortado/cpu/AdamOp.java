package dev.cortado.cpu;

import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import java.nio.FloatBuffer;

/**
 * Caffe2's dense {@code Adam}: inputs param, moment_1, moment_2, grad, lr, iter; outputs param,
 * moment_1, moment_2 and optionally the effective gradient. With t = iter + 1 and {@code correction
 * = sqrt(1 - beta2^t) / (1 - beta1^t)}: {@code m1' = beta1 m1 + (1 - beta1) g}, {@code m2' = beta2
 * m2 + (1 - beta2) g^2}, {@code param' = param + lr * correction * m1' / (sqrt(m2') + epsilon)} (lr
 * negative for descent, as Caffe2's optimizer writes it).
 */
final class AdamOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("Adam")
          .numInputs(6)
          .outputs(3, 4)
          .allowInplace(0, 0)
          .allowInplace(1, 1)
          .allowInplace(2, 2)
          .arg("beta1", "0.9", "decay of the first moment")
          .arg("beta2", "0.999", "decay of the second moment")
          .arg("epsilon", "1e-5", "added to sqrt(moment_2)")
          .doc(
              "Adam step: param, moment_1, moment_2, grad, lr, iter in; param, moment_1,"
                  + " moment_2 [, effective grad] out.")
          .gradient(Gradient.SHOULD_NOT_DO_GRADIENT)
          .build();

  private final OperatorContext ctx;
  private final float beta1;
  private final float beta2;
  private final float epsilon;

  AdamOp(OperatorContext ctx) {
    this.ctx = ctx;
    this.beta1 = ctx.args().getFloat("beta1", 0.9f);
    this.beta2 = ctx.args().getFloat("beta2", 0.999f);
    this.epsilon = ctx.args().getFloat("epsilon", 1e-5f);
  }

  @Override
  public void run() {
    Tensor param = WeightedSumOp.floatInput(ctx, 0);
    Tensor m1 = WeightedSumOp.floatInput(ctx, 1);
    Tensor m2 = WeightedSumOp.floatInput(ctx, 2);
    Tensor grad = WeightedSumOp.floatInput(ctx, 3);
    float lr = WeightedSumOp.scalar(ctx, 4);
    Tensor it = ctx.input(5, Tensor.class);
    if (it.dataType() != DataType.INT64 || it.numel() != 1) {
      throw ctx.error(
          "input 5 ('"
              + ctx.inputName(5)
              + "') must be the int64 iteration counter"
              + " of one element, found "
              + it);
    }
    WeightedSumOp.sameShape(ctx, 1, m1, 0, param);
    WeightedSumOp.sameShape(ctx, 2, m2, 0, param);
    WeightedSumOp.sameShape(ctx, 3, grad, 0, param);
    long t = it.data().getLong(0) + 1;
    float correction = (float) (Math.sqrt(1.0 - Math.pow(beta2, t)) / (1.0 - Math.pow(beta1, t)));
    long[] dims = param.dims();
    FloatBuffer w = param.data().asFloatBuffer();
    FloatBuffer m = m1.data().asFloatBuffer();
    FloatBuffer v = m2.data().asFloatBuffer();
    FloatBuffer g = grad.data().asFloatBuffer();
    Tensor wOut = Elements.reuseOrAllocate(ctx.output(0).get(), DataType.FLOAT, dims);
    Tensor mOut = Elements.reuseOrAllocate(ctx.output(1).get(), DataType.FLOAT, dims);
    Tensor vOut = Elements.reuseOrAllocate(ctx.output(2).get(), DataType.FLOAT, dims);
    Tensor gOut =
        ctx.outputCount() == 4
            ? Elements.reuseOrAllocate(ctx.output(3).get(), DataType.FLOAT, dims)
            : null;
    FloatBuffer nw = wOut.data().asFloatBuffer();
    FloatBuffer nm = mOut.data().asFloatBuffer();
    FloatBuffer nv = vOut.data().asFloatBuffer();
    FloatBuffer ng = gOut == null ? null : gOut.data().asFloatBuffer();
    int n = Math.toIntExact(param.numel());
    for (int i = 0; i < n; i++) {
      float gi = g.get(i);
      float mi = m.get(i) * beta1 + gi * (1 - beta1);
      float vi = v.get(i) * beta2 + gi * gi * (1 - beta2);
      nm.put(i, mi);
      nv.put(i, vi);
      if (ng == null) {
        nw.put(i, w.get(i) + lr * correction * mi / ((float) Math.sqrt(vi) + epsilon));
      } else {
        float step = correction * mi / ((float) Math.sqrt(vi) + epsilon);
        ng.put(i, step);
        nw.put(i, w.get(i) + lr * step);
      }
    }
    ctx.output(0).set(wOut);
    ctx.output(1).set(mOut);
    ctx.output(2).set(vOut);
    if (gOut != null) {
      ctx.output(3).set(gOut);
    }
  }
}
