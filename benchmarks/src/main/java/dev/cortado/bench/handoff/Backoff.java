package dev.cortado.bench.handoff;

/**
 * How a waiting thread passes time before it parks: a few hundred spin-wait hints (a hand-off
 * between two busy cores costs well under a microsecond this way), then {@link Thread#yield()}
 * until a time budget is spent (so a waiter never starves the thread it waits for when cores are
 * oversubscribed), then the caller parks. One instance per waiting thread; allocation-free.
 */
final class Backoff {
  private static final int SPINS = Integer.getInteger("cortado.prefetch.spins", 256);

  private int spins;
  private long start;
  private long budget;

  /** Starts a new wait that may poll for {@code budgetNanos} before parking. */
  void reset(long budgetNanos) {
    spins = 0;
    start = 0;
    budget = budgetNanos;
  }

  /** Passes a little time; false once the budget is spent and the caller should park. */
  boolean pause() {
    if (spins < SPINS) {
      spins++;
      Thread.onSpinWait();
      return true;
    }
    long now = System.nanoTime();
    if (start == 0) {
      start = now;
    }
    if (now - start < budget) {
      Thread.yield();
      return true;
    }
    return false;
  }
}
