package dev.cortado.cpu.input;

import java.util.Locale;

/**
 * What {@code TensorProtosDBInput} does when an epoch (one cycle of the reader's shard) ends in the
 * middle of a batch.
 */
enum LastBatch {
  /** Caffe2: carry on into the next epoch, so a batch may straddle the wrap. */
  WRAP,
  /** Drop the partial batch; the next batch starts the new epoch. */
  DROP,
  /**
   * Complete the batch by repeating the epoch's last record; the next batch starts the new epoch.
   */
  PAD;

  String argValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  static LastBatch parse(String value) {
    for (LastBatch b : values()) {
      if (b.argValue().equals(value)) {
        return b;
      }
    }
    return null;
  }
}
