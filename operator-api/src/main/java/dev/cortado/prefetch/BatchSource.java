package dev.cortado.prefetch;

import dev.cortado.prefetch.internal.Prefetcher;

/**
 * A {@link Prefetcher.Source} of {@link PrefetchBatch} slots: the slot's reference count says when
 * the producer may refill it.
 */
abstract class BatchSource<B extends PrefetchBatch> implements Prefetcher.Source<B> {
  @Override
  public String describeInFlight() {
    return "";
  }

  @Override
  public final boolean isFree(B batch) {
    return batch.isFree();
  }

  @Override
  public final void handOver(B batch, Runnable onFree) {
    batch.handOver(onFree);
  }

  @Override
  public final void release(B batch) {
    batch.release();
  }
}
