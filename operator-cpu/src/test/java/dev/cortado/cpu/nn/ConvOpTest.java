package dev.cortado.cpu.nn;

import static dev.cortado.cpu.nn.NnTesting.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.operator.OperatorException;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ConvOpTest {
  /** One convolution: shapes, arguments (as text, in one of Caffe2's spellings) and layout. */
  record Case(
      String label,
      int n,
      int c,
      int h,
      int w,
      int m,
      int kh,
      int kw,
      int sh,
      int sw,
      int pt,
      int pl,
      int pb,
      int pr,
      int dh,
      int dw,
      int group,
      boolean nchw,
      boolean bias) {
    int oh() {
      return (h + pt + pb - (dh * (kh - 1) + 1)) / sh + 1;
    }

    int ow() {
      return (w + pl + pr - (dw * (kw - 1) + 1)) / sw + 1;
    }

    long[] xDims() {
      return nchw ? new long[] {n, c, h, w} : new long[] {n, h, w, c};
    }

    long[] wDims() {
      return nchw ? new long[] {m, c / group, kh, kw} : new long[] {m, kh, kw, c / group};
    }

    long[] yDims() {
      return nchw ? new long[] {n, m, oh(), ow()} : new long[] {n, oh(), ow(), m};
    }

    String args() {
      StringBuilder sb = new StringBuilder();
      if (kh == kw) {
        sb.append(arg("kernel", kh));
      } else {
        sb.append(arg("kernel_h", kh)).append(arg("kernel_w", kw));
      }
      if (sh == sw) {
        sb.append(arg("stride", sh));
      } else {
        sb.append(" arg { name: 'strides' ints: ")
            .append(sh)
            .append(" ints: ")
            .append(sw)
            .append(" }");
      }
      if (pt == pl && pl == pb && pb == pr) {
        sb.append(arg("pad", pt));
      } else {
        sb.append(arg("pad_t", pt))
            .append(arg("pad_l", pl))
            .append(arg("pad_b", pb))
            .append(arg("pad_r", pr));
      }
      if (dh != 1 || dw != 1) {
        sb.append(" arg { name: 'dilations' ints: ")
            .append(dh)
            .append(" ints: ")
            .append(dw)
            .append(" }");
      }
      if (group != 1) {
        sb.append(arg("group", group));
      }
      if (!nchw) {
        sb.append(" arg { name: 'order' s: 'NHWC' }");
      }
      return sb.toString();
    }

    @Override
    public String toString() {
      return label;
    }
  }

  static String arg(String name, int v) {
    return " arg { name: '" + name + "' i: " + v + " }";
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("lenet-like", 2, 1, 12, 12, 4, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, true),
        new Case("odd-stride-pads", 3, 3, 7, 9, 5, 3, 2, 2, 1, 1, 0, 2, 1, 1, 1, 1, true, true),
        new Case("groups", 2, 6, 8, 7, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2, true, true),
        new Case("dilation-batch1", 1, 2, 9, 10, 3, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, true, true),
        new Case("no-bias", 2, 2, 6, 5, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, false),
        new Case("batch17", 17, 3, 6, 6, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true),
        new Case("1x1", 2, 4, 5, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, true),
        new Case("nhwc", 2, 3, 7, 6, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, false, true),
        new Case("nhwc-groups-odd", 3, 4, 6, 7, 6, 2, 3, 1, 2, 0, 1, 1, 0, 1, 1, 2, false, true),
        new Case(
            "nhwc-dilation-batch1", 1, 2, 8, 8, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2, 3, 1, false, false));
  }

  private static int xAt(Case k, int n, int c, int y, int x) {
    return k.nchw ? ((n * k.c + c) * k.h + y) * k.w + x : ((n * k.h + y) * k.w + x) * k.c + c;
  }

  private static int wAt(Case k, int m, int c, int i, int j) {
    int cg = k.c / k.group;
    return k.nchw ? ((m * cg + c) * k.kh + i) * k.kw + j : ((m * k.kh + i) * k.kw + j) * cg + c;
  }

  private static int yAt(Case k, int n, int m, int y, int x) {
    return k.nchw
        ? ((n * k.m + m) * k.oh() + y) * k.ow() + x
        : ((n * k.oh() + y) * k.ow() + x) * k.m + m;
  }

  /** Direct convolution in double: every output is a sum over its window. */
  static double[] forward(Case k, float[] x, float[] w, float[] b) {
    double[] y = new double[numel(k.yDims())];
    int cg = k.c / k.group;
    int mg = k.m / k.group;
    for (int n = 0; n < k.n; n++) {
      for (int m = 0; m < k.m; m++) {
        int g = m / mg;
        for (int oy = 0; oy < k.oh(); oy++) {
          for (int ox = 0; ox < k.ow(); ox++) {
            double s = b == null ? 0 : b[m];
            for (int c = 0; c < cg; c++) {
              for (int i = 0; i < k.kh; i++) {
                for (int j = 0; j < k.kw; j++) {
                  int iy = oy * k.sh - k.pt + i * k.dh;
                  int ix = ox * k.sw - k.pl + j * k.dw;
                  if (iy >= 0 && iy < k.h && ix >= 0 && ix < k.w) {
                    s += (double) x[xAt(k, n, g * cg + c, iy, ix)] * w[wAt(k, m, c, i, j)];
                  }
                }
              }
            }
            y[yAt(k, n, m, oy, ox)] = s;
          }
        }
      }
    }
    return y;
  }

  /** dW, db and dX in double by the chain rule on the same loops. */
  static double[][] backward(Case k, float[] x, float[] w, float[] dy) {
    double[] dw = new double[w.length];
    double[] db = new double[k.m];
    double[] dx = new double[x.length];
    int cg = k.c / k.group;
    int mg = k.m / k.group;
    for (int n = 0; n < k.n; n++) {
      for (int m = 0; m < k.m; m++) {
        int g = m / mg;
        for (int oy = 0; oy < k.oh(); oy++) {
          for (int ox = 0; ox < k.ow(); ox++) {
            double d = dy[yAt(k, n, m, oy, ox)];
            db[m] += d;
            for (int c = 0; c < cg; c++) {
              for (int i = 0; i < k.kh; i++) {
                for (int j = 0; j < k.kw; j++) {
                  int iy = oy * k.sh - k.pt + i * k.dh;
                  int ix = ox * k.sw - k.pl + j * k.dw;
                  if (iy >= 0 && iy < k.h && ix >= 0 && ix < k.w) {
                    int xi = xAt(k, n, g * cg + c, iy, ix);
                    int wi = wAt(k, m, c, i, j);
                    dw[wi] += d * x[xi];
                    dx[xi] += d * w[wi];
                  }
                }
              }
            }
          }
        }
      }
    }
    return new double[][] {dw, db, dx};
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void forwardAndGradientMatchTheDirectReference(Case k) {
    SplittableRandom r = new SplittableRandom(k.label.hashCode());
    try (Workspace ws = workspace()) {
      float[] x = put(ws, "X", r, k.xDims());
      float[] w = put(ws, "W", r, k.wDims());
      float[] b = k.bias ? put(ws, "b", r, k.m) : null;
      String in = k.bias ? "input: 'X' input: 'W' input: 'b'" : "input: 'X' input: 'W'";
      ws.runOperatorOnce(op("type: 'Conv' name: 'conv' " + in + " output: 'Y'" + k.args()));
      Tensor y = tensor(ws, "Y");
      assertThat(y.dims()).containsExactly(k.yDims());
      assertClose(k + " Y", floatsOf(y), forward(k, x, w, b));

      float[] dy = put(ws, "dY", r, k.yDims());
      String outs = k.bias ? "output: 'dW' output: 'db' output: 'dX'" : "output: 'dW' output: 'dX'";
      ws.runOperatorOnce(
          op(
              "type: 'ConvGradient' input: 'X' input: 'W' input: 'dY' "
                  + outs
                  + k.args()
                  + (k.bias ? "" : arg("no_bias", 1))));
      double[][] want = backward(k, x, w, dy);
      assertThat(tensor(ws, "dW").dims()).containsExactly(k.wDims());
      assertClose(k + " dW", floatsOf(tensor(ws, "dW")), want[0]);
      if (k.bias) {
        assertThat(tensor(ws, "db").dims()).containsExactly(k.m);
        assertClose(k + " db", floatsOf(tensor(ws, "db")), want[1]);
      }
      assertThat(tensor(ws, "dX").dims()).containsExactly(k.xDims());
      assertClose(k + " dX", floatsOf(tensor(ws, "dX")), want[2]);
    }
  }

  @Test
  void gradientWithoutInputGradientWritesOnlyDwAndDb() {
    Case k = cases().findFirst().orElseThrow();
    SplittableRandom r = new SplittableRandom(3);
    try (Workspace ws = workspace()) {
      float[] x = put(ws, "X", r, k.xDims());
      float[] w = put(ws, "W", r, k.wDims());
      float[] dy = put(ws, "dY", r, k.yDims());
      ws.runOperatorOnce(
          op(
              "type: 'ConvGradient' input: 'X' input: 'W' input: 'dY'"
                  + " output: 'dW' output: 'db'"
                  + k.args()));
      double[][] want = backward(k, x, w, dy);
      assertClose("dW", floatsOf(tensor(ws, "dW")), want[0]);
      assertClose("db", floatsOf(tensor(ws, "db")), want[1]);
      assertThat(ws.hasBlob("dX")).isFalse();
    }
  }

  @Test
  void resultsAreTheSameBitsOnOneThreadAndOnAll() {
    // The batch is cut into fixed pieces whose partial dW and db are summed in order, so the
    // thread count cannot change a bit of any output.
    Case k = new Case("b", 19, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true);
    SplittableRandom r = new SplittableRandom(11);
    try (Workspace ws = workspace()) {
      put(ws, "X", r, k.xDims());
      put(ws, "W", r, k.wDims());
      put(ws, "b", r, k.m);
      put(ws, "dY", r, k.yDims());
      put(ws, "F", r, 37, 50);
      put(ws, "FW", r, 45, 50);
      put(ws, "Fb", r, 45);
      put(ws, "FdY", r, 37, 45);
      String[] ops = {
        "type: 'Conv' input: 'X' input: 'W' input: 'b' output: 'Y'" + k.args(),
        "type: 'ConvGradient' input: 'X' input: 'W' input: 'dY' output: 'dW' output: 'db' output: 'dX'"
            + k.args(),
        "type: 'FC' input: 'F' input: 'FW' input: 'Fb' output: 'FY'",
        "type: 'FCGradient' input: 'F' input: 'FW' input: 'FdY' output: 'FdW' output: 'Fdb' output: 'FdX'"
      };
      String[] outs = {"Y", "dW", "db", "dX", "FY", "FdW", "Fdb", "FdX"};
      float[][] serial = new float[outs.length][];
      Parallel.setParallel(false);
      try {
        for (String o : ops) {
          ws.runOperatorOnce(op(o));
        }
        for (int i = 0; i < outs.length; i++) {
          serial[i] = floatsOf(tensor(ws, outs[i])).clone();
        }
      } finally {
        Parallel.setParallel(true);
      }
      for (String o : ops) {
        ws.runOperatorOnce(op(o));
      }
      for (int i = 0; i < outs.length; i++) {
        assertThat(floatsOf(tensor(ws, outs[i]))).as(outs[i]).containsExactly(serial[i]);
      }
    }
  }

  @Test
  void channelMismatchNamesTheOperatorAndBothCounts() {
    try (Workspace ws = workspace()) {
      ws.createBlob("X").set(Tensor.allocate(DataType.FLOAT, 2, 20, 12, 12));
      ws.createBlob("W").set(Tensor.allocate(DataType.FLOAT, 50, 30, 5, 5));
      ws.createBlob("b").set(Tensor.allocate(DataType.FLOAT, 50));
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Conv' name: 'conv2' input: 'X' input: 'W' input: 'b' output: 'Y'"
                              + arg("kernel", 5))))
          .isInstanceOf(OperatorException.class)
          .hasMessageContaining("Conv")
          .hasMessageContaining("conv2")
          .hasMessageContaining("input channels 20 do not match the filter's 30");
      ws.createBlob("W2").set(Tensor.allocate(DataType.FLOAT, 50, 20, 3, 3));
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Conv' input: 'X' input: 'W2' input: 'b' output: 'Y'"
                              + arg("kernel", 5))))
          .hasMessageContaining("the filter's spatial dims [3,3] do not match the kernel [5,5]");
      ws.createBlob("b3").set(Tensor.allocate(DataType.FLOAT, 3));
      ws.createBlob("W3").set(Tensor.allocate(DataType.FLOAT, 50, 20, 5, 5));
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Conv' input: 'X' input: 'W3' input: 'b3' output: 'Y'"
                              + arg("kernel", 5))))
          .hasMessageContaining("the bias (input 2, 'b3') must be [50]");
      ws.createBlob("Xi").set(Tensor.allocate(DataType.INT32, 2, 20, 12, 12));
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Conv' input: 'Xi' input: 'W3' input: 'b' output: 'Y'"
                              + arg("kernel", 5))))
          .hasMessageContaining("input 0 ('Xi') must be float32");
      ws.createBlob("X3").set(Tensor.allocate(DataType.FLOAT, 20, 12, 12));
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Conv' input: 'X3' input: 'W3' input: 'b' output: 'Y'"
                              + arg("kernel", 5))))
          .hasMessageContaining("must be 4-D (N, C, H, W)");
      ws.createBlob("dY").set(Tensor.allocate(DataType.FLOAT, 2, 50, 7, 7));
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'ConvGradient' input: 'X' input: 'W3' input: 'dY' output: 'dW' output: 'db'"
                              + arg("kernel", 5))))
          .hasMessageContaining("dY (input 2, 'dY') is [2,50,7,7] but Conv's output")
          .hasMessageContaining("is [2,50,8,8]");
    }
  }

  @Test
  void argumentErrors() {
    try (Workspace ws = workspace()) {
      ws.createBlob("X").set(Tensor.allocate(DataType.FLOAT, 1, 1, 4, 4));
      ws.createBlob("W").set(Tensor.allocate(DataType.FLOAT, 1, 1, 3, 3));
      for (List<String> c :
          List.of(
              List.of("", "the kernel size must be set"),
              List.of(" arg { name: 'kernels' ints: 3 ints: 3 ints: 3 }", "only 2-D"),
              List.of(
                  arg("kernel", 3) + " arg { name: 'order' s: 'CHWN' }", "must be NCHW or NHWC"),
              List.of(arg("kernel", 3) + arg("pad", -1), "pads must not be negative"),
              List.of(arg("kernel", 3) + arg("stride", 0), "strides must be positive"),
              List.of(
                  arg("kernel", 9),
                  "the input height 4 plus padding 0+0 is smaller than the kernel's extent 9"))) {
        assertThatThrownBy(
                () ->
                    ws.runOperatorOnce(
                        op("type: 'Conv' input: 'X' input: 'W' output: 'Y'" + c.get(0))))
            .as(c.get(1))
            .hasMessageContaining(c.get(1));
      }
    }
  }

  @Test
  void legacyPaddingValidAndSame() {
    SplittableRandom r = new SplittableRandom(5);
    try (Workspace ws = workspace()) {
      put(ws, "X", r, 1, 2, 7, 8);
      put(ws, "W", r, 3, 2, 3, 3);
      ws.runOperatorOnce(
          op(
              "type: 'Conv' input: 'X' input: 'W' output: 'Y'"
                  + arg("kernel", 3)
                  + arg("stride", 2)
                  + arg("legacy_pad", 2)));
      // SAME: ceil(7/2)=4, ceil(8/2)=4.
      assertThat(tensor(ws, "Y").dims()).containsExactly(1, 3, 4, 4);
      ws.runOperatorOnce(
          op(
              "type: 'Conv' input: 'X' input: 'W' output: 'Y'"
                  + arg("kernel", 3)
                  + arg("stride", 2)
                  + arg("legacy_pad", 1)));
      assertThat(tensor(ws, "Y").dims()).containsExactly(1, 3, 3, 3);
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Conv' input: 'X' input: 'W' output: 'Y'"
                              + arg("kernel", 3)
                              + arg("pad", 1)
                              + arg("legacy_pad", 1))))
          .hasMessageContaining("with legacy padding VALID or SAME no explicit padding");
    }
  }
}
