package dev.cortado.cpu;

import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Shapes;
import dev.cortado.tensor.Tensor;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Caffe2's {@code WeightedSum}: inputs X0, w0, X1, w1, ... (each w a one-element float tensor),
 * output {@code w0 * X0 + w1 * X1 + ...} in float, shaped like X0; may run in place on X0 (the SGD
 * update {@code param = 1 * param + LR * grad}).
 */
final class WeightedSumOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("WeightedSum")
          .inputs(2, OperatorSchema.MANY)
          .numOutputs(1)
          .allowInplace(0, 0)
          .doc(
              "Weighted sum of float tensors of one shape: X0, w0, X1, w1, ... with scalar"
                  + " weights.")
          .gradient(Gradient.GRADIENT_NOT_IMPLEMENTED_YET)
          .build();

  private final OperatorContext ctx;

  WeightedSumOp(OperatorContext ctx) {
    this.ctx = ctx;
    if (ctx.inputCount() % 2 != 0) {
      throw ctx.error(
          "expects pairs of (tensor, weight) inputs, found " + ctx.inputCount() + " inputs");
    }
  }

  @Override
  public void run() {
    int pairs = ctx.inputCount() / 2;
    Tensor x0 = floatInput(ctx, 0);
    long[] dims = x0.dims();
    FloatBuffer[] xs = new FloatBuffer[pairs];
    float[] ws = new float[pairs];
    for (int p = 0; p < pairs; p++) {
      Tensor x = floatInput(ctx, 2 * p);
      if (!Arrays.equals(x.dims(), dims)) {
        throw ctx.error(
            "input "
                + 2 * p
                + " ('"
                + ctx.inputName(2 * p)
                + "') has shape "
                + Shapes.toString(x.dims())
                + ", but input 0 ('"
                + ctx.inputName(0)
                + "') has "
                + Shapes.toString(dims));
      }
      ws[p] = scalar(ctx, 2 * p + 1);
      xs[p] = x.data().asFloatBuffer();
    }
    Tensor out = Elements.reuseOrAllocate(ctx.output(0).get(), DataType.FLOAT, dims);
    FloatBuffer y = out.data().asFloatBuffer();
    int n = Math.toIntExact(x0.numel());
    float w0 = ws[0];
    FloatBuffer first = xs[0];
    for (int i = 0; i < n; i++) {
      float v = w0 * first.get(i);
      for (int p = 1; p < pairs; p++) {
        v += ws[p] * xs[p].get(i);
      }
      y.put(i, v);
    }
    ctx.output(0).set(out);
  }

  /** Input {@code k} as a float tensor; an error naming the operator otherwise. */
  static Tensor floatInput(OperatorContext ctx, int k) {
    Tensor t = ctx.input(k, Tensor.class);
    if (t.dataType() != DataType.FLOAT) {
      throw ctx.error(
          "input " + k + " ('" + ctx.inputName(k) + "') must be a float tensor, found " + t);
    }
    return t;
  }

  /** Input {@code k} as the value of a one-element float tensor. */
  static float scalar(OperatorContext ctx, int k) {
    Tensor t = floatInput(ctx, k);
    if (t.numel() != 1) {
      throw ctx.error(
          "input "
              + k
              + " ('"
              + ctx.inputName(k)
              + "') must hold one element (a"
              + " weight or learning rate), found "
              + t);
    }
    return t.data().getFloat(0);
  }

  /** Checks that input {@code k} has the shape of {@code like} (input {@code likeIndex}). */
  static void sameShape(OperatorContext ctx, int k, Tensor t, int likeIndex, Tensor like) {
    if (!Arrays.equals(t.dims(), like.dims())) {
      throw ctx.error(
          "input "
              + k
              + " ('"
              + ctx.inputName(k)
              + "') has shape "
              + Shapes.toString(t.dims())
              + ", but input "
              + likeIndex
              + " ('"
              + ctx.inputName(likeIndex)
              + "') has "
              + Shapes.toString(like.dims()));
    }
  }
}
