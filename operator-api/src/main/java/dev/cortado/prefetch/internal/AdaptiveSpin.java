package dev.cortado.prefetch.internal;

import java.util.function.BooleanSupplier;

/**
 * How one side of the hand-off waits before it parks: it polls for up to a bound, unless its recent
 * polls failed. A hand-off between two threads that are both on a core then costs no wake-up (a
 * parked thread takes tens of microseconds to wake on a virtual machine, as long as a small batch
 * takes to read), while a side whose partner is slow (a long training step, a busy machine that has
 * descheduled it) stops burning a core: each failed poll doubles the number of waits that park at
 * once (up to {@value #MAX_SKIP}), and a poll that succeeds resets it.
 *
 * <p>Owned by one thread; not thread-safe.
 */
final class AdaptiveSpin {
  /** The most waits that park without polling after a run of failed polls. */
  static final int MAX_SKIP = 64;

  private final long boundNanos;
  private int skip;
  private int penalty;
  private long polls;
  private long failedPolls;

  /**
   * @param boundNanos how long one poll may last; 0 never polls
   */
  AdaptiveSpin(long boundNanos) {
    this.boundNanos = boundNanos;
  }

  /** Polls {@code done} unless recent polls failed; true when it became true. */
  boolean await(BooleanSupplier done) {
    if (done.getAsBoolean()) {
      return true;
    }
    if (boundNanos <= 0) {
      return false;
    }
    if (skip > 0) {
      skip--;
      return false;
    }
    polls++;
    long deadline = System.nanoTime() + boundNanos;
    int i = 0;
    while (!done.getAsBoolean()) {
      Thread.onSpinWait();
      if ((++i & 63) == 0 && System.nanoTime() - deadline > 0) {
        failedPolls++;
        penalty = penalty == 0 ? 1 : Math.min(2 * penalty, MAX_SKIP);
        skip = penalty;
        return false;
      }
    }
    penalty = 0;
    return true;
  }

  /** Polls made so far. */
  long polls() {
    return polls;
  }

  /** Polls that timed out and parked. */
  long failedPolls() {
    return failedPolls;
  }
}
