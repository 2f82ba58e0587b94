package dev.cortado.prefetch.internal;

import java.util.function.BooleanSupplier;

/**
 * How a side of the hand-off polls before it blocks: a few hundred spin-wait hints (a hand-off
 * between two busy cores then costs well under a microsecond), then {@link Thread#yield()} until
 * the budget is spent, so a poller never starves the thread it waits for on a busy machine.
 */
final class Spin {
  private static final int HINTS = 256;

  private Spin() {}

  /** Polls {@code done} for up to {@code nanos}; true when it became true. */
  static boolean until(BooleanSupplier done, long nanos) {
    if (nanos <= 0) {
      return done.getAsBoolean();
    }
    for (int i = 0; i < HINTS; i++) {
      if (done.getAsBoolean()) {
        return true;
      }
      Thread.onSpinWait();
    }
    long deadline = System.nanoTime() + nanos;
    while (!done.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      Thread.yield();
    }
    return true;
  }
}
