package dev.cortado.cpu.nn;

import dev.cortado.cpu.nn.ConvPoolArgs.Geometry;
import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.Tensor;

/**
 * Caffe2's {@code Conv}: 2-D convolution of X (NCHW or NHWC) with filter W and optional bias b, by
 * im2col + GEMM per image, images spread over the cores.
 */
final class ConvOp implements Operator {
  static final OperatorSchema SCHEMA =
      ConvPoolArgs.args(OperatorSchema.builder("Conv").inputs(2, 3).numOutputs(1), true)
          .doc(
              "Y = conv(X, W) + b. NCHW: W is (M, C/group, kh, kw); NHWC: W is (M, kh, kw, C/group);"
                  + " b is (M).")
          .gradient(Gradient.HAS_GRADIENT)
          .build();

  private final OperatorContext ctx;
  private final ConvPoolArgs args;

  ConvOp(OperatorContext ctx) {
    this.ctx = ctx;
    this.args = new ConvPoolArgs(ctx);
    if (args.globalPooling) {
      throw ctx.error("global_pooling is an argument of pooling, not of Conv");
    }
  }

  /** The checked shapes of one convolution. */
  record Shape(Geometry g, int m, int group) {
    int cg() {
      return g.c() / group;
    }

    int mg() {
      return m / group;
    }

    /** Rows of one group's filter matrix: cg * kh * kw. */
    int kg() {
      return cg() * g.kh() * g.kw();
    }

    int ohw() {
      return g.oh() * g.ow();
    }
  }

  /** Checks X and W (inputs 0 and 1) against each other and the arguments. */
  static Shape shape(OperatorContext ctx, ConvPoolArgs args, Tensor x, Tensor w) {
    Geometry g = args.geometry(x, 0);
    if (w.rank() != 4) {
      throw ctx.error("the filter (input 1, '" + ctx.inputName(1) + "') must be 4-D, found " + w);
    }
    long[] wd = w.dims();
    int m = Math.toIntExact(wd[0]);
    long wc = g.nchw() ? wd[1] : wd[3];
    long wkh = g.nchw() ? wd[2] : wd[1];
    long wkw = g.nchw() ? wd[3] : wd[2];
    int group = args.group;
    if (wc * group != g.c()) {
      throw ctx.error(
          "input channels "
              + g.c()
              + " do not match the filter's "
              + (group == 1
                  ? Long.toString(wc)
                  : wc + " per group x group " + group + " = " + wc * group)
              + " (X "
              + NnTensors.dims(x.dims())
              + ", W "
              + NnTensors.dims(wd)
              + ", order "
              + (g.nchw() ? "NCHW" : "NHWC")
              + ")");
    }
    if (wkh != g.kh() || wkw != g.kw()) {
      throw ctx.error(
          "the filter's spatial dims ["
              + wkh
              + ","
              + wkw
              + "] do not match the kernel ["
              + g.kh()
              + ","
              + g.kw()
              + "] (W "
              + NnTensors.dims(wd)
              + ")");
    }
    if (m % group != 0) {
      throw ctx.error("output channels " + m + " are not a multiple of group " + group);
    }
    return new Shape(g, m, group);
  }

  @Override
  public void run() {
    Tensor xt = NnTensors.floatInput(ctx, 0);
    Tensor wt = NnTensors.floatInput(ctx, 1);
    Shape s = shape(ctx, args, xt, wt);
    float[] bias = null;
    if (ctx.inputCount() == 3) {
      Tensor bt = NnTensors.floatInput(ctx, 2);
      if (bt.rank() != 1 || bt.dim(0) != s.m()) {
        throw ctx.error(
            "the bias (input 2, '"
                + ctx.inputName(2)
                + "') must be ["
                + s.m()
                + "] for a filter with "
                + s.m()
                + " output channels, found "
                + bt);
      }
      bias = NnTensors.floats(bt);
    }
    float[] x = NnTensors.floats(xt);
    float[] w = NnTensors.floats(wt);
    Geometry g = s.g();
    float[] y = new float[g.n() * s.m() * s.ohw()];
    float[] b = bias;
    int pieces = Math.min(g.n(), 4 * Parallel.threads());
    Parallel.forEach(
        pieces,
        p -> {
          float[] col = new float[s.kg() * s.ohw()];
          for (int img = Parallel.start(g.n(), pieces, p);
              img < Parallel.start(g.n(), pieces, p + 1);
              img++) {
            forward(s, x, w, b, y, img, col);
          }
        });
    NnTensors.setFloats(ctx, 0, g.outputDims(s.m()), y);
  }

  static void forward(Shape s, float[] x, float[] w, float[] b, float[] y, int img, float[] col) {
    Geometry g = s.g();
    int ohw = s.ohw();
    int xOff = img * g.c() * g.h() * g.w();
    int yOff = img * s.m() * ohw;
    for (int grp = 0; grp < s.group(); grp++) {
      int wOff = grp * s.mg() * s.kg();
      if (g.nchw()) {
        Im2Col.nchw(g, x, xOff, grp * s.cg(), s.cg(), col);
        Gemm.sgemm(
            false,
            false,
            s.mg(),
            ohw,
            s.kg(),
            1f,
            w,
            wOff,
            s.kg(),
            col,
            0,
            ohw,
            0f,
            y,
            yOff + grp * s.mg() * ohw,
            ohw);
      } else {
        Im2Col.nhwc(g, x, xOff, grp * s.cg(), s.cg(), col);
        Gemm.sgemm(
            false,
            true,
            ohw,
            s.mg(),
            s.kg(),
            1f,
            col,
            0,
            s.kg(),
            w,
            wOff,
            s.kg(),
            0f,
            y,
            yOff + grp * s.mg(),
            s.m());
      }
    }
    if (b != null) {
      if (g.nchw()) {
        for (int m = 0; m < s.m(); m++) {
          float bm = b[m];
          int o = yOff + m * ohw;
          for (int i = 0; i < ohw; i++) {
            y[o + i] += bm;
          }
        }
      } else {
        for (int i = 0; i < ohw; i++) {
          int o = yOff + i * s.m();
          for (int m = 0; m < s.m(); m++) {
            y[o + m] += b[m];
          }
        }
      }
    }
  }
}
