package dev.cortado.cpu.nn;

import dev.cortado.operator.OperatorContext;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Shapes;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;

/** Input checks and float copies shared by the compute operators. */
final class NnTensors {
  private NnTensors() {}

  /** Input {@code i} as a float32 tensor; an error naming the operator and the input otherwise. */
  static Tensor floatInput(OperatorContext ctx, int i) {
    Tensor t = ctx.input(i, Tensor.class);
    if (t.dataType() != DataType.FLOAT) {
      throw ctx.error("input " + i + " ('" + ctx.inputName(i) + "') must be float32, found " + t);
    }
    return t;
  }

  /** Input {@code i} as an int32 tensor (Caffe2's label type). */
  static Tensor intInput(OperatorContext ctx, int i) {
    Tensor t = ctx.input(i, Tensor.class);
    if (t.dataType() != DataType.INT32) {
      throw ctx.error("input " + i + " ('" + ctx.inputName(i) + "') must be int32, found " + t);
    }
    return t;
  }

  static float[] floats(Tensor t) {
    float[] out = new float[Math.toIntExact(t.numel())];
    t.data().asFloatBuffer().get(out);
    return out;
  }

  static int[] ints(Tensor t) {
    int[] out = new int[Math.toIntExact(t.numel())];
    t.data().asIntBuffer().get(out);
    return out;
  }

  /**
   * A float32 output of these dims holding {@code values}, reusing the blob's tensor if it fits.
   */
  static Tensor setFloats(OperatorContext ctx, int i, long[] dims, float[] values) {
    Tensor out = output(ctx, i, DataType.FLOAT, dims);
    out.data().asFloatBuffer().put(values, 0, Math.toIntExact(out.numel()));
    ctx.output(i).set(out);
    return out;
  }

  /** The output blob's tensor when it has this type and these dims, else a new one. */
  static Tensor output(OperatorContext ctx, int i, DataType type, long[] dims) {
    Object current = ctx.output(i).get();
    if (current instanceof Tensor t && t.dataType() == type && Arrays.equals(t.dims(), dims)) {
      return t;
    }
    return Tensor.allocate(type, dims);
  }

  /** The product of dims [from, to). */
  static long sizeBetween(long[] dims, int from, int to) {
    long n = 1;
    for (int i = from; i < to; i++) {
      n *= dims[i];
    }
    return n;
  }

  /** Caffe2's canonical axis: a negative axis counts from the end; out of range is an error. */
  static int canonicalAxis(OperatorContext ctx, String arg, int axis, int rank) {
    int a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) {
      throw ctx.error(arg + " " + axis + " is out of range for a tensor of rank " + rank);
    }
    return a;
  }

  static String dims(long[] d) {
    return Shapes.toString(d);
  }
}
