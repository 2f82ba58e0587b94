package dev.cortado.cpu.nn;

import static dev.cortado.cpu.nn.NnTesting.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.proto.NetDef;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** FC, Relu, Softmax, LabelCrossEntropy, AveragedLoss, Accuracy and Dropout. */
class DenseOpsTest {
  @ParameterizedTest(name = "X {0} W {1} axis {2} axis_w {3}")
  @CsvSource({
    "'64,800', '500,800', 1, 1",
    "'1,7', '3,7', 1, 1",
    "'5,2,3,4', '6,12', 2, 1",
    "'33,2,5', '7,2,5', -2, 1",
    "'4,6', '2,3,6', 1, 2"
  })
  void fcForwardAndGradient(String xs, String ws_, int axis, int axisW) {
    long[] xd = parse(xs);
    long[] wd = parse(ws_);
    int ax = axis < 0 ? axis + xd.length : axis;
    int m = numel(java.util.Arrays.copyOf(xd, ax));
    int k = numel(xd) / m;
    int n = numel(java.util.Arrays.copyOf(wd, axisW));
    long[] yd = java.util.Arrays.copyOf(xd, ax + 1);
    yd[ax] = n;
    SplittableRandom r = new SplittableRandom(xs.hashCode());
    try (Workspace ws = workspace()) {
      float[] x = put(ws, "X", r, xd);
      float[] w = put(ws, "W", r, wd);
      float[] b = put(ws, "b", r, n);
      String args = ConvOpTest.arg("axis", axis) + ConvOpTest.arg("axis_w", axisW);
      ws.runOperatorOnce(op("type: 'FC' input: 'X' input: 'W' input: 'b' output: 'Y'" + args));
      double[] y = new double[m * n];
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double s = b[j];
          for (int p = 0; p < k; p++) {
            s += (double) x[i * k + p] * w[j * k + p];
          }
          y[i * n + j] = s;
        }
      }
      assertThat(tensor(ws, "Y").dims()).containsExactly(yd);
      assertClose("Y", floatsOf(tensor(ws, "Y")), y);

      float[] dy = put(ws, "dY", r, yd);
      ws.runOperatorOnce(
          op(
              "type: 'FCGradient' input: 'X' input: 'W' input: 'dY'"
                  + " output: 'dW' output: 'db' output: 'dX'"
                  + args));
      double[] dw = new double[n * k];
      double[] db = new double[n];
      double[] dx = new double[m * k];
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double d = dy[i * n + j];
          db[j] += d;
          for (int p = 0; p < k; p++) {
            dw[j * k + p] += d * x[i * k + p];
            dx[i * k + p] += d * w[j * k + p];
          }
        }
      }
      assertThat(tensor(ws, "dW").dims()).containsExactly(wd);
      assertThat(tensor(ws, "db").dims()).containsExactly(n);
      assertThat(tensor(ws, "dX").dims()).containsExactly(xd);
      assertClose("dW", floatsOf(tensor(ws, "dW")), dw);
      assertClose("db", floatsOf(tensor(ws, "db")), db);
      assertClose("dX", floatsOf(tensor(ws, "dX")), dx);
    }
  }

  private static long[] parse(String s) {
    String[] p = s.split(",");
    long[] d = new long[p.length];
    for (int i = 0; i < p.length; i++) {
      d[i] = Long.parseLong(p[i].trim());
    }
    return d;
  }

  @Test
  void fcShapeErrors() {
    try (Workspace ws = workspace()) {
      ws.createBlob("X").set(Tensor.allocate(DataType.FLOAT, 64, 800));
      ws.createBlob("W").set(Tensor.allocate(DataType.FLOAT, 500, 700));
      ws.createBlob("b").set(Tensor.allocate(DataType.FLOAT, 500));
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op("type: 'FC' name: 'fc3' input: 'X' input: 'W' input: 'b' output: 'Y'")))
          .hasMessageContaining("fc3")
          .hasMessageContaining(
              "X [64,800] has 800 features per row (from axis 1) but W [500,700] has 700");
      ws.createBlob("W2").set(Tensor.allocate(DataType.FLOAT, 500, 800));
      ws.createBlob("b2").set(Tensor.allocate(DataType.FLOAT, 10));
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op("type: 'FC' input: 'X' input: 'W2' input: 'b2' output: 'Y'")))
          .hasMessageContaining("the bias (input 2, 'b2') must hold 500 values");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'FC' input: 'X' input: 'W2' input: 'b' output: 'Y' arg { name: 'axis' i: 2 }")))
          .hasMessageContaining("axis 2 is out of range for a tensor of rank 2");
    }
  }

  @Test
  void reluAndItsGradientInPlace() {
    SplittableRandom r = new SplittableRandom(1);
    try (Workspace ws = workspace()) {
      float[] x = put(ws, "X", r, 3, 5);
      x[0] = 0f;
      ws.blob("X").set(floats(new long[] {3, 5}, x));
      float[] dy = put(ws, "dY", r, 3, 5);
      ws.runOperatorOnce(op("type: 'Relu' input: 'X' output: 'X'"));
      float[] y = floatsOf(tensor(ws, "X"));
      double[] want = new double[15];
      double[] wantDx = new double[15];
      for (int i = 0; i < 15; i++) {
        want[i] = Math.max(0, x[i]);
        wantDx[i] = x[i] > 0 ? dy[i] : 0;
      }
      assertClose("Y", y, want);
      ws.runOperatorOnce(op("type: 'ReluGradient' input: 'X' input: 'dY' output: 'dY'"));
      assertClose("dX", floatsOf(tensor(ws, "dY")), wantDx);
    }
  }

  @ParameterizedTest(name = "dims {0} axis {1}")
  @CsvSource({"'4,10', 1", "'2,3,4', 1", "'2,3,4', 2", "'2,3,4', -1", "'7', 0"})
  void softmaxAndGradient(String ds, int axis) {
    long[] d = parse(ds);
    int ax = axis < 0 ? axis + d.length : axis;
    int rows = numel(java.util.Arrays.copyOf(d, ax));
    int cols = numel(d) / rows;
    SplittableRandom r = new SplittableRandom(ds.hashCode() + axis);
    try (Workspace ws = workspace()) {
      float[] x = put(ws, "X", r, d);
      for (int i = 0; i < x.length; i++) {
        x[i] *= 20; // large logits: the max shift matters
      }
      ws.blob("X").set(floats(d, x));
      float[] dy = put(ws, "dY", r, d);
      ws.runOperatorOnce(
          op("type: 'Softmax' input: 'X' output: 'Y'" + ConvOpTest.arg("axis", axis)));
      double[] y = new double[x.length];
      double[] dx = new double[x.length];
      for (int i = 0; i < rows; i++) {
        double z = 0;
        for (int j = 0; j < cols; j++) {
          z += Math.exp(x[i * cols + j]);
        }
        for (int j = 0; j < cols; j++) {
          y[i * cols + j] = Math.exp(x[i * cols + j]) / z;
        }
        // dX_j = sum_l dY_l * dY_l/dX_j = sum_l dY_l * y_l * (delta_lj - y_j)
        for (int j = 0; j < cols; j++) {
          double s = 0;
          for (int l = 0; l < cols; l++) {
            s += dy[i * cols + l] * y[i * cols + l] * ((l == j ? 1 : 0) - y[i * cols + j]);
          }
          dx[i * cols + j] = s;
        }
      }
      assertThat(tensor(ws, "Y").dims()).containsExactly(d);
      assertClose("Y", floatsOf(tensor(ws, "Y")), y);
      ws.runOperatorOnce(
          op(
              "type: 'SoftmaxGradient' input: 'Y' input: 'dY' output: 'dX'"
                  + ConvOpTest.arg("axis", axis)));
      assertClose("dX", floatsOf(tensor(ws, "dX")), dx);
    }
  }

  @Test
  void labelCrossEntropyAveragedLossAndGradients() {
    SplittableRandom r = new SplittableRandom(2);
    int n = 6;
    int d = 4;
    try (Workspace ws = workspace()) {
      float[] p = new float[n * d];
      for (int i = 0; i < p.length; i++) {
        p[i] = (float) r.nextDouble(0.01, 1);
      }
      p[1 * d + 2] = 0f; // clipped at 1e-20: -log(1e-20) = 46.05...
      int[] label = {0, 2, 3, 1, 1, 0};
      ws.createBlob("P").set(floats(new long[] {n, d}, p));
      ws.createBlob("L").set(ints(new long[] {n}, label));
      ws.runOperatorOnce(op("type: 'LabelCrossEntropy' input: 'P' input: 'L' output: 'xent'"));
      double[] xent = new double[n];
      for (int i = 0; i < n; i++) {
        xent[i] = -Math.log(Math.max(p[i * d + label[i]], 1e-20f));
      }
      assertThat(tensor(ws, "xent").dims()).containsExactly(n);
      assertClose("xent", floatsOf(tensor(ws, "xent")), xent);
      assertThat(floatsOf(tensor(ws, "xent"))[1])
          .isCloseTo(46.0517f, org.assertj.core.data.Offset.offset(1e-3f));

      ws.runOperatorOnce(op("type: 'AveragedLoss' input: 'xent' output: 'loss'"));
      Tensor loss = tensor(ws, "loss");
      assertThat(loss.rank()).isZero();
      double mean = 0;
      for (double v : xent) {
        mean += v / n;
      }
      assertClose("loss", floatsOf(loss), new double[] {mean});

      ws.createBlob("loss_grad").set(floats(new long[0], new float[] {1.5f}));
      ws.runOperatorOnce(
          op("type: 'AveragedLossGradient' input: 'xent' input: 'loss_grad' output: 'xent_grad'"));
      double[] g = new double[n];
      java.util.Arrays.fill(g, 1.5 / n);
      assertThat(tensor(ws, "xent_grad").dims()).containsExactly(n);
      assertClose("xent_grad", floatsOf(tensor(ws, "xent_grad")), g);

      ws.runOperatorOnce(
          op(
              "type: 'LabelCrossEntropyGradient' input: 'P' input: 'L' input: 'xent_grad' output: 'P_grad'"));
      double[] dp = new double[n * d];
      for (int i = 0; i < n; i++) {
        dp[i * d + label[i]] = -g[i] / Math.max(p[i * d + label[i]], 1e-20f);
      }
      assertClose("P_grad", floatsOf(tensor(ws, "P_grad")), dp);

      ws.createBlob("bad").set(ints(new long[] {n}, new int[] {0, 4, 0, 0, 0, 0}));
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op("type: 'LabelCrossEntropy' input: 'P' input: 'bad' output: 'x'")))
          .hasMessageContaining("label 4 of row 1 is out of range [0, 4)");
      ws.createBlob("short").set(ints(new long[] {5}, new int[5]));
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op("type: 'LabelCrossEntropy' input: 'P' input: 'short' output: 'x'")))
          .hasMessageContaining("the label (input 1, 'short') must be [6]");
      ws.createBlob("lf").set(floats(new long[] {n}, new float[n]));
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op("type: 'LabelCrossEntropy' input: 'P' input: 'lf' output: 'x'")))
          .hasMessageContaining("input 1 ('lf') must be int32");
    }
  }

  @Test
  void accuracyTopKAndTies() {
    try (Workspace ws = workspace()) {
      ws.createBlob("P")
          .set(
              floats(
                  new long[] {4, 3},
                  new float[] {
                    0.1f, 0.7f, 0.2f, // label 1: top-1
                    0.5f, 0.3f, 0.2f, // label 1: second
                    0.4f, 0.4f, 0.2f, // label 1: tied with class 0, which wins the tie
                    0.2f, 0.2f, 0.6f // label 0: tied second
                  }));
      ws.createBlob("L").set(ints(new long[] {4}, new int[] {1, 1, 1, 0}));
      ws.runOperatorOnce(op("type: 'Accuracy' input: 'P' input: 'L' output: 'acc'"));
      Tensor acc = tensor(ws, "acc");
      assertThat(acc.rank()).isZero();
      assertThat(floatsOf(acc)).containsExactly(0.25f);
      ws.runOperatorOnce(
          op("type: 'Accuracy' input: 'P' input: 'L' output: 'acc' arg { name: 'top_k' i: 2 }"));
      assertThat(floatsOf(tensor(ws, "acc"))).containsExactly(1f);
    }
  }

  @Test
  void dropoutTrainingTestAndGradient() {
    SplittableRandom r = new SplittableRandom(4);
    try (Workspace ws = workspace()) {
      float[] x = put(ws, "X", r, 50, 40);
      float[] dy = put(ws, "dY", r, 50, 40);
      ws.runOperatorOnce(
          op(
              "type: 'Dropout' input: 'X' output: 'Y' output: 'mask'"
                  + " arg { name: 'ratio' f: 0.25 } device_option { random_seed: 7 }"));
      Tensor mask = tensor(ws, "mask");
      assertThat(mask.dataType()).isEqualTo(DataType.BOOL);
      float[] y = floatsOf(tensor(ws, "Y"));
      int kept = 0;
      double[] want = new double[x.length];
      double[] wantDx = new double[x.length];
      for (int i = 0; i < x.length; i++) {
        boolean m = mask.data().get(i) != 0;
        kept += m ? 1 : 0;
        want[i] = m ? x[i] / 0.75 : 0;
        wantDx[i] = m ? dy[i] / 0.75 : 0;
      }
      assertThat(kept).isBetween(1400, 1600); // 2000 * 0.75 = 1500
      assertClose("Y", y, want);
      ws.runOperatorOnce(
          op(
              "type: 'DropoutGrad' input: 'dY' input: 'mask' output: 'dX'"
                  + " arg { name: 'ratio' f: 0.25 }"));
      assertClose("dX", floatsOf(tensor(ws, "dX")), wantDx);

      // The seed makes the mask reproducible.
      ws.runOperatorOnce(
          op(
              "type: 'Dropout' input: 'X' output: 'Y2' output: 'mask2'"
                  + " arg { name: 'ratio' f: 0.25 } device_option { random_seed: 7 }"));
      assertThat(tensor(ws, "mask2").contentEquals(mask)).isTrue();

      ws.runOperatorOnce(op("type: 'Dropout' input: 'X' output: 'T' arg { name: 'is_test' i: 1 }"));
      assertClose("test", floatsOf(tensor(ws, "T")), toDouble(x));
      ws.runOperatorOnce(
          op("type: 'DropoutGrad' input: 'dY' output: 'dT' arg { name: 'is_test' i: 1 }"));
      assertClose("test grad", floatsOf(tensor(ws, "dT")), toDouble(dy));
      assertThatThrownBy(() -> ws.runOperatorOnce(op("type: 'Dropout' input: 'X' output: 'Y'")))
          .hasMessageContaining("needs a second output for the mask");
    }
  }

  @Test
  void schemasFollowCaffe2() {
    var reg = RUNTIME.operators();
    assertThat(reg.schema("Conv").orElseThrow().gradient())
        .isEqualTo(dev.cortado.operator.Gradient.HAS_GRADIENT);
    assertThat(reg.schema("Accuracy").orElseThrow().gradient())
        .isEqualTo(dev.cortado.operator.Gradient.SHOULD_NOT_DO_GRADIENT);
    assertThat(reg.schema("ConvGradient").orElseThrow().maxOutputs()).isEqualTo(3);
    assertThat(reg.schema("FCGradient").orElseThrow().minOutputs()).isEqualTo(2);
    assertThat(reg.schema("Relu").orElseThrow().allowedInplace()).isNotEmpty();
  }

  @Test
  void lenetForwardNetRunsEndToEnd() {
    // The tutorial's LeNet on a batch of 4 random images: shapes through every layer, and a
    // softmax that sums to one per image.
    SplittableRandom r = new SplittableRandom(8);
    try (Workspace ws = workspace()) {
      put(ws, "data", r, 4, 1, 28, 28);
      put(ws, "conv1_w", r, 20, 1, 5, 5);
      put(ws, "conv1_b", r, 20);
      put(ws, "conv2_w", r, 50, 20, 5, 5);
      put(ws, "conv2_b", r, 50);
      put(ws, "fc3_w", r, 500, 800);
      put(ws, "fc3_b", r, 500);
      put(ws, "pred_w", r, 10, 500);
      put(ws, "pred_b", r, 10);
      ws.createBlob("label").set(ints(new long[] {4}, new int[] {1, 2, 3, 4}));
      NetDef net =
          NetDef.newBuilder()
              .setName("lenet")
              .addOp(
                  op(
                      "type: 'Conv' input: 'data' input: 'conv1_w' input: 'conv1_b' output: 'conv1' arg { name: 'kernel' i: 5 }"))
              .addOp(
                  op(
                      "type: 'MaxPool' input: 'conv1' output: 'pool1' arg { name: 'kernel' i: 2 } arg { name: 'stride' i: 2 }"))
              .addOp(
                  op(
                      "type: 'Conv' input: 'pool1' input: 'conv2_w' input: 'conv2_b' output: 'conv2' arg { name: 'kernel' i: 5 }"))
              .addOp(
                  op(
                      "type: 'MaxPool' input: 'conv2' output: 'pool2' arg { name: 'kernel' i: 2 } arg { name: 'stride' i: 2 }"))
              .addOp(op("type: 'FC' input: 'pool2' input: 'fc3_w' input: 'fc3_b' output: 'fc3'"))
              .addOp(op("type: 'Relu' input: 'fc3' output: 'fc3'"))
              .addOp(op("type: 'FC' input: 'fc3' input: 'pred_w' input: 'pred_b' output: 'pred'"))
              .addOp(op("type: 'Softmax' input: 'pred' output: 'softmax'"))
              .addOp(op("type: 'LabelCrossEntropy' input: 'softmax' input: 'label' output: 'xent'"))
              .addOp(op("type: 'AveragedLoss' input: 'xent' output: 'loss'"))
              .addOp(op("type: 'Accuracy' input: 'softmax' input: 'label' output: 'accuracy'"))
              .build();
      ws.runNetOnce(net);
      assertThat(tensor(ws, "conv1").dims()).containsExactly(4, 20, 24, 24);
      assertThat(tensor(ws, "pool2").dims()).containsExactly(4, 50, 4, 4);
      assertThat(tensor(ws, "fc3").dims()).containsExactly(4, 500);
      assertThat(tensor(ws, "softmax").dims()).containsExactly(4, 10);
      assertThat(tensor(ws, "loss").rank()).isZero();
      assertThat(tensor(ws, "accuracy").rank()).isZero();
      float[] sm = floatsOf(tensor(ws, "softmax"));
      for (int i = 0; i < 4; i++) {
        double s = 0;
        for (int j = 0; j < 10; j++) {
          s += sm[i * 10 + j];
        }
        assertThat(s).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
      }
    }
  }
}
