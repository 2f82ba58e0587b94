package dev.cortado.cuda;

import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;

/** CPU tensor helpers for the copy operators: output reuse and plain copies. */
final class HostTensors {
  private HostTensors() {}

  /**
   * {@code current} if it is a fixed-size CPU tensor of this type and shape (reused, as Caffe2
   * reuses an output of the same size), else a new one.
   */
  static Tensor reuseOrAllocate(Object current, DataType type, long[] dims) {
    if (current instanceof Tensor t
        && t.dataType() == type
        && type.isFixedSize()
        && Arrays.equals(t.dims(), dims)) {
      return t;
    }
    return Tensor.allocate(type, dims);
  }

  /** A copy of {@code src} into {@code current}'s storage when it fits, else into a new tensor. */
  static Tensor copy(Tensor src, Object current) {
    if (src.dataType() == DataType.STRING) {
      byte[][] strings = src.strings();
      return Tensor.ofStrings(src.dims(), Arrays.copyOf(strings, strings.length));
    }
    Tensor dst = reuseOrAllocate(current, src.dataType(), src.dims());
    if (dst != src) {
      dst.data().put(src.data());
    }
    return dst;
  }
}
