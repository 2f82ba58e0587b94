package dev.cortado.prefetch.internal;

import org.openjdk.jcstress.infra.results.JJJ_Result;

/**
 * The batch source of the stress tests: batch i holds i, written with plain stores, so a take that
 * sees it proves the hand-off publishes the producer's writes. Fills fail from {@code failAt} on.
 */
final class Numbered implements Prefetcher.Source<Numbered.Slot> {
  static final class Slot {
    long value = -1;
    long twice = -1;
  }

  static final RuntimeException FAILURE = new IllegalStateException("bad record");

  private final long failAt;

  /** Fills started, including a failed one; read by the arbiter after every actor ended. */
  int fills;

  Numbered(long failAt) {
    this.failAt = failAt;
  }

  @Override
  public Slot newBatch() {
    return new Slot();
  }

  @Override
  public void fill(Slot batch) {
    long i = fills++;
    if (i >= failAt) {
      throw FAILURE;
    }
    batch.value = i;
    batch.twice = 2 * i;
  }

  @Override
  public String describeInFlight() {
    return "";
  }

  @Override
  public boolean isFree(Slot batch) {
    return true;
  }

  @Override
  public void handOver(Slot batch, Runnable onFree) {}

  @Override
  public void release(Slot batch) {}

  /** A prefetcher whose producer loop an actor runs. */
  static Prefetcher<Slot> prefetcher(Numbered source, int depth) {
    return new Prefetcher<>("stress", source, depth, 0, false);
  }

  /**
   * A prefetcher whose consumer counts as quick however long it takes between takes: it is paced
   * (reads its own batches) from its third take on.
   */
  static Prefetcher<Slot> pacedPrefetcher(Numbered source, int depth) {
    return new Prefetcher<>("stress", source, depth, 0, false, Long.MAX_VALUE);
  }

  /**
   * Takes {@code n} batches, then closes: {@code r1} counts the batches out of order (or torn or
   * failed), {@code r2} is the last value taken.
   */
  static void takeInOrderThenClose(Prefetcher<Slot> p, int n, JJJ_Result r) {
    long outOfOrder = 0;
    long last = -1;
    for (int i = 0; i < n; i++) {
      last = take(p);
      outOfOrder += last == i ? 0 : 1;
    }
    r.r1 = outOfOrder;
    r.r2 = last;
    p.close();
  }

  /** The batch's value, checking that its two fields agree; -1 when the take failed. */
  static long take(Prefetcher<Slot> p) {
    try {
      Slot s = p.take();
      return s.twice == 2 * s.value ? s.value : -100 - s.value;
    } catch (RuntimeException e) {
      return e.getCause() == FAILURE ? -2 : -1;
    }
  }
}
