package dev.cortado.bench;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The caller plus {@code threads - 1} helper threads splitting {@code [0, n)} into contiguous
 * chunks, one per thread, with no allocation and no lock per call: helpers spin briefly, then
 * park, between calls. The benchmarks' own fork-join, so batch assembly can be measured apart
 * from the input operator.
 */
final class SlotWorkers implements AutoCloseable {
  /** The work of one chunk. */
  @FunctionalInterface
  interface Body {
    void run(int worker, int from, int to);
  }

  private static final int SPINS = 1 << 10;

  private final int threads;
  private final Thread[] helpers;
  private final AtomicInteger remaining = new AtomicInteger();
  private final Throwable[] failures;
  private int n;
  private Body body;
  private volatile int generation;
  private volatile Thread waiter;
  private volatile boolean closed;

  SlotWorkers(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    this.threads = threads;
    this.failures = new Throwable[threads];
    this.helpers = new Thread[threads - 1];
    for (int i = 0; i < helpers.length; i++) {
      int worker = i + 1;
      helpers[i] = new Thread(() -> loop(worker), "bench-decode-" + worker);
      helpers[i].setDaemon(true);
      helpers[i].start();
    }
  }

  /** Runs {@code body} over {@code [0, n)}; returns when every chunk is done. */
  void run(int n, Body body) {
    if (threads == 1) {
      body.run(0, 0, n);
      return;
    }
    this.n = n;
    this.body = body;
    remaining.set(threads - 1);
    waiter = Thread.currentThread();
    generation++;
    for (Thread t : helpers) {
      LockSupport.unpark(t);
    }
    Throwable own = null;
    try {
      chunk(0);
    } catch (Throwable t) {
      own = t;
    }
    int spins = 0;
    while (remaining.get() > 0) {
      if (spins++ < SPINS) {
        Thread.onSpinWait();
      } else {
        LockSupport.park(this);
      }
    }
    waiter = null;
    if (own != null) {
      throw own instanceof RuntimeException re ? re : new IllegalStateException(own);
    }
    for (int i = 1; i < threads; i++) {
      Throwable t = failures[i];
      if (t != null) {
        failures[i] = null;
        throw t instanceof RuntimeException re ? re : new IllegalStateException(t);
      }
    }
  }

  private void chunk(int worker) {
    int from = (int) ((long) n * worker / threads);
    int to = (int) ((long) n * (worker + 1) / threads);
    if (from < to) {
      body.run(worker, from, to);
    }
  }

  private void loop(int worker) {
    int seen = 0;
    while (true) {
      int spins = 0;
      while (generation == seen && !closed) {
        if (spins++ < SPINS) {
          Thread.onSpinWait();
        } else {
          LockSupport.park(this);
        }
      }
      if (closed) {
        return;
      }
      seen = generation;
      try {
        chunk(worker);
      } catch (Throwable t) {
        failures[worker] = t;
      }
      if (remaining.decrementAndGet() == 0) {
        LockSupport.unpark(waiter);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    for (Thread t : helpers) {
      LockSupport.unpark(t);
    }
    for (Thread t : helpers) {
      try {
        t.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
