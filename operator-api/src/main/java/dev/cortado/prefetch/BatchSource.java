package dev.cortado.prefetch;

/**
 * The producer side of a {@link Prefetcher}: makes batch slots and fills them. {@link #fill} runs
 * on the producer thread, or on the consumer's thread (with {@code no_prefetch}, or when the
 * consumer takes over a batch the producer has not started), but never concurrently with itself,
 * and each call sees everything the previous one wrote.
 *
 * @param <B> the batch type: a reusable slot of buffers
 */
public interface BatchSource<B> {
  /** A new empty slot; called at most {@code prefetch_depth + 1} times, lazily. */
  B newBatch();

  /**
   * Fills {@code batch} with the next batch. An exception stops the producer; the consumer gets it
   * as the cause of a {@link PrefetchException} once the batches before it are taken.
   */
  void fill(B batch) throws Exception;

  /**
   * What a fill in progress has consumed so far, for the message when a stuck producer cannot be
   * stopped: for example {@code "37 of 64 records read from minidb '/data/x.minidb'"}. Called from
   * another thread, so it reads only volatile or final state.
   */
  default String describeInFlight() {
    return "";
  }
}
