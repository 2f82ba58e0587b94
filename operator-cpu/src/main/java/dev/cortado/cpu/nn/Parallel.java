package dev.cortado.cpu.nn;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Runs the pieces of one operator's work on the calling thread and on a small shared pool of daemon
 * helper threads (one fewer than the cores). The caller takes pieces too and never waits for a
 * helper that has not started, so operators running side by side in a DAG net cannot stall each
 * other. Callers cut their work into a number of pieces that does not depend on the thread count
 * and combine partial results in piece order, so results are the same on any machine.
 */
final class Parallel {
  private static final int THREADS =
      Math.max(
          1, Integer.getInteger("cortado.nn.threads", Runtime.getRuntime().availableProcessors()));

  /** True on the pool's own threads: nested loops run inline there. */
  private static final ThreadLocal<Boolean> HELPER = ThreadLocal.withInitial(() -> false);

  private static final class Holder {
    static final ThreadPoolExecutor POOL = newPool();

    private static ThreadPoolExecutor newPool() {
      AtomicInteger id = new AtomicInteger();
      int helpers = Math.max(1, THREADS - 1);
      return new ThreadPoolExecutor(
          helpers,
          helpers,
          0,
          TimeUnit.SECONDS,
          new LinkedBlockingQueue<>(),
          r -> {
            Thread t =
                new Thread(
                    () -> {
                      HELPER.set(true);
                      r.run();
                    },
                    "cortado-nn-" + id.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
    }
  }

  /** When false, every piece runs on the calling thread (tests compare the two ways). */
  private static volatile boolean parallel = true;

  private Parallel() {}

  /**
   * Threads that share a loop, the caller included ({@code cortado.nn.threads}, else the cores).
   */
  static int threads() {
    return THREADS;
  }

  static void setParallel(boolean on) {
    parallel = on;
  }

  /** Runs {@code body} for each piece in [0, pieces) and returns when all are done. */
  static void forEach(int pieces, IntConsumer body) {
    if (pieces <= 0) {
      return;
    }
    if (pieces == 1 || THREADS == 1 || !parallel || HELPER.get()) {
      for (int i = 0; i < pieces; i++) {
        body.accept(i);
      }
      return;
    }
    Loop loop = new Loop(pieces, body);
    int helpers = Math.min(THREADS - 1, pieces - 1);
    for (int h = 0; h < helpers; h++) {
      Holder.POOL.execute(loop::work);
    }
    loop.work();
    loop.await();
  }

  /** One parallel loop: pieces are taken from a counter; the caller waits for completions. */
  private static final class Loop {
    private final int pieces;
    private final IntConsumer body;
    private final AtomicInteger next = new AtomicInteger();
    private int completed;
    private Throwable failure;

    Loop(int pieces, IntConsumer body) {
      this.pieces = pieces;
      this.body = body;
    }

    void work() {
      int i;
      while ((i = next.getAndIncrement()) < pieces) {
        Throwable t = null;
        try {
          body.accept(i);
        } catch (Throwable e) {
          t = e;
        }
        synchronized (this) {
          if (t != null && failure == null) {
            failure = t;
          }
          if (++completed == pieces) {
            notifyAll();
          }
        }
      }
    }

    void await() {
      boolean interrupted = false;
      synchronized (this) {
        while (completed < pieces) {
          try {
            wait();
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      Throwable f = failure;
      if (f instanceof RuntimeException re) {
        throw re;
      }
      if (f instanceof Error err) {
        throw err;
      }
      if (f != null) {
        throw new IllegalStateException(f);
      }
    }
  }

  /** Splits [0, n) into {@code pieces} nearly equal runs; the start of run {@code i}. */
  static int start(int n, int pieces, int i) {
    return (int) ((long) n * i / pieces);
  }
}
