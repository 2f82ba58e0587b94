package dev.cortado.prefetch;

import dev.cortado.memory.CacheLinePad;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A reusable batch slot of a {@link PrefetchOperator}, with a reference count that says when the
 * producer may fill it again.
 *
 * <p>A batch given to {@link PrefetchOperator#copyPrefetched} holds one reference, dropped by the
 * next run. A consumer that needs the batch longer (the CUDA input, until its asynchronous copy
 * completes) calls {@link #retain()} before that and {@link #release()} when done, from any thread.
 * The producer waits for a slot that is still referenced rather than allocating another.
 *
 * <p>The count lives on cache lines of its own, and the producer reads it only for a slot that has
 * been retained at least once: a slot that never was is free once the consumer's next run has
 * dropped it, which the producer already knows from the number of runs. A hand-off then moves no
 * line of the slot between the two threads, only the prefetcher's two counters.
 */
public abstract class PrefetchBatch {
  private static final VarHandle COUNT;

  static {
    try {
      COUNT = MethodHandles.lookup().findVarHandle(RefsFields.class, "count", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Refs refs = new Refs();

  /** Set before the first {@link #retain()}'s increment, and never cleared. */
  private volatile boolean retainedOnce;

  /** Keeps this batch from being refilled until the matching {@link #release()}. */
  public final void retain() {
    if (!retainedOnce) {
      // Before the increment: a release that sees the increment makes this visible to the
      // producer through the run that follows it.
      retainedOnce = true;
    }
    int before = (int) COUNT.getAndAdd(refs, 1);
    if (before <= 0) {
      COUNT.getAndAdd(refs, -1);
      throw new IllegalStateException(
          "retain() on a batch that is not held by the consumer (references " + before + ")");
    }
  }

  /** Drops one reference; at zero the producer may refill the slot. Thread-safe. */
  public final void release() {
    int after = (int) COUNT.getAndAdd(refs, -1) - 1;
    if (after < 0) {
      COUNT.getAndAdd(refs, 1);
      throw new IllegalStateException("release() without a matching take() or retain()");
    }
    if (after == 0) {
      Runnable r = refs.onFree;
      if (r != null) {
        r.run();
      }
    }
  }

  /** Current references; 0 when the producer may refill it. */
  public final int references() {
    return refs.count;
  }

  /**
   * Free for the producer, asked only about a slot whose batch the consumer has dropped: no
   * reference is left, or none was ever retained (the consumer's own then went with its run).
   */
  final boolean isFree() {
    return !retainedOnce || refs.count == 0;
  }

  final void handOver(Runnable wakeProducer) {
    if (refs.onFree != wakeProducer) {
      // One prefetcher passes the same callback every time: skip the fenced write.
      refs.onFree = wakeProducer;
    }
    refs.count = 1;
  }

  /** What the consumer writes at each take and release. */
  private static class RefsFields extends CacheLinePad {
    volatile int count;
    volatile Runnable onFree;
  }

  @SuppressWarnings("unused")
  private static final class Refs extends RefsFields {
    long q0, q1, q2, q3, q4, q5, q6, q7;
  }
}
