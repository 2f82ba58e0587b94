package dev.cortado.tensor;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * The batch tensors one batch is decoded into (fresh, or {@link Tensor#wrap wrapped} over pooled
 * buffers), checked once against a {@link BatchLayout} so that per-record decoding needs no checks
 * and no allocation.
 */
public final class BatchTarget {
  private final BatchLayout layout;
  private final int batchSize;
  private final List<Tensor> tensors;
  private final ByteBuffer[] storage;
  private final byte[][][] strings;

  private BatchTarget(BatchLayout layout, int batchSize, List<Tensor> tensors) {
    this.layout = layout;
    this.batchSize = batchSize;
    this.tensors = tensors;
    int n = tensors.size();
    this.storage = new ByteBuffer[n];
    this.strings = new byte[n][][];
    for (int i = 0; i < n; i++) {
      Tensor t = tensors.get(i);
      if (t.dataType() == DataType.STRING) {
        strings[i] = t.strings();
      } else {
        storage[i] = t.data();
      }
    }
  }

  /**
   * Wraps {@code batch}: one tensor per output of {@code layout}, each of that output's type and
   * shape {@code [B] + record shape} with one B for all.
   */
  public static BatchTarget of(BatchLayout layout, List<Tensor> batch) {
    if (batch.size() != layout.numOutputs()) {
      throw new IllegalArgumentException(
          batch.size() + " batch tensors for " + layout.numOutputs() + " outputs");
    }
    if (batch.isEmpty()) {
      throw new IllegalArgumentException("a batch needs at least one output");
    }
    Tensor first = batch.get(0);
    if (first.rank() == 0 || first.dim(0) > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("output 0 tensor " + first + " has no batch dimension");
    }
    int b = (int) first.dim(0);
    for (int i = 0; i < batch.size(); i++) {
      Tensor t = batch.get(i);
      long[] expected = layout.batchDims(i, b);
      if (t.dataType() != layout.dataType(i) || !Arrays.equals(t.dims(), expected)) {
        throw new IllegalArgumentException(
            "output "
                + i
                + " tensor is "
                + t.dataType()
                + " "
                + Shapes.toString(t.dims())
                + ", the layout needs "
                + layout.dataType(i)
                + " "
                + Shapes.toString(expected));
      }
    }
    return new BatchTarget(layout, b, List.copyOf(batch));
  }

  public BatchLayout layout() {
    return layout;
  }

  public int batchSize() {
    return batchSize;
  }

  /** The batch tensors, one per output. */
  public List<Tensor> tensors() {
    return tensors;
  }

  ByteBuffer storage(int output) {
    return storage[output];
  }

  byte[][] strings(int output) {
    return strings[output];
  }
}
