package dev.cortado.cpu;

import static dev.cortado.cpu.CpuTesting.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.CortadoException;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The training operators against straightforward double-precision references. */
class TrainingOpsTest {
  private static final double REL = 1e-5;

  private static void assertClose(float[] actual, double[] expected) {
    assertThat(actual).hasSize(expected.length);
    for (int i = 0; i < expected.length; i++) {
      double tol = REL * Math.max(1e-3, Math.abs(expected[i]));
      assertThat((double) actual[i])
          .as("element %d", i)
          .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(tol));
    }
  }

  private static float[] random(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextGaussian());
    }
    return v;
  }

  @Test
  void iterIncrementsTheInt64CounterInPlace() {
    try (Workspace ws = workspace()) {
      ws.createBlob("iter").set(longs(0));
      ws.runOperatorOnce(op("type: 'Iter' input: 'iter' output: 'iter'"));
      ws.runOperatorOnce(op("type: 'Iter' input: 'iter' output: 'iter'"));
      assertThat(longsOf(ws.blob("iter").tensor())).containsExactly(2);
      // Caffe2's old form: no input, the counter starts at 0 on the first run.
      ws.runOperatorOnce(op("type: 'Iter' output: 'fresh'"));
      assertThat(longsOf(ws.blob("fresh").tensor())).containsExactly(1);
      ws.createBlob("bad").set(ints(0));
      assertThatThrownBy(() -> ws.runOperatorOnce(op("type: 'Iter' input: 'bad' output: 'bad'")))
          .isInstanceOf(CortadoException.class)
          .hasMessageContaining("Iter")
          .hasMessageContaining("'bad' must be an int64 tensor of one element");
      assertThatThrownBy(() -> ws.runOperatorOnce(op("type: 'Iter' input: 'iter' output: 'x'")))
          .hasMessageContaining("in-place is enforced");
    }
  }

  private static float lr(Workspace ws, long iter, String args) {
    ws.createBlob("it").set(longs(iter));
    Tensor t = runOp(ws, "type: 'LearningRate' input: 'it' output: 'LR' " + args, "LR");
    assertThat(t.rank()).isZero();
    assertThat(t.dataType()).isEqualTo(DataType.FLOAT);
    return floatsOf(t)[0];
  }

  @Test
  void learningRatePoliciesFollowCaffe2() {
    try (Workspace ws = workspace()) {
      String step =
          "arg { name: 'base_lr' f: -0.1 } arg { name: 'policy' s: 'step' }"
              + " arg { name: 'stepsize' i: 1 } arg { name: 'gamma' f: 0.999 }";
      for (long it : new long[] {0, 1, 2, 500, 938}) {
        assertClose(new float[] {lr(ws, it, step)}, new double[] {-0.1f * Math.pow(0.999f, it)});
      }
      String step3 =
          "arg { name: 'base_lr' f: 0.5 } arg { name: 'policy' s: 'step' }"
              + " arg { name: 'stepsize' i: 3 } arg { name: 'gamma' f: 0.5 }";
      assertThat(lr(ws, 2, step3)).isEqualTo(0.5f);
      assertThat(lr(ws, 3, step3)).isEqualTo(0.25f);
      assertThat(lr(ws, 7, "arg { name: 'base_lr' f: 0.3 } arg { name: 'policy' s: 'fixed' }"))
          .isEqualTo(0.3f);
      assertClose(
          new float[] {
            lr(
                ws,
                10,
                "arg { name: 'base_lr' f: 0.2 }"
                    + " arg { name: 'policy' s: 'exp' } arg { name: 'gamma' f: 0.9 }")
          },
          new double[] {0.2f * Math.pow(0.9f, 10)});
      assertClose(
          new float[] {
            lr(
                ws,
                100,
                "arg { name: 'base_lr' f: 0.01 }"
                    + " arg { name: 'policy' s: 'inv' } arg { name: 'gamma' f: 0.0001 }"
                    + " arg { name: 'power' f: 0.75 }")
          },
          new double[] {0.01f * Math.pow(1 + 0.0001f * 100, -0.75f)});
      String multi =
          "arg { name: 'base_lr' f: 1.0 } arg { name: 'policy' s: 'multistep' }"
              + " arg { name: 'stepsizes' ints: 10 ints: 20 } arg { name: 'gamma' f: 0.1 }";
      assertThat(lr(ws, 9, multi)).isEqualTo(1f);
      assertClose(new float[] {lr(ws, 10, multi)}, new double[] {0.1});
      assertClose(new float[] {lr(ws, 25, multi)}, new double[] {0.01});
      assertThatThrownBy(
              () ->
                  lr(ws, 1, "arg { name: 'base_lr' f: 1 } arg { name: 'policy'" + " s: 'cosine' }"))
          .hasMessageContaining("unknown learning rate policy 'cosine'");
      assertThatThrownBy(
              () ->
                  lr(
                      ws,
                      1,
                      "arg { name: 'base_lr' f: 1 } arg { name: 'policy'"
                          + " s: 'step' } arg { name: 'gamma' f: 0.5 }"))
          .hasMessageContaining("stepsize");
      assertThatThrownBy(() -> lr(ws, 1, "arg { name: 'policy' s: 'fixed' }"))
          .hasMessageContaining("base_lr");
    }
  }

  @Test
  void weightedSumIsTheSgdUpdateInPlace() {
    Random r = new Random(1);
    float[] w = random(r, 37);
    float[] g = random(r, 37);
    float[] h = random(r, 37);
    try (Workspace ws = workspace()) {
      ws.createBlob("w").set(floats(new long[] {37}, w));
      ws.createBlob("ONE").set(floats(1f));
      ws.createBlob("g").set(floats(new long[] {37}, g));
      ws.createBlob("h").set(floats(new long[] {37}, h));
      ws.createBlob("LR").set(floats(new long[0], -0.1f));
      ws.createBlob("k").set(floats(0.25f));
      ws.runOperatorOnce(
          op(
              "type: 'WeightedSum' input: 'w' input: 'ONE' input: 'g' input: 'LR'"
                  + " input: 'h' input: 'k' output: 'w'"));
      double[] expected = new double[37];
      for (int i = 0; i < 37; i++) {
        expected[i] = w[i] - 0.1 * g[i] + 0.25 * h[i];
      }
      assertClose(floatsOf(ws.blob("w").tensor()), expected);
      ws.createBlob("odd").set(floats(1f, 2f));
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'WeightedSum' input: 'w'"
                              + " input: 'ONE' input: 'odd' input: 'LR' output: 'y'")))
          .hasMessageContaining("WeightedSum")
          .hasMessageContaining("input 2 ('odd') has shape [2], but input 0 ('w') has [37]");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op("type: 'WeightedSum' input: 'w'" + " input: 'g' output: 'y'")))
          .hasMessageContaining("must hold one element");
    }
  }

  @Test
  void momentumSgdUpdateWithAndWithoutNesterov() {
    Random r = new Random(2);
    int n = 29;
    float[] g = random(r, n);
    float[] m = random(r, n);
    float[] p = random(r, n);
    for (boolean nesterov : new boolean[] {false, true}) {
      try (Workspace ws = workspace()) {
        ws.createBlob("g").set(floats(new long[] {n}, g));
        ws.createBlob("m").set(floats(new long[] {n}, m));
        ws.createBlob("p").set(floats(new long[] {n}, p));
        ws.createBlob("lr").set(floats(0.05f));
        ws.runOperatorOnce(
            op(
                "type: 'MomentumSGDUpdate' input: 'g' input: 'm' input: 'lr'"
                    + " input: 'p' output: 'g' output: 'm' output: 'p' arg { name: 'momentum' f: 0.9 }"
                    + " arg { name: 'nesterov' i: "
                    + (nesterov ? 1 : 0)
                    + " }"));
        double[] eg = new double[n];
        double[] em = new double[n];
        double[] ep = new double[n];
        for (int i = 0; i < n; i++) {
          double mNew = 0.9 * m[i] + 0.05 * g[i];
          em[i] = mNew;
          eg[i] = nesterov ? 1.9 * mNew - 0.9 * m[i] : mNew;
          ep[i] = p[i] - eg[i];
        }
        assertClose(floatsOf(ws.blob("g").tensor()), eg);
        assertClose(floatsOf(ws.blob("m").tensor()), em);
        assertClose(floatsOf(ws.blob("p").tensor()), ep);
      }
    }
  }

  @Test
  void adamMatchesItsUpdateRule() {
    Random r = new Random(3);
    int n = 41;
    float[] p = random(r, n);
    float[] m1 = random(r, n);
    float[] m2 = new float[n];
    for (int i = 0; i < n; i++) {
      m2[i] = Math.abs((float) r.nextGaussian());
    }
    float[] g = random(r, n);
    for (int outputs : new int[] {3, 4}) {
      try (Workspace ws = workspace()) {
        ws.createBlob("p").set(floats(new long[] {n}, p));
        ws.createBlob("m1").set(floats(new long[] {n}, m1));
        ws.createBlob("m2").set(floats(new long[] {n}, m2));
        ws.createBlob("g").set(floats(new long[] {n}, g));
        ws.createBlob("lr").set(floats(new long[0], -0.001f));
        ws.createBlob("it").set(longs(4));
        ws.runOperatorOnce(
            op(
                "type: 'Adam' input: 'p' input: 'm1' input: 'm2' input: 'g'"
                    + " input: 'lr' input: 'it' output: 'p' output: 'm1' output: 'm2'"
                    + (outputs == 4 ? " output: 'eg'" : "")
                    + " arg { name: 'beta1' f: 0.8 }"));
        double b1 = 0.8;
        double b2 = 0.999;
        double corr = Math.sqrt(1 - Math.pow(b2, 5)) / (1 - Math.pow(b1, 5));
        double[] ep = new double[n];
        double[] em1 = new double[n];
        double[] em2 = new double[n];
        double[] eg = new double[n];
        for (int i = 0; i < n; i++) {
          em1[i] = b1 * m1[i] + (1 - b1) * g[i];
          em2[i] = b2 * m2[i] + (1 - b2) * g[i] * (double) g[i];
          eg[i] = corr * em1[i] / (Math.sqrt(em2[i]) + 1e-5);
          ep[i] = p[i] - 0.001 * eg[i];
        }
        assertClose(floatsOf(ws.blob("m1").tensor()), em1);
        assertClose(floatsOf(ws.blob("m2").tensor()), em2);
        assertClose(floatsOf(ws.blob("p").tensor()), ep);
        if (outputs == 4) {
          assertClose(floatsOf(ws.blob("eg").tensor()), eg);
        }
      }
    }
  }

  private static Tensor fill(String def) {
    try (Workspace ws = workspace()) {
      return runOp(ws, def, "y");
    }
  }

  @Test
  void randomFillsHaveTheirRangesMomentsAndSeeds() {
    Tensor x =
        fill(
            "type: 'XavierFill' output: 'y' arg { name: 'shape' ints: 500 ints: 800 }"
                + " arg { name: 'seed' i: 7 }");
    assertThat(x.dims()).containsExactly(500, 800);
    double bound = Math.sqrt(3.0 / 800);
    float[] xv = floatsOf(x);
    double sq = 0;
    for (float v : xv) {
      assertThat((double) Math.abs(v)).isLessThanOrEqualTo(bound);
      sq += v * (double) v;
    }
    // Uniform in [-a, a) has variance a^2 / 3 = 1 / fan_in.
    assertThat(sq / xv.length).isCloseTo(1.0 / 800, org.assertj.core.data.Offset.offset(2e-5));
    Tensor again =
        fill(
            "type: 'XavierFill' output: 'y' arg { name: 'shape' ints: 500 ints: 800 }"
                + " arg { name: 'seed' i: 7 }");
    assertThat(again.contentEquals(x)).isTrue();
    Tensor other =
        fill(
            "type: 'XavierFill' output: 'y' arg { name: 'shape' ints: 500"
                + " ints: 800 } arg { name: 'seed' i: 8 }");
    assertThat(other.contentEquals(x)).isFalse();

    float[] msra =
        floatsOf(
            fill(
                "type: 'MSRAFill' output: 'y' arg { name: 'shape' ints: 50"
                    + " ints: 20 ints: 5 ints: 5 } arg { name: 'seed' i: 1 }"));
    double var = 0;
    for (float v : msra) {
      var += v * (double) v;
    }
    // fan_out = numel / dim 1 = 50 * 25.
    assertThat(var / msra.length).isCloseTo(2.0 / 1250, org.assertj.core.data.Offset.offset(1e-4));

    float[] gauss =
        floatsOf(
            fill(
                "type: 'GaussianFill' output: 'y' arg { name: 'shape'"
                    + " ints: 20000 } arg { name: 'mean' f: 3 } arg { name: 'std' f: 0.5 }"
                    + " arg { name: 'seed' i: 2 }"));
    double mean = 0;
    for (float v : gauss) {
      mean += v;
    }
    assertThat(mean / gauss.length).isCloseTo(3.0, org.assertj.core.data.Offset.offset(0.02));

    float[] uni =
        floatsOf(
            fill(
                "type: 'UniformFill' output: 'y' arg { name: 'shape' ints: 1000"
                    + " } arg { name: 'min' f: -2 } arg { name: 'max' f: 5 } arg { name: 'seed' i: 3 }"));
    for (float v : uni) {
      assertThat(v).isBetween(-2f, 5f).isNotEqualTo(5f);
    }
    // Seeded by the device option when there is no seed argument.
    Tensor a =
        fill(
            "type: 'UniformFill' output: 'y' arg { name: 'shape' ints: 8 }"
                + " device_option { random_seed: 11 }");
    Tensor b =
        fill(
            "type: 'UniformFill' output: 'y' arg { name: 'shape' ints: 8 }"
                + " device_option { random_seed: 11 }");
    assertThat(a.contentEquals(b)).isTrue();
    assertThatThrownBy(
            () ->
                fill(
                    "type: 'UniformFill' output: 'y' arg { name: 'shape' ints: 1 }"
                        + " arg { name: 'min' f: 2 } arg { name: 'max' f: 1 }"))
        .hasMessageContaining("must be bigger than min");
    assertThatThrownBy(() -> fill("type: 'MSRAFill' output: 'y' arg { name: 'shape' ints: 4 }"))
        .hasMessageContaining("MSRAFill needs at least 2 dims");
  }
}
