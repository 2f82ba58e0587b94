package dev.cortado.bench.handoff;

import dev.cortado.prefetch.internal.Prefetcher.Source;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The floor of a depth-1 hand-off: two counters, each written by one side on a cache line of its
 * own, and both sides spinning on the other's counter without bound. It has no failure, close or
 * parking protocol (a side that waits burns its core), so it is no candidate for shipping: it shows
 * what a shipped hand-off costs above the round trip between the cores itself. Benchmark only.
 *
 * @param <B> the batch slot type
 */
public final class SpinPair<B> implements AutoCloseable {
  /** Indices into {@link #counters}, 128 bytes apart and away from the array's header. */
  private static final int PRODUCED = 16;

  private static final int TAKEN = 32;

  private final AtomicLongArray counters = new AtomicLongArray(48);
  private final Object[] slots = new Object[2];
  private final Thread producer;
  private volatile boolean closed;
  private long next;

  public SpinPair(String owner, Source<B> source) {
    slots[0] = source.newBatch();
    slots[1] = source.newBatch();
    producer =
        new Thread(
            () -> {
              try {
                for (long p = 0; ; p++) {
                  while (p - counters.get(TAKEN) >= 1) {
                    if (closed) {
                      return;
                    }
                    Thread.onSpinWait();
                  }
                  source.fill(slot(p));
                  counters.set(PRODUCED, p + 1);
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            },
            "spin-pair " + owner);
    producer.setDaemon(true);
    producer.start();
  }

  @SuppressWarnings("unchecked")
  private B slot(long index) {
    return (B) slots[(int) (index & 1)];
  }

  /** The next batch; fails if the producer thread died. */
  public B take() {
    long t = next;
    for (int i = 1; counters.get(PRODUCED) <= t; i++) {
      if ((i & 1023) == 0 && !producer.isAlive()) {
        throw new IllegalStateException("the producer thread died");
      }
      Thread.onSpinWait();
    }
    counters.set(TAKEN, t + 1);
    next = t + 1;
    return slot(t);
  }

  @Override
  public void close() throws InterruptedException {
    closed = true;
    TimeUnit.SECONDS.timedJoin(producer, 5);
  }
}
