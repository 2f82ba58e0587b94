package dev.cortado.cli;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The cheapest hand-off two threads can have, for {@code bench --overlap} to measure next to the
 * prefetcher: a reader thread reads at most {@code depth} batches ahead of the calling thread (at
 * depth 1, Caffe2's, batch k + 1 once batch k is taken), the calling thread takes each batch and
 * works on it, and the two meet on two counters that both spin on. No lock, no reference counts, no
 * close or failure protocol beyond stopping the reader: what it costs per batch is what the machine
 * charges two threads working in lockstep on two cores, and a prefetcher can only add to it.
 *
 * <p>The reader thread lives as long as the pipeline, as a prefetcher's does (a thread started per
 * run could begin on the calling thread's core and share it until the scheduler moves it), and
 * parks between runs. It reads no further than the current run: a run's first batch is read while
 * the calling thread waits, where a prefetcher would have read it ahead.
 */
final class SpinPipeline implements AutoCloseable {
  /** Batches produced by the reader, taken by the caller, and the end of the current run. */
  private static final int PRODUCED = 8;

  private static final int TAKEN = 24;
  private static final int LIMIT = 40;

  /** The counters, 128 bytes apart so that each thread writes cache lines of its own. */
  private final AtomicLongArray counters = new AtomicLongArray(48);

  private final Runnable read;
  private final int depth;
  private final Thread reader;
  private volatile boolean closed;
  private volatile Throwable failure;

  /**
   * Starts the reader thread, which calls {@code read} once per batch, {@code depth} >= 1 ahead.
   */
  SpinPipeline(Runnable read, int depth) {
    if (depth < 1) {
      throw new IllegalArgumentException("depth must be >= 1, got " + depth);
    }
    this.read = read;
    this.depth = depth;
    this.reader = new Thread(this::readLoop, "cortado-bench-spin-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Has the reader read {@code batches} batches while this thread takes each and runs {@code work}
   * on it. Returns when the last batch has been worked on and the reader is idle again; a failed
   * read is rethrown here.
   */
  void run(long batches, Runnable work) {
    long first = counters.get(TAKEN);
    long end = first + batches;
    counters.set(LIMIT, end);
    LockSupport.unpark(reader);
    for (long b = first; b < end; b++) {
      while (counters.get(PRODUCED) <= b) {
        Throwable f = failure;
        if (f != null) {
          throw rethrown(f);
        }
        Thread.onSpinWait();
      }
      counters.set(TAKEN, b + 1);
      work.run();
    }
  }

  private void readLoop() {
    try {
      for (long b = 0; ; b++) {
        // Batch b may start once it belongs to the current run and batch b - depth is taken.
        while (counters.get(LIMIT) <= b) {
          if (closed) {
            return;
          }
          LockSupport.park(this);
        }
        while (counters.get(TAKEN) <= b - depth) {
          if (closed) {
            return;
          }
          Thread.onSpinWait();
        }
        read.run();
        counters.set(PRODUCED, b + 1);
      }
    } catch (Throwable e) {
      failure = e;
    }
  }

  private static RuntimeException rethrown(Throwable f) {
    if (f instanceof RuntimeException e) {
      throw e;
    }
    if (f instanceof Error e) {
      throw e;
    }
    return new IllegalStateException("the reader thread failed: " + f, f);
  }

  /** Stops the reader thread and waits for it to end. */
  @Override
  public void close() {
    closed = true;
    LockSupport.unpark(reader);
    boolean interrupted = false;
    while (true) {
      try {
        reader.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
