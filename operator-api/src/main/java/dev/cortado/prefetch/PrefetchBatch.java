package dev.cortado.prefetch;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A reusable batch slot of a {@link PrefetchOperator}, with a reference count that says when the
 * producer may fill it again.
 *
 * <p>A batch given to {@link PrefetchOperator#copyPrefetched} holds one reference, dropped by the
 * next run. A consumer that needs the batch longer (the CUDA input, until its asynchronous copy
 * completes) calls {@link #retain()} before that and {@link #release()} when done, from any thread.
 * The producer waits for a slot that is still referenced rather than allocating another.
 */
public abstract class PrefetchBatch {
  private final AtomicInteger refs = new AtomicInteger();
  private volatile Runnable onFree;

  /** Keeps this batch from being refilled until the matching {@link #release()}. */
  public final void retain() {
    int before = refs.getAndIncrement();
    if (before <= 0) {
      refs.getAndDecrement();
      throw new IllegalStateException(
          "retain() on a batch that is not held by the consumer (references " + before + ")");
    }
  }

  /** Drops one reference; at zero the producer may refill the slot. Thread-safe. */
  public final void release() {
    int after = refs.decrementAndGet();
    if (after < 0) {
      refs.incrementAndGet();
      throw new IllegalStateException("release() without a matching take() or retain()");
    }
    if (after == 0) {
      Runnable r = onFree;
      if (r != null) {
        r.run();
      }
    }
  }

  /** Current references; 0 when the producer may refill it. */
  public final int references() {
    return refs.get();
  }

  final boolean isFree() {
    return refs.get() == 0;
  }

  final void handOver(Runnable wakeProducer) {
    if (onFree != wakeProducer) {
      // One prefetcher passes the same callback every time: skip the fenced write.
      onFree = wakeProducer;
    }
    refs.set(1);
  }
}
