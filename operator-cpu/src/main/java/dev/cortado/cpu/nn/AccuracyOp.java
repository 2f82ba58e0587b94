package dev.cortado.cpu.nn;

import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.Tensor;

/**
 * Caffe2's {@code Accuracy}: the fraction of rows of X (N x D) whose label is among the {@code
 * top_k} highest scores, as a rank-0 float. Ties go to the lower class index, as in Caffe2.
 */
final class AccuracyOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("Accuracy")
          .numInputs(2)
          .numOutputs(1)
          .arg("top_k", "1", "a row counts when its label is among the k highest scores")
          .doc("accuracy = fraction of rows whose label is in the top_k predictions (rank 0).")
          .gradient(Gradient.SHOULD_NOT_DO_GRADIENT)
          .build();

  private final OperatorContext ctx;
  private final int topK;

  AccuracyOp(OperatorContext ctx) {
    this.ctx = ctx;
    this.topK = ctx.args().getInt("top_k", 1);
    if (topK <= 0) {
      throw ctx.args().error("top_k", "must be positive, found " + topK);
    }
  }

  @Override
  public void run() {
    Tensor xt = NnTensors.floatInput(ctx, 0);
    Tensor lt = NnTensors.intInput(ctx, 1);
    if (xt.rank() != 2) {
      throw ctx.error(
          "the prediction (input 0, '" + ctx.inputName(0) + "') must be 2-D (N x D), found " + xt);
    }
    int n = Math.toIntExact(xt.dim(0));
    int d = Math.toIntExact(xt.dim(1));
    if (lt.rank() != 1 || lt.dim(0) != n) {
      throw ctx.error(
          "the label (input 1, '" + ctx.inputName(1) + "') must be [" + n + "], found " + lt);
    }
    if (topK > d) {
      throw ctx.error("top_k " + topK + " is larger than the " + d + " classes");
    }
    float[] x = NnTensors.floats(xt);
    int[] label = NnTensors.ints(lt);
    int correct = 0;
    for (int i = 0; i < n; i++) {
      int l = label[i];
      if (l < 0 || l >= d) {
        throw ctx.error("label " + l + " of row " + i + " is out of range [0, " + d + ")");
      }
      float lp = x[i * d + l];
      int rank = 1;
      for (int j = 0; j < d && rank <= topK; j++) {
        float p = x[i * d + j];
        if (p > lp || (p == lp && j < l)) {
          rank++;
        }
      }
      if (rank <= topK) {
        correct++;
      }
    }
    NnTensors.setFloats(ctx, 0, new long[0], new float[] {n == 0 ? 0f : (float) correct / n});
  }
}
