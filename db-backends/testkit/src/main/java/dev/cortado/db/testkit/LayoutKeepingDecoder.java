package dev.cortado.db.testkit;

import dev.cortado.db.Keys;
import dev.cortado.tensor.BatchLayout;
import dev.cortado.tensor.BatchTarget;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorProtosDecoder;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Decodes batches the way TensorProtosDBInput does across a whole run: the first record read fixes
 * every output's type and shape, and each later record, in any batch, is checked against it. The
 * bad-inputs vectors need this: with batch size 1, a record whose shape differs is only caught
 * against the first record of an earlier batch.
 */
final class LayoutKeepingDecoder {
  private final int numOutputs;
  private final TensorProtosDecoder decoder = new TensorProtosDecoder();
  private BatchLayout layout;

  LayoutKeepingDecoder(int numOutputs) {
    this.numOutputs = numOutputs;
  }

  List<Tensor> decode(List<byte[]> keys, List<ByteBuffer> values) {
    if (layout == null) {
      decoder.parse(values.get(0), Keys.text(keys.get(0)));
      layout = BatchLayout.of(decoder, numOutputs);
    }
    BatchTarget target = BatchTarget.of(layout, layout.allocateBatch(values.size()));
    for (int i = 0; i < values.size(); i++) {
      layout.decodeInto(decoder, values.get(i), Keys.text(keys.get(i)), target, i);
    }
    return target.tensors();
  }
}
