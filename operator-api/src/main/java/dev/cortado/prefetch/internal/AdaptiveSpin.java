package dev.cortado.prefetch.internal;

import dev.cortado.memory.CacheLinePad;
import java.util.function.BooleanSupplier;

/**
 * How one side of the hand-off waits before it parks: it polls for up to a bound, unless its recent
 * polls failed. A hand-off between two threads that are both on a core then costs no wake-up (a
 * parked thread takes tens of microseconds to wake on a virtual machine, as long as a small batch
 * takes to read), while a side whose partner is slow (a long training step, a busy machine that has
 * descheduled it) stops burning a core: each failed poll doubles the number of waits that park at
 * once (up to {@value #MAX_SKIP}), and a poll that succeeds resets it, as does a park that the
 * partner ended within the bound ({@link #wokeAfter}).
 *
 * <p>A caller that knows how long its partner's work takes (the consumer waiting for a batch being
 * filled) passes it, and the poll lasts up to twice that, between the bound and {@value
 * #MAX_STRETCH} times the bound: a batch that takes longer to fill than the bound would otherwise
 * make every poll fail and every hand-off cost a wake-up.
 *
 * <p>Owned by one thread; not thread-safe.
 */
final class AdaptiveSpin {
  /** The most waits that park without polling after a run of failed polls. */
  static final int MAX_SKIP = 64;

  /** The longest poll, as a multiple of the bound. */
  static final int MAX_STRETCH = 10;

  private final long boundNanos;

  /**
   * The counters, written at every poll, on cache lines of their own: the other side reads the
   * objects allocated beside this one at every batch.
   */
  private final State s = new State();

  /**
   * @param boundNanos how long one poll may last; 0 never polls
   */
  AdaptiveSpin(long boundNanos) {
    this.boundNanos = boundNanos;
  }

  /** Polls {@code done} unless recent polls failed; true when it became true. */
  boolean await(BooleanSupplier done) {
    return await(done, 0);
  }

  /**
   * As {@link #await(BooleanSupplier)}, for a partner whose work takes about {@code expectedNanos}:
   * the poll may last up to twice that (see the class comment).
   */
  boolean await(BooleanSupplier done, long expectedNanos) {
    if (done.getAsBoolean()) {
      return true;
    }
    if (boundNanos <= 0) {
      return false;
    }
    if (s.skip > 0) {
      s.skip--;
      return false;
    }
    s.polls++;
    long bound = Math.max(boundNanos, Math.min(2 * expectedNanos, MAX_STRETCH * boundNanos));
    long deadline = System.nanoTime() + bound;
    int i = 0;
    while (!done.getAsBoolean()) {
      Thread.onSpinWait();
      if ((++i & 63) == 0 && System.nanoTime() - deadline > 0) {
        s.failedPolls++;
        s.penalty = s.penalty == 0 ? 1 : Math.min(2 * s.penalty, MAX_SKIP);
        s.skip = s.penalty;
        return false;
      }
    }
    s.penalty = 0;
    return true;
  }

  /**
   * The caller parked (after a skipped or failed poll) for {@code nanos}. A partner that woke it
   * within the bound is back at full speed, as a training loop is after a pause for evaluation:
   * polling resumes at once rather than after the waits its slow spell made this side skip, each of
   * which would cost a wake-up.
   */
  void wokeAfter(long nanos) {
    if (nanos < boundNanos) {
      s.skip = 0;
      s.penalty = 0;
    }
  }

  /** Polls made so far. */
  long polls() {
    return s.polls;
  }

  /** Polls that timed out and parked. */
  long failedPolls() {
    return s.failedPolls;
  }

  private static class Fields extends CacheLinePad {
    int skip;
    int penalty;
    long polls;
    long failedPolls;
  }

  @SuppressWarnings("unused")
  private static final class State extends Fields {
    long q0, q1, q2, q3, q4, q5, q6, q7;
  }
}
