package dev.cortado.cpu.nn;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.TextFormat;
import dev.cortado.proto.OperatorDef;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Helpers for the compute operator tests: blobs in, one operator run, float arrays out. */
final class NnTesting {
  static final CortadoRuntime RUNTIME = CortadoRuntime.create();

  private NnTesting() {}

  static Workspace workspace() {
    return RUNTIME.newWorkspace();
  }

  static OperatorDef op(String text) {
    OperatorDef.Builder b = OperatorDef.newBuilder();
    try {
      TextFormat.merge(text, b);
    } catch (TextFormat.ParseException e) {
      throw new IllegalArgumentException(e);
    }
    return b.build();
  }

  static Tensor floats(long[] dims, float[] v) {
    Tensor t = Tensor.allocate(DataType.FLOAT, dims);
    t.data().asFloatBuffer().put(v);
    return t;
  }

  static Tensor ints(long[] dims, int[] v) {
    Tensor t = Tensor.allocate(DataType.INT32, dims);
    t.data().asIntBuffer().put(v);
    return t;
  }

  static float[] floatsOf(Tensor t) {
    assertThat(t.dataType()).isEqualTo(DataType.FLOAT);
    float[] out = new float[(int) t.numel()];
    t.data().asFloatBuffer().get(out);
    return out;
  }

  static float[] random(SplittableRandom r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextDouble(-1, 1);
    }
    return v;
  }

  static int numel(long[] dims) {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    return Math.toIntExact(n);
  }

  /** Sets a float blob of these dims filled with random values in [-1, 1); returns the values. */
  static float[] put(Workspace ws, String name, SplittableRandom r, long... dims) {
    float[] v = random(r, numel(dims));
    ws.createBlob(name).set(floats(dims, v));
    return v;
  }

  static Tensor tensor(Workspace ws, String name) {
    return ws.blob(name).tensor();
  }

  /**
   * Every element within a relative 1e-5 of the reference; "relative" to the element, or to the
   * reference's root mean square where the element itself is near zero (float sums cancel there).
   */
  static void assertClose(String what, float[] actual, double[] expected) {
    assertThat(actual).as(what + " length").hasSize(expected.length);
    double rms = 0;
    for (double e : expected) {
      rms += e * e;
    }
    rms = Math.sqrt(rms / Math.max(1, expected.length));
    for (int i = 0; i < expected.length; i++) {
      double tol = 1e-5 * Math.max(Math.abs(expected[i]), rms);
      if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
        throw new AssertionError(
            what
                + "["
                + i
                + "] = "
                + actual[i]
                + ", reference "
                + expected[i]
                + " (tolerance "
                + tol
                + ")");
      }
    }
  }

  static double[] toDouble(float[] v) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i];
    }
    return out;
  }

  static String dims(long... d) {
    return Arrays.toString(d);
  }
}
