package dev.cortado.cpu.nn;

import dev.cortado.cpu.nn.ConvPoolArgs.Geometry;
import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;

/**
 * Caffe2's {@code MaxPool} and {@code AveragePool} (2-D, NCHW or NHWC) and their gradients. A
 * window is clipped to the image: the max ignores padding, and the average divides by the number of
 * pixels inside the image. {@code MaxPoolGradient} gives dY to every input of the window that
 * equals the window's max, as Caffe2 does, not only to the first.
 */
final class PoolOp implements Operator {
  enum Kind {
    MAX("MaxPool"),
    AVERAGE("AveragePool");

    final String type;

    Kind(String type) {
      this.type = type;
    }

    OperatorSchema schema() {
      return ConvPoolArgs.args(OperatorSchema.builder(type).numInputs(1).numOutputs(1), false)
          .doc(
              this == MAX
                  ? "Y = the max of each window of X (padding excluded)."
                  : "Y = the mean of each window of X over the pixels inside the image.")
          .gradient(Gradient.HAS_GRADIENT)
          .build();
    }

    OperatorSchema gradientSchema() {
      return ConvPoolArgs.args(
              OperatorSchema.builder(type + "Gradient").numInputs(3).numOutputs(1), false)
          .doc("Gradient of " + type + ": inputs X, Y, dY; output dX.")
          .build();
    }
  }

  private final OperatorContext ctx;
  private final ConvPoolArgs args;
  private final Kind kind;
  private final boolean gradient;

  PoolOp(OperatorContext ctx, Kind kind, boolean gradient) {
    this.ctx = ctx;
    this.kind = kind;
    this.gradient = gradient;
    this.args = new ConvPoolArgs(ctx);
    if (ctx.args().has("group") && args.group != 1) {
      throw ctx.error("pooling has no groups, found group " + args.group);
    }
    if (args.dilation[0] != 1 || args.dilation[1] != 1) {
      throw ctx.error(
          "dilated pooling is not implemented, found dilations " + Arrays.toString(args.dilation));
    }
    if (ctx.args().getInt("count_include_pad", 0) != 0) {
      throw ctx.error(
          "count_include_pad is not implemented; the average counts only pixels inside the image");
    }
  }

  @Override
  public void run() {
    Tensor xt = NnTensors.floatInput(ctx, 0);
    Geometry g = args.geometry(xt, 0);
    long[] yDims = g.outputDims(g.c());
    float[] x = NnTensors.floats(xt);
    int planes = g.n() * g.c();
    int pieces = Math.min(planes, 4 * Parallel.threads());
    if (!gradient) {
      float[] y = new float[planes * g.oh() * g.ow()];
      if (g.nchw()) {
        Parallel.forEach(
            pieces,
            p -> {
              for (int pl = Parallel.start(planes, pieces, p);
                  pl < Parallel.start(planes, pieces, p + 1);
                  pl++) {
                forwardPlane(g, x, pl * g.h() * g.w(), 1, y, pl * g.oh() * g.ow(), 1);
              }
            });
      } else {
        Parallel.forEach(
            pieces,
            p -> {
              for (int pl = Parallel.start(planes, pieces, p);
                  pl < Parallel.start(planes, pieces, p + 1);
                  pl++) {
                int img = pl / g.c();
                int c = pl % g.c();
                forwardPlane(
                    g,
                    x,
                    img * g.h() * g.w() * g.c() + c,
                    g.c(),
                    y,
                    img * g.oh() * g.ow() * g.c() + c,
                    g.c());
              }
            });
      }
      NnTensors.setFloats(ctx, 0, yDims, y);
      return;
    }
    Tensor yt = NnTensors.floatInput(ctx, 1);
    Tensor dyt = NnTensors.floatInput(ctx, 2);
    if (!Arrays.equals(yt.dims(), yDims)) {
      throw ctx.error(
          "Y (input 1, '"
              + ctx.inputName(1)
              + "') is "
              + NnTensors.dims(yt.dims())
              + " but "
              + kind.type
              + " of X "
              + NnTensors.dims(xt.dims())
              + " gives "
              + NnTensors.dims(yDims));
    }
    if (!Arrays.equals(dyt.dims(), yDims)) {
      throw ctx.error(
          "dY (input 2, '"
              + ctx.inputName(2)
              + "') is "
              + NnTensors.dims(dyt.dims())
              + " but "
              + kind.type
              + " of X "
              + NnTensors.dims(xt.dims())
              + " gives "
              + NnTensors.dims(yDims));
    }
    float[] y = NnTensors.floats(yt);
    float[] dy = NnTensors.floats(dyt);
    float[] dx = new float[x.length];
    Parallel.forEach(
        pieces,
        p -> {
          for (int pl = Parallel.start(planes, pieces, p);
              pl < Parallel.start(planes, pieces, p + 1);
              pl++) {
            if (g.nchw()) {
              backwardPlane(g, x, dx, pl * g.h() * g.w(), 1, y, dy, pl * g.oh() * g.ow(), 1);
            } else {
              int img = pl / g.c();
              int c = pl % g.c();
              backwardPlane(
                  g,
                  x,
                  dx,
                  img * g.h() * g.w() * g.c() + c,
                  g.c(),
                  y,
                  dy,
                  img * g.oh() * g.ow() * g.c() + c,
                  g.c());
            }
          }
        });
    NnTensors.setFloats(ctx, 0, xt.dims(), dx);
  }

  /** One channel plane; {@code xs}/{@code ys} are the element strides (1 in NCHW, C in NHWC). */
  private void forwardPlane(Geometry g, float[] x, int xo, int xs, float[] y, int yo, int ys) {
    for (int oy = 0; oy < g.oh(); oy++) {
      int h0 = oy * g.sh() - g.padT();
      int h1 = Math.min(h0 + g.kh(), g.h());
      h0 = Math.max(h0, 0);
      for (int ox = 0; ox < g.ow(); ox++) {
        int w0 = ox * g.sw() - g.padL();
        int w1 = Math.min(w0 + g.kw(), g.w());
        w0 = Math.max(w0, 0);
        float v;
        if (kind == Kind.MAX) {
          v = Float.NEGATIVE_INFINITY;
          for (int i = h0; i < h1; i++) {
            for (int j = w0; j < w1; j++) {
              float e = x[xo + (i * g.w() + j) * xs];
              v = e > v ? e : v;
            }
          }
        } else {
          float sum = 0f;
          for (int i = h0; i < h1; i++) {
            for (int j = w0; j < w1; j++) {
              sum += x[xo + (i * g.w() + j) * xs];
            }
          }
          int count = (h1 - h0) * (w1 - w0);
          v = count > 0 ? sum / count : 0f;
        }
        y[yo + (oy * g.ow() + ox) * ys] = v;
      }
    }
  }

  private void backwardPlane(
      Geometry g, float[] x, float[] dx, int xo, int xs, float[] y, float[] dy, int yo, int ys) {
    for (int oy = 0; oy < g.oh(); oy++) {
      int h0 = oy * g.sh() - g.padT();
      int h1 = Math.min(h0 + g.kh(), g.h());
      h0 = Math.max(h0, 0);
      for (int ox = 0; ox < g.ow(); ox++) {
        int w0 = ox * g.sw() - g.padL();
        int w1 = Math.min(w0 + g.kw(), g.w());
        w0 = Math.max(w0, 0);
        int yi = yo + (oy * g.ow() + ox) * ys;
        float d = dy[yi];
        if (kind == Kind.MAX) {
          float max = y[yi];
          for (int i = h0; i < h1; i++) {
            for (int j = w0; j < w1; j++) {
              int xi = xo + (i * g.w() + j) * xs;
              if (x[xi] == max) {
                dx[xi] += d;
              }
            }
          }
        } else {
          int count = (h1 - h0) * (w1 - w0);
          if (count == 0) {
            continue;
          }
          float share = d / count;
          for (int i = h0; i < h1; i++) {
            for (int j = w0; j < w1; j++) {
              dx[xo + (i * g.w() + j) * xs] += share;
            }
          }
        }
      }
    }
  }
}
