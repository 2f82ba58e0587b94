package dev.cortado.cpu.nn;

import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;

/**
 * Caffe2's {@code FC} and {@code FCGradient}. X is read as a matrix (M x K) split at {@code axis}
 * and W as (N x K) split at {@code axis_w}; {@code Y = X W^T + b} has X's dims before the axis
 * followed by N. The gradient takes X, W, dY and gives dW, db and, with a third output, dX. Rows
 * are cut into fixed pieces spread over the cores.
 */
final class FcOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("FC")
          .numInputs(3)
          .numOutputs(1)
          .arg("axis", "1", "X is flattened to 2-D: dims before axis are rows")
          .arg("axis_w", "1", "W is flattened to 2-D: dims before axis_w are rows (N)")
          .doc("Y = X * W^T + b, X (M x K), W (N x K), b (N).")
          .gradient(Gradient.HAS_GRADIENT)
          .build();

  static final OperatorSchema GRADIENT_SCHEMA =
      OperatorSchema.builder("FCGradient")
          .numInputs(3)
          .outputs(2, 3)
          .arg("axis", "1", "as in FC")
          .arg("axis_w", "1", "as in FC")
          .doc("Gradients of FC: inputs X, W, dY; outputs dW, db and optionally dX.")
          .build();

  private static final int ROW_PIECE = 16;

  private final OperatorContext ctx;
  private final boolean gradient;
  private final int axis;
  private final int axisW;

  FcOp(OperatorContext ctx, boolean gradient) {
    this.ctx = ctx;
    this.gradient = gradient;
    this.axis = ctx.args().getInt("axis", 1);
    this.axisW = ctx.args().getInt("axis_w", 1);
  }

  @Override
  public void run() {
    Tensor xt = NnTensors.floatInput(ctx, 0);
    Tensor wt = NnTensors.floatInput(ctx, 1);
    long[] xd = xt.dims();
    long[] wd = wt.dims();
    int ax = NnTensors.canonicalAxis(ctx, "axis", axis, xd.length);
    int axw = NnTensors.canonicalAxis(ctx, "axis_w", axisW, wd.length);
    int m = Math.toIntExact(NnTensors.sizeBetween(xd, 0, ax));
    int k = Math.toIntExact(NnTensors.sizeBetween(xd, ax, xd.length));
    int n = Math.toIntExact(NnTensors.sizeBetween(wd, 0, axw));
    long kw = NnTensors.sizeBetween(wd, axw, wd.length);
    if (kw != k) {
      throw ctx.error(
          "X "
              + NnTensors.dims(xd)
              + " has "
              + k
              + " features per row (from axis "
              + ax
              + ") but W "
              + NnTensors.dims(wd)
              + " has "
              + kw
              + " (from axis_w "
              + axw
              + ")");
    }
    long[] yDims = Arrays.copyOf(xd, ax + 1);
    yDims[ax] = n;
    if (!gradient) {
      Tensor bt = NnTensors.floatInput(ctx, 2);
      if (bt.numel() != n) {
        throw ctx.error(
            "the bias (input 2, '"
                + ctx.inputName(2)
                + "') must hold "
                + n
                + " values for W "
                + NnTensors.dims(wd)
                + ", found "
                + bt);
      }
      float[] x = NnTensors.floats(xt);
      float[] w = NnTensors.floats(wt);
      float[] b = NnTensors.floats(bt);
      float[] y = new float[m * n];
      int pieces = (m + ROW_PIECE - 1) / ROW_PIECE;
      Parallel.forEach(
          pieces,
          p -> {
            int r0 = p * ROW_PIECE;
            int rows = Math.min(ROW_PIECE, m - r0);
            for (int r = r0; r < r0 + rows; r++) {
              System.arraycopy(b, 0, y, r * n, n);
            }
            Gemm.sgemm(false, true, rows, n, k, 1f, x, r0 * k, k, w, 0, k, 1f, y, r0 * n, n);
          });
      NnTensors.setFloats(ctx, 0, yDims, y);
      return;
    }
    Tensor dyt = NnTensors.floatInput(ctx, 2);
    if (!Arrays.equals(dyt.dims(), yDims)) {
      throw ctx.error(
          "dY (input 2, '"
              + ctx.inputName(2)
              + "') is "
              + NnTensors.dims(dyt.dims())
              + " but FC's output for X "
              + NnTensors.dims(xd)
              + " and W "
              + NnTensors.dims(wd)
              + " is "
              + NnTensors.dims(yDims));
    }
    float[] x = NnTensors.floats(xt);
    float[] w = NnTensors.floats(wt);
    float[] dy = NnTensors.floats(dyt);
    float[] dw = new float[n * k];
    float[] db = new float[n];
    // dW (N x K) = dY^T (N x M) * X (M x K); each piece owns rows of dW, so no partial sums.
    int nPieces = (n + ROW_PIECE - 1) / ROW_PIECE;
    Parallel.forEach(
        nPieces,
        p -> {
          int r0 = p * ROW_PIECE;
          int rows = Math.min(ROW_PIECE, n - r0);
          Gemm.sgemm(true, false, rows, k, m, 1f, dy, r0, n, x, 0, k, 0f, dw, r0 * k, k);
          for (int j = r0; j < r0 + rows; j++) {
            float s = 0f;
            for (int i = 0; i < m; i++) {
              s += dy[i * n + j];
            }
            db[j] = s;
          }
        });
    NnTensors.setFloats(ctx, 0, wd, dw);
    NnTensors.setFloats(ctx, 1, new long[] {n}, db);
    if (ctx.outputCount() == 3) {
      float[] dx = new float[m * k];
      int mPieces = (m + ROW_PIECE - 1) / ROW_PIECE;
      Parallel.forEach(
          mPieces,
          p -> {
            int r0 = p * ROW_PIECE;
            int rows = Math.min(ROW_PIECE, m - r0);
            Gemm.sgemm(false, false, rows, k, n, 1f, dy, r0 * n, n, w, 0, k, 0f, dx, r0 * k, k);
          });
      NnTensors.setFloats(ctx, 2, xd, dx);
    }
  }
}
