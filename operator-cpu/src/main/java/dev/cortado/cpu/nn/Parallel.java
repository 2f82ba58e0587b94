package dev.cortado.cpu.nn;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Runs the pieces of one operator's work on a small shared fork/join pool of daemon threads, one
 * per core. Callers cut their work into a fixed number of pieces that does not depend on the pool
 * size, and combine partial results in piece order, so results are the same on any machine.
 */
final class Parallel {
  private static final int THREADS =
      Math.max(1, Integer.getInteger("cortado.nn.threads", Runtime.getRuntime().availableProcessors()));

  private static final class Holder {
    static final ForkJoinPool POOL = newPool();

    private static ForkJoinPool newPool() {
      AtomicInteger id = new AtomicInteger();
      return new ForkJoinPool(
          THREADS,
          pool -> {
            ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
            t.setName("cortado-nn-" + id.incrementAndGet());
            t.setDaemon(true);
            return t;
          },
          null,
          false);
    }
  }

  private Parallel() {}

  /** When false, every piece runs on the calling thread (tests compare the two ways). */
  private static volatile boolean parallel = true;

  /** Threads the pool runs on (the {@code cortado.nn.threads} property, else the core count). */
  static int threads() {
    return THREADS;
  }

  static void setParallel(boolean on) {
    parallel = on;
  }

  /** Runs {@code body} for each piece in [0, pieces); inline when one thread or one piece. */
  static void forEach(int pieces, IntConsumer body) {
    if (pieces <= 0) {
      return;
    }
    if (pieces == 1 || THREADS == 1 || !parallel || inPool()) {
      for (int i = 0; i < pieces; i++) {
        body.accept(i);
      }
      return;
    }
    Holder.POOL.invoke(new Range(body, 0, pieces));
  }

  private static boolean inPool() {
    return Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == Holder.POOL;
  }

  private static final class Range extends RecursiveAction {
    private final IntConsumer body;
    private final int from;
    private final int to;

    Range(IntConsumer body, int from, int to) {
      this.body = body;
      this.from = from;
      this.to = to;
    }

    @Override
    protected void compute() {
      if (to - from == 1) {
        body.accept(from);
        return;
      }
      int mid = (from + to) >>> 1;
      invokeAll(new Range(body, from, mid), new Range(body, mid, to));
    }
  }

  /** Splits [0, n) into {@code pieces} nearly equal runs; the start of run {@code i}. */
  static int start(int n, int pieces, int i) {
    return (int) ((long) n * i / pieces);
  }
}
