package dev.cortado.tensor;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Builds one batch from B serialized TensorProtos records: record i is decoded by the streaming
 * decoder straight into slot i of fresh batch tensors of shape {@code [B] + record shape}. The
 * first record fixes each output's type and shape, as in Caffe2's TensorProtosDBInput; a later
 * record that differs is an error naming its key and both values.
 *
 * <p>For the allocation-free, multi-threaded form (pooled batch buffers, one decoder per worker)
 * use {@link BatchLayout} and {@link BatchTarget} directly.
 */
public final class BatchAssembler {
  private BatchAssembler() {}

  /**
   * Decodes {@code values} (their keys in {@code keys}, same order) into {@code numOutputs} batch
   * tensors.
   */
  public static List<Tensor> assemble(List<ByteBuffer> values, List<String> keys, int numOutputs) {
    if (values.isEmpty()) {
      throw new IllegalArgumentException("a batch needs at least one record");
    }
    if (keys.size() != values.size()) {
      throw new IllegalArgumentException(keys.size() + " keys for " + values.size() + " values");
    }
    TensorProtosDecoder decoder = new TensorProtosDecoder();
    decoder.parse(values.get(0), keys.get(0));
    BatchLayout layout = BatchLayout.of(decoder, numOutputs);
    BatchTarget target = BatchTarget.of(layout, layout.allocateBatch(values.size()));
    layout.copyInto(decoder, target, 0);
    for (int i = 1; i < values.size(); i++) {
      layout.decodeInto(decoder, values.get(i), keys.get(i), target, i);
    }
    return target.tensors();
  }
}
