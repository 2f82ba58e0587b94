package dev.cortado.cpu.nn;

import static dev.cortado.cpu.nn.NnTesting.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class PoolOpTest {
  record Case(
      String label,
      int n,
      int c,
      int h,
      int w,
      int kh,
      int kw,
      int sh,
      int sw,
      int pt,
      int pl,
      int pb,
      int pr,
      boolean nchw,
      boolean global) {
    int oh() {
      return global ? 1 : (h + pt + pb - kh) / sh + 1;
    }

    int ow() {
      return global ? 1 : (w + pl + pr - kw) / sw + 1;
    }

    long[] xDims() {
      return nchw ? new long[] {n, c, h, w} : new long[] {n, h, w, c};
    }

    long[] yDims() {
      return nchw ? new long[] {n, c, oh(), ow()} : new long[] {n, oh(), ow(), c};
    }

    String args() {
      StringBuilder sb = new StringBuilder();
      if (global) {
        sb.append(ConvOpTest.arg("global_pooling", 1));
      } else {
        sb.append(ConvOpTest.arg("kernel_h", kh)).append(ConvOpTest.arg("kernel_w", kw));
        sb.append(ConvOpTest.arg("stride_h", sh)).append(ConvOpTest.arg("stride_w", sw));
        sb.append(" arg { name: 'pads' ints: ")
            .append(pt)
            .append(" ints: ")
            .append(pl)
            .append(" ints: ")
            .append(pb)
            .append(" ints: ")
            .append(pr)
            .append(" }");
      }
      if (!nchw) {
        sb.append(" arg { name: 'order' s: 'NHWC' }");
      }
      return sb.toString();
    }

    int at(int n, int c, int y, int x, int hh, int ww) {
      return nchw ? ((n * this.c + c) * hh + y) * ww + x : ((n * hh + y) * ww + x) * this.c + c;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("lenet-2x2", 2, 3, 8, 8, 2, 2, 2, 2, 0, 0, 0, 0, true, false),
        new Case("odd-3x2-padded", 3, 2, 7, 9, 3, 2, 2, 3, 1, 0, 2, 1, true, false),
        new Case("overlapping-batch1", 1, 4, 6, 5, 3, 3, 1, 1, 1, 1, 1, 1, true, false),
        new Case("nhwc", 2, 3, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1, false, false),
        new Case("global", 2, 3, 5, 4, 0, 0, 1, 1, 0, 0, 0, 0, true, true),
        new Case("global-nhwc", 2, 3, 5, 4, 0, 0, 1, 1, 0, 0, 0, 0, false, true));
  }

  /** Per output: the window clipped to the image, max or mean; gradients routed back. */
  static double[][] reference(Case k, float[] x, float[] dy, boolean max) {
    int kh = k.global ? k.h : k.kh;
    int kw = k.global ? k.w : k.kw;
    double[] y = new double[numel(k.yDims())];
    double[] dx = new double[x.length];
    for (int n = 0; n < k.n; n++) {
      for (int c = 0; c < k.c; c++) {
        for (int oy = 0; oy < k.oh(); oy++) {
          for (int ox = 0; ox < k.ow(); ox++) {
            double best = Double.NEGATIVE_INFINITY;
            double sum = 0;
            int count = 0;
            for (int i = 0; i < kh; i++) {
              for (int j = 0; j < kw; j++) {
                int iy = oy * k.sh - k.pt + i;
                int ix = ox * k.sw - k.pl + j;
                if (iy >= 0 && iy < k.h && ix >= 0 && ix < k.w) {
                  double v = x[k.at(n, c, iy, ix, k.h, k.w)];
                  best = Math.max(best, v);
                  sum += v;
                  count++;
                }
              }
            }
            int yi = k.at(n, c, oy, ox, k.oh(), k.ow());
            y[yi] = max ? best : sum / count;
            for (int i = 0; i < kh; i++) {
              for (int j = 0; j < kw; j++) {
                int iy = oy * k.sh - k.pt + i;
                int ix = ox * k.sw - k.pl + j;
                if (iy >= 0 && iy < k.h && ix >= 0 && ix < k.w) {
                  int xi = k.at(n, c, iy, ix, k.h, k.w);
                  if (!max) {
                    dx[xi] += dy[yi] / count;
                  } else if (x[xi] == best) {
                    dx[xi] += dy[yi];
                  }
                }
              }
            }
          }
        }
      }
    }
    return new double[][] {y, dx};
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void maxAndAverageForwardAndGradient(Case k) {
    SplittableRandom r = new SplittableRandom(k.label.hashCode());
    try (Workspace ws = workspace()) {
      float[] x = put(ws, "X", r, k.xDims());
      float[] dy = put(ws, "dY", r, k.yDims());
      for (String type : new String[] {"MaxPool", "AveragePool"}) {
        boolean max = type.equals("MaxPool");
        double[][] want = reference(k, x, dy, max);
        ws.runOperatorOnce(op("type: '" + type + "' input: 'X' output: 'Y'" + k.args()));
        assertThat(tensor(ws, "Y").dims()).containsExactly(k.yDims());
        assertClose(type + " " + k, floatsOf(tensor(ws, "Y")), want[0]);
        ws.runOperatorOnce(
            op(
                "type: '"
                    + type
                    + "Gradient' input: 'X' input: 'Y' input: 'dY'"
                    + " output: 'dX'"
                    + k.args()));
        assertThat(tensor(ws, "dX").dims()).containsExactly(k.xDims());
        assertClose(type + "Gradient " + k, floatsOf(tensor(ws, "dX")), want[1]);
      }
    }
  }

  @Test
  void maxPoolGradientGivesDyToEveryTiedMax() {
    // A zero background: every window of the 2x2 pool is a tie of four zeros, except one.
    try (Workspace ws = workspace()) {
      float[] x = new float[16];
      x[5] = 0.5f;
      ws.createBlob("X").set(floats(new long[] {1, 1, 4, 4}, x));
      ws.createBlob("dY").set(floats(new long[] {1, 1, 2, 2}, new float[] {1f, 2f, 3f, 4f}));
      String args = ConvOpTest.arg("kernel", 2) + ConvOpTest.arg("stride", 2);
      ws.runOperatorOnce(op("type: 'MaxPool' input: 'X' output: 'Y'" + args));
      assertThat(floatsOf(tensor(ws, "Y"))).containsExactly(0.5f, 0f, 0f, 0f);
      ws.runOperatorOnce(
          op("type: 'MaxPoolGradient' input: 'X' input: 'Y' input: 'dY' output: 'dX'" + args));
      assertThat(floatsOf(tensor(ws, "dX")))
          .containsExactly(0, 0, 2, 2, 0, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4);
    }
  }

  @Test
  void caffeLegacyPoolingRoundsTheOutputUp() {
    SplittableRandom r = new SplittableRandom(9);
    try (Workspace ws = workspace()) {
      put(ws, "X", r, 1, 1, 6, 6);
      // Caffe: ceil((6 - 3) / 2) + 1 = 3; Caffe2's own rule gives 2.
      ws.runOperatorOnce(
          op(
              "type: 'MaxPool' input: 'X' output: 'Y'"
                  + ConvOpTest.arg("kernel", 3)
                  + ConvOpTest.arg("stride", 2)
                  + ConvOpTest.arg("legacy_pad", 3)));
      assertThat(tensor(ws, "Y").dims()).containsExactly(1, 1, 3, 3);
      ws.runOperatorOnce(
          op(
              "type: 'MaxPool' input: 'X' output: 'Y'"
                  + ConvOpTest.arg("kernel", 3)
                  + ConvOpTest.arg("stride", 2)));
      assertThat(tensor(ws, "Y").dims()).containsExactly(1, 1, 2, 2);
    }
  }

  @Test
  void shapeAndArgumentErrors() {
    try (Workspace ws = workspace()) {
      ws.createBlob("X").set(Tensor.allocate(DataType.FLOAT, 1, 2, 4, 4));
      ws.createBlob("Y").set(Tensor.allocate(DataType.FLOAT, 1, 2, 3, 3));
      String args = ConvOpTest.arg("kernel", 2) + ConvOpTest.arg("stride", 2);
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'MaxPoolGradient' name: 'pool1_grad' input: 'X' input: 'Y' input: 'Y' output: 'dX'"
                              + args)))
          .hasMessageContaining("MaxPoolGradient")
          .hasMessageContaining("pool1_grad")
          .hasMessageContaining(
              "Y (input 1, 'Y') is [1,2,3,3] but MaxPool of X [1,2,4,4] gives [1,2,2,2]");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'MaxPool' input: 'X' output: 'Z'"
                              + ConvOpTest.arg("global_pooling", 1)
                              + ConvOpTest.arg("stride", 2))))
          .hasMessageContaining("with global_pooling, pad, dilation and stride must not be set");
      assertThatThrownBy(() -> ws.runOperatorOnce(op("type: 'AveragePool' input: 'X' output: 'Z'")))
          .hasMessageContaining("the kernel size must be set");
    }
  }
}
