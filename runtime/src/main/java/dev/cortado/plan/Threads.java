package dev.cortado.plan;

import java.util.List;

/** Thread helpers shared by the plan executor and its reporters. */
final class Threads {
  private Threads() {}

  /**
   * Waits for every thread in {@code threads} to end, even when interrupted meanwhile; an interrupt
   * received while waiting is restored on the calling thread afterwards.
   */
  static void joinAll(List<Thread> threads) {
    boolean interrupted = false;
    for (Thread thread : threads) {
      while (true) {
        try {
          thread.join();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
