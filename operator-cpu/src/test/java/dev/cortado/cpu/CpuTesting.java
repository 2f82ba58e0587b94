package dev.cortado.cpu;

import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.proto.PlanDef;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/** Shared helpers: one runtime for all tests (plugins from the class path), defs from text. */
final class CpuTesting {
  static final CortadoRuntime RUNTIME = CortadoRuntime.create();

  private CpuTesting() {}

  static Workspace workspace() {
    return RUNTIME.newWorkspace();
  }

  static Workspace workspace(Path root) {
    return RUNTIME.newWorkspace(root);
  }

  static OperatorDef op(String text) {
    return parse(text, OperatorDef.newBuilder());
  }

  static NetDef net(String text) {
    return parse(text, NetDef.newBuilder());
  }

  static PlanDef plan(String text) {
    return parse(text, PlanDef.newBuilder());
  }

  @SuppressWarnings("unchecked")
  static <T extends Message> T parse(String text, Message.Builder b) {
    try {
      TextFormat.merge(text, b);
    } catch (TextFormat.ParseException e) {
      throw new IllegalArgumentException(e);
    }
    return (T) b.build();
  }

  static Tensor floats(long[] dims, float... v) {
    Tensor t = Tensor.allocate(DataType.FLOAT, dims);
    t.data().asFloatBuffer().put(v);
    return t;
  }

  static Tensor floats(float... v) {
    return floats(new long[] {v.length}, v);
  }

  static Tensor doubles(double... v) {
    Tensor t = Tensor.allocate(DataType.DOUBLE, v.length);
    t.data().asDoubleBuffer().put(v);
    return t;
  }

  static Tensor ints(int... v) {
    Tensor t = Tensor.allocate(DataType.INT32, v.length);
    t.data().asIntBuffer().put(v);
    return t;
  }

  static Tensor longs(long... v) {
    Tensor t = Tensor.allocate(DataType.INT64, v.length);
    t.data().asLongBuffer().put(v);
    return t;
  }

  static Tensor bytes(DataType type, int... v) {
    Tensor t = Tensor.allocate(type, v.length);
    for (int i = 0; i < v.length; i++) {
      t.data().put(i, (byte) v[i]);
    }
    return t;
  }

  static Tensor shorts(DataType type, int... v) {
    Tensor t = Tensor.allocate(type, v.length);
    for (int i = 0; i < v.length; i++) {
      t.data().putShort(i * 2, (short) v[i]);
    }
    return t;
  }

  static float[] floatsOf(Tensor t) {
    float[] out = new float[(int) t.numel()];
    t.data().asFloatBuffer().get(out);
    return out;
  }

  static double[] doublesOf(Tensor t) {
    double[] out = new double[(int) t.numel()];
    t.data().asDoubleBuffer().get(out);
    return out;
  }

  static int[] intsOf(Tensor t) {
    int[] out = new int[(int) t.numel()];
    t.data().asIntBuffer().get(out);
    return out;
  }

  static long[] longsOf(Tensor t) {
    long[] out = new long[(int) t.numel()];
    t.data().asLongBuffer().get(out);
    return out;
  }

  static int[] bytesOf(Tensor t, boolean unsigned) {
    ByteBuffer b = t.data();
    int[] out = new int[(int) t.numel()];
    for (int i = 0; i < out.length; i++) {
      out[i] = unsigned ? b.get(i) & 0xFF : b.get(i);
    }
    return out;
  }

  static int[] shortsOf(Tensor t, boolean unsigned) {
    ByteBuffer b = t.data();
    int[] out = new int[(int) t.numel()];
    for (int i = 0; i < out.length; i++) {
      out[i] = unsigned ? b.getShort(i * 2) & 0xFFFF : b.getShort(i * 2);
    }
    return out;
  }

  /** Runs one operator in {@code ws} and returns the tensor in blob {@code out}. */
  static Tensor runOp(Workspace ws, String def, String out) {
    ws.runOperatorOnce(op(def));
    return ws.blob(out).tensor();
  }
}
