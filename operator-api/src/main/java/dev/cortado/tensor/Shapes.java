package dev.cortado.tensor;

/** Shape arithmetic shared by the codec, the batcher and the operators. */
public final class Shapes {
  /**
   * The most elements one record's tensor may declare (2^31 - 1). Checked before any allocation so
   * a lying header gives an error, never an {@link OutOfMemoryError}.
   */
  public static final long MAX_ELEMENTS = Integer.MAX_VALUE;

  private Shapes() {}

  /** Product of the dims; throws for a negative dim or a product past {@link #MAX_ELEMENTS}. */
  public static long numel(long[] dims) {
    // A 0 anywhere makes the tensor empty, whatever the other dims say, so look for one first:
    // the bound below must not depend on the order of the dims.
    boolean empty = false;
    for (long d : dims) {
      if (d < 0) {
        throw new DecodeException("negative dim " + d + " in shape " + toString(dims));
      }
      empty |= d == 0;
    }
    if (empty) {
      return 0;
    }
    long n = 1;
    for (long d : dims) {
      if (n > MAX_ELEMENTS / d) {
        throw new DecodeException(
            "shape " + toString(dims) + " declares more than " + MAX_ELEMENTS + " elements");
      }
      n *= d;
    }
    return n;
  }

  /** {@code [2,3]} style, as used in every message. */
  public static String toString(long[] dims) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < dims.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(dims[i]);
    }
    return sb.append(']').toString();
  }

  /** {@code [batch] + dims}. */
  public static long[] prepend(long batch, long[] dims) {
    long[] out = new long[dims.length + 1];
    out[0] = batch;
    System.arraycopy(dims, 0, out, 1, dims.length);
    return out;
  }
}
