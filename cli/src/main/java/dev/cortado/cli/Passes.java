package dev.cortado.cli;

import java.io.PrintWriter;
import java.util.Arrays;

/**
 * Honest pass timing for {@code bench} and {@code db-throughput}: a pass repeats the epoch until it
 * lasts at least {@code minPassSeconds} (a short pass measures the timer, not the work), warm-up
 * runs at least {@code --warmup} passes and goes on until two rates in a row agree within 10% (at
 * most 10 passes), a spread over 1.5x is a warning, and Ctrl-C prints the passes finished so far.
 */
final class Passes {
  /** Consecutive warm-up rates closer than this are "settled". */
  static final double SETTLED = 0.10;

  static final int MAX_WARMUP = 10;
  static final double SPREAD_WARNING = 1.5;

  /** One epoch of work. */
  interface Epoch {
    void run();

    /** Called before each pass (warm-up or measured) of this epoch; not before the sizing epoch. */
    default void beforePass() {}

    /** Called after each pass with its rate, in items per second. */
    default void afterPass(double itemsPerSecond) {}
  }

  /** Items per second of each measured pass, and how the passes were sized. */
  record Result(double[] rates, int epochsPerPass, int warmupPasses, boolean settled) {
    Stats stats() {
      return Stats.of(rates);
    }

    double spread() {
      Stats s = stats();
      return s.min() > 0 ? s.max() / s.min() : Double.NaN;
    }
  }

  private Passes() {}

  /**
   * Measures {@code passes} passes of {@code epoch} ({@code items} items each epoch); {@code label}
   * names the run in warnings and in the Ctrl-C summary printed on {@code out}.
   */
  static Result measure(
      PrintWriter out,
      PrintWriter err,
      String label,
      long items,
      int passes,
      int minWarmup,
      double minPassSeconds,
      Epoch epoch,
      Progress progress) {
    return measure(
        out,
        err,
        new String[] {label},
        items,
        passes,
        minWarmup,
        minPassSeconds,
        new Epoch[] {epoch},
        progress)[0];
  }

  /**
   * Measures several variants of the same work in turn, pass by pass (a pass of each, then the next
   * pass of each in the reverse order), so that a machine that speeds up or slows down during the
   * run affects every variant alike and the ratio of two variants' passes {@code p} is a fair
   * comparison. Warm-up alternates the same way until every variant has settled.
   */
  static Result[] measure(
      PrintWriter out,
      PrintWriter err,
      String[] labels,
      long items,
      int passes,
      int minWarmup,
      double minPassSeconds,
      Epoch[] epochs,
      Progress progress) {
    int n = epochs.length;
    int[] k = new int[n];
    // One unmeasured epoch of each sizes its passes (and is the first warm-up).
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      epochs[i].run();
      k[i] = epochsFor(minPassSeconds, (System.nanoTime() - t0) / 1e9);
    }
    double[][] done = new double[n][passes];
    int[] finished = {0};
    Thread hook =
        new Thread(
            () -> {
              synchronized (done) {
                int f = finished[0];
                for (int i = 0; i < n; i++) {
                  Stats s = Stats.of(Arrays.copyOf(done[i], f));
                  out.printf(
                      "%s: interrupted after %d of %d measured passes%s%n",
                      labels[i],
                      f,
                      passes,
                      f == 0
                          ? ""
                          : String.format(
                              ": %,.0f items/s median (min %,.0f, max %,.0f)",
                              s.median(), s.min(), s.max()));
                }
                out.flush();
              }
            },
            "cortado-passes-report");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      int warm = 0;
      double[] previous = new double[n];
      Arrays.fill(previous, Double.NaN);
      boolean[] settled = new boolean[n];
      Arrays.fill(settled, minWarmup == 0);
      while (warm < minWarmup || (!all(settled) && warm < Math.max(minWarmup, MAX_WARMUP))) {
        for (int i = 0; i < n; i++) {
          double rate = pass(epochs[i], k[i], items);
          // Re-size the passes as the epoch speeds up (the first, cold epoch is the slowest).
          k[i] = epochsFor(minPassSeconds, items / rate);
          settled[i] =
              !Double.isNaN(previous[i]) && Math.abs(rate - previous[i]) <= SETTLED * previous[i];
          previous[i] = rate;
        }
        warm++;
        progress.step();
      }
      for (int i = 0; i < n; i++) {
        if (!settled[i]) {
          err.printf(
              "%s: warning: the rate had not settled after %d warm-up passes (the last two"
                  + " differ by more than %.0f%%)%n",
              labels[i], warm, SETTLED * 100);
        }
      }
      for (int p = 0; p < passes; p++) {
        for (int j = 0; j < n; j++) {
          // A B, then B A: no variant always runs first, or always right after another.
          int i = p % 2 == 0 ? j : n - 1 - j;
          double rate = pass(epochs[i], k[i], items);
          synchronized (done) {
            done[i][p] = rate;
          }
        }
        synchronized (done) {
          finished[0] = p + 1;
        }
        progress.step();
      }
      Result[] results = new Result[n];
      for (int i = 0; i < n; i++) {
        results[i] = new Result(done[i], k[i], warm, settled[i]);
        if (results[i].spread() > SPREAD_WARNING) {
          err.printf(
              "%s: warning: the passes spread %.2fx (max/min) over %.1f; the machine is busy"
                  + " or the work is too short; more --passes or a quieter machine give a"
                  + " steadier figure%n",
              labels[i], results[i].spread(), SPREAD_WARNING);
        }
      }
      err.flush();
      return results;
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // The hook reports.
      }
    }
  }

  private static boolean all(boolean[] flags) {
    for (boolean f : flags) {
      if (!f) {
        return false;
      }
    }
    return true;
  }

  /** Epochs per pass so that a pass lasts at least {@code minPassSeconds}. */
  static int epochsFor(double minPassSeconds, double epochSeconds) {
    return (int)
        Math.min(100_000, Math.max(1, Math.ceil(minPassSeconds / Math.max(epochSeconds, 1e-6))));
  }

  private static double pass(Epoch epoch, int k, long items) {
    epoch.beforePass();
    long start = System.nanoTime();
    for (int e = 0; e < k; e++) {
      epoch.run();
    }
    double rate = items * (double) k / ((System.nanoTime() - start) / 1e9);
    epoch.afterPass(rate);
    return rate;
  }
}
