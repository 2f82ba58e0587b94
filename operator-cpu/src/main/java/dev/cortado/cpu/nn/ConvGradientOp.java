package dev.cortado.cpu.nn;

import dev.cortado.cpu.nn.ConvOp.Shape;
import dev.cortado.cpu.nn.ConvPoolArgs.Geometry;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;

/**
 * Caffe2's {@code ConvGradient}: inputs X, W, dY; outputs dW, then db unless {@code no_bias}, then
 * dX when the output count asks for it (3 outputs, or 2 with {@code no_bias}). The batch is cut
 * into fixed pieces whose partial dW and db are summed in piece order, so results do not depend on
 * the number of threads.
 */
final class ConvGradientOp implements Operator {
  static final OperatorSchema SCHEMA =
      ConvPoolArgs.args(OperatorSchema.builder("ConvGradient").numInputs(3).outputs(1, 3), true)
          .arg("no_bias", "0", "the forward Conv had no bias: outputs are dW[, dX]")
          .doc(
              "Gradients of Conv: inputs X, W, dY; outputs dW, db (unless no_bias), dX (optional).")
          .build();

  /** Fixed number of batch pieces for the partial sums of dW and db. */
  private static final int PIECES = 8;

  private final OperatorContext ctx;
  private final ConvPoolArgs args;
  private final boolean noBias;

  ConvGradientOp(OperatorContext ctx) {
    this.ctx = ctx;
    this.args = new ConvPoolArgs(ctx);
    this.noBias = ctx.args().getInt("no_bias", 0) != 0;
    if (noBias && ctx.outputCount() == 3) {
      throw ctx.error(
          "with no_bias there is no bias gradient, so at most 2 outputs (dW, dX), found 3");
    }
  }

  @Override
  public void run() {
    Tensor xt = NnTensors.floatInput(ctx, 0);
    Tensor wt = NnTensors.floatInput(ctx, 1);
    Tensor dyt = NnTensors.floatInput(ctx, 2);
    Shape s = ConvOp.shape(ctx, args, xt, wt);
    Geometry g = s.g();
    long[] yDims = g.outputDims(s.m());
    if (!Arrays.equals(dyt.dims(), yDims)) {
      throw ctx.error(
          "dY (input 2, '"
              + ctx.inputName(2)
              + "') is "
              + NnTensors.dims(dyt.dims())
              + " but Conv's output for X "
              + NnTensors.dims(xt.dims())
              + " and W "
              + NnTensors.dims(wt.dims())
              + " is "
              + NnTensors.dims(yDims));
    }
    boolean wantDx = ctx.outputCount() == 3 || (noBias && ctx.outputCount() == 2);
    boolean wantDb = !noBias && ctx.outputCount() >= 2;
    float[] x = NnTensors.floats(xt);
    float[] w = NnTensors.floats(wt);
    float[] dy = NnTensors.floats(dyt);
    int wSize = w.length;
    int pieces = Math.min(g.n(), PIECES);
    float[][] dwParts = new float[pieces][];
    float[][] dbParts = new float[pieces][];
    float[] dx = wantDx ? new float[x.length] : null;
    int ohw = s.ohw();
    int imgIn = g.c() * g.h() * g.w();
    int imgOut = s.m() * ohw;
    Parallel.forEach(
        pieces,
        p -> {
          float[] dw = new float[wSize];
          float[] db = new float[s.m()];
          float[] col = new float[s.kg() * ohw];
          float[] dcol = wantDx ? new float[s.kg() * ohw] : null;
          for (int img = Parallel.start(g.n(), pieces, p);
              img < Parallel.start(g.n(), pieces, p + 1);
              img++) {
            int xOff = img * imgIn;
            int yOff = img * imgOut;
            for (int grp = 0; grp < s.group(); grp++) {
              int wOff = grp * s.mg() * s.kg();
              if (g.nchw()) {
                int dyOff = yOff + grp * s.mg() * ohw;
                Im2Col.nchw(g, x, xOff, grp * s.cg(), s.cg(), col);
                Gemm.sgemm(
                    false, true, s.mg(), s.kg(), ohw, 1f, dy, dyOff, ohw, col, 0, ohw, 1f, dw, wOff,
                    s.kg());
                if (wantDx) {
                  Gemm.sgemm(
                      true, false, s.kg(), ohw, s.mg(), 1f, w, wOff, s.kg(), dy, dyOff, ohw, 0f,
                      dcol, 0, ohw);
                  Im2Col.nchwAdd(g, dcol, dx, xOff, grp * s.cg(), s.cg());
                }
              } else {
                int dyOff = yOff + grp * s.mg();
                Im2Col.nhwc(g, x, xOff, grp * s.cg(), s.cg(), col);
                Gemm.sgemm(
                    true, false, s.mg(), s.kg(), ohw, 1f, dy, dyOff, s.m(), col, 0, s.kg(), 1f, dw,
                    wOff, s.kg());
                if (wantDx) {
                  Gemm.sgemm(
                      false, false, ohw, s.kg(), s.mg(), 1f, dy, dyOff, s.m(), w, wOff, s.kg(), 0f,
                      dcol, 0, s.kg());
                  Im2Col.nhwcAdd(g, dcol, dx, xOff, grp * s.cg(), s.cg());
                }
              }
            }
            if (wantDb) {
              if (g.nchw()) {
                for (int m = 0; m < s.m(); m++) {
                  float sum = 0f;
                  int o = yOff + m * ohw;
                  for (int i = 0; i < ohw; i++) {
                    sum += dy[o + i];
                  }
                  db[m] += sum;
                }
              } else {
                for (int i = 0; i < ohw; i++) {
                  int o = yOff + i * s.m();
                  for (int m = 0; m < s.m(); m++) {
                    db[m] += dy[o + m];
                  }
                }
              }
            }
          }
          dwParts[p] = dw;
          dbParts[p] = db;
        });
    float[] dw = sum(dwParts);
    NnTensors.setFloats(ctx, 0, wt.dims(), dw);
    int next = 1;
    if (wantDb) {
      NnTensors.setFloats(ctx, next++, new long[] {s.m()}, sum(dbParts));
    }
    if (wantDx) {
      NnTensors.setFloats(ctx, next, xt.dims(), dx);
    }
  }

  /** Sums the pieces' partials in piece order. */
  static float[] sum(float[][] parts) {
    float[] out = parts[0];
    for (int p = 1; p < parts.length; p++) {
      float[] q = parts[p];
      for (int i = 0; i < out.length; i++) {
        out[i] += q[i];
      }
    }
    return out;
  }
}
