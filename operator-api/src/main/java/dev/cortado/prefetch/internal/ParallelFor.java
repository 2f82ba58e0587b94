package dev.cortado.prefetch.internal;

import dev.cortado.prefetch.PrefetchException;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Splits a loop over {@code [0, n)} into contiguous chunks, one per thread, and runs them at once:
 * the caller runs chunk 0 and {@code threads - 1} helper threads run the others. It is how several
 * decode workers fill one batch while every record keeps its slot, so the batch's order is the
 * reader's order whatever the thread count.
 *
 * <p>Helpers start on the first {@link #run}, spin briefly and then park between calls, so a busy
 * pipeline hands work over without a lock. When chunks fail, {@link #run} throws the failure of the
 * lowest chunk, which is the one at the lowest index, after every chunk has stopped. One caller at
 * a time. {@link #close()} is idempotent and joins the helpers within one second.
 */
public final class ParallelFor implements AutoCloseable {
  /** The work for one chunk: indices {@code [from, to)}, run on worker {@code worker}. */
  @FunctionalInterface
  public interface Body {
    void run(int worker, int from, int to) throws Exception;
  }

  /** How long an idle helper, or the caller waiting for helpers, polls before it parks. */
  private static final long HELPER_POLL_NANOS = 50_000;

  private static final AtomicInteger THREAD_SEQ = new AtomicInteger();

  private final String owner;
  private final int threads;
  private final Thread[] helpers;
  private final Throwable[] failures;
  private final AtomicInteger remaining = new AtomicInteger();
  private final BooleanSupplier helpersDone = () -> remaining.get() == 0;

  // Published by the caller before `generation` is bumped; read by helpers after they see it.
  private int n;
  private Body body;
  private volatile int generation;
  private volatile Thread callerWaiting;
  private volatile boolean closed;

  /**
   * @param owner names the user in thread names, such as the operator
   * @param threads how many threads share each loop, the caller included; at least 1
   */
  public ParallelFor(String owner, int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    this.owner = Objects.requireNonNull(owner, "owner");
    this.threads = threads;
    this.helpers = new Thread[threads - 1];
    this.failures = new Throwable[threads];
  }

  /** Threads per loop, the caller included. */
  public int threads() {
    return threads;
  }

  /**
   * Runs {@code body} over {@code [0, n)} in {@code threads} contiguous chunks (fewer when {@code
   * n} is small) and returns when all are done; rethrows the lowest chunk's failure.
   */
  public void run(int n, Body body) throws Exception {
    if (closed) {
      throw new PrefetchException("the decode workers of " + owner + " are closed");
    }
    int chunks = Math.min(threads, Math.max(n, 1));
    if (chunks == 1) {
      body.run(0, 0, n);
      return;
    }
    startHelpersIfNeeded();
    this.n = n;
    this.body = body;
    for (int i = 0; i < threads; i++) {
      failures[i] = null;
    }
    remaining.set(threads - 1);
    generation = generation + 1;
    for (Thread h : helpers) {
      LockSupport.unpark(h);
    }
    try {
      body.run(0, 0, chunkEnd(0, n));
    } catch (Throwable e) {
      failures[0] = e;
    }
    awaitHelpers();
    this.body = null;
    for (int i = 0; i < threads; i++) {
      Throwable f = failures[i];
      if (f != null) {
        failures[i] = null;
        if (f instanceof Exception e) {
          throw e;
        }
        throw (Error) f;
      }
    }
  }

  private int chunkEnd(int chunk, int total) {
    return (int) ((long) total * (chunk + 1) / threads);
  }

  private int chunkStart(int chunk, int total) {
    return (int) ((long) total * chunk / threads);
  }

  private void awaitHelpers() {
    Thread me = Thread.currentThread();
    while (!Spin.until(helpersDone, HELPER_POLL_NANOS)) {
      callerWaiting = me;
      if (remaining.get() > 0) {
        // Helpers only run CPU work on memory we own, so waiting for them is always short;
        // an interrupt is kept for the caller to see once they are done.
        LockSupport.park(this);
      }
      callerWaiting = null;
    }
  }

  private synchronized void startHelpersIfNeeded() {
    if (helpers.length == 0 || helpers[0] != null) {
      return;
    }
    for (int i = 0; i < helpers.length; i++) {
      int worker = i + 1;
      Thread t =
          new Thread(
              () -> helperLoop(worker),
              "cortado-decode-" + THREAD_SEQ.incrementAndGet() + " worker " + worker + " " + owner);
      t.setDaemon(true);
      helpers[i] = t;
    }
    for (Thread t : helpers) {
      t.start();
    }
  }

  private void helperLoop(int worker) {
    int[] seen = {0};
    BooleanSupplier work = () -> generation != seen[0] || closed;
    while (true) {
      while (!Spin.until(work, HELPER_POLL_NANOS)) {
        LockSupport.park(this);
      }
      if (closed) {
        return;
      }
      seen[0] = generation;
      int total = n;
      Body b = body;
      try {
        b.run(worker, chunkStart(worker, total), chunkEnd(worker, total));
      } catch (Throwable e) {
        failures[worker] = e;
      }
      if (remaining.decrementAndGet() == 0) {
        Thread c = callerWaiting;
        if (c != null) {
          LockSupport.unpark(c);
        }
      }
    }
  }

  /** Stops the helpers; idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    Thread[] started;
    synchronized (this) {
      started = helpers.clone();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    boolean interrupted = false;
    for (Thread t : started) {
      if (t == null) {
        continue;
      }
      LockSupport.unpark(t);
      while (t.isAlive()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          TimeUnit.NANOSECONDS.timedJoin(t, left);
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
