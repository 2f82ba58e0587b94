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
    // One unmeasured epoch sizes the passes (and is the first warm-up).
    long t0 = System.nanoTime();
    epoch.run();
    double epochSeconds = (System.nanoTime() - t0) / 1e9;
    int k = epochsFor(minPassSeconds, epochSeconds);
    double[] done = new double[passes];
    int[] finished = {0};
    Thread hook =
        new Thread(
            () -> {
              synchronized (done) {
                int n = finished[0];
                Stats s = Stats.of(Arrays.copyOf(done, n));
                out.printf(
                    "%s: interrupted after %d of %d measured passes%s%n",
                    label,
                    n,
                    passes,
                    n == 0
                        ? ""
                        : String.format(
                            ": %,.0f items/s median (min %,.0f, max %,.0f)",
                            s.median(), s.min(), s.max()));
                out.flush();
              }
            },
            "cortado-passes-report");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      int warm = 0;
      double previous = Double.NaN;
      boolean settled = minWarmup == 0;
      while (warm < minWarmup || (!settled && warm < Math.max(minWarmup, MAX_WARMUP))) {
        double rate = pass(epoch, k, items);
        // Re-size the passes as the epoch speeds up (the first, cold epoch is the slowest).
        k = epochsFor(minPassSeconds, items / rate);
        settled = !Double.isNaN(previous) && Math.abs(rate - previous) <= SETTLED * previous;
        previous = rate;
        warm++;
        progress.step();
      }
      if (!settled) {
        err.printf(
            "%s: warning: the rate had not settled after %d warm-up passes (the last two"
                + " differ by more than %.0f%%)%n",
            label, warm, SETTLED * 100);
      }
      for (int p = 0; p < passes; p++) {
        double rate = pass(epoch, k, items);
        synchronized (done) {
          done[p] = rate;
          finished[0] = p + 1;
        }
        progress.step();
      }
      Result r = new Result(done, k, warm, settled);
      if (r.spread() > SPREAD_WARNING) {
        err.printf(
            "%s: warning: the passes spread %.2fx (max/min) over %.1f; the machine is busy"
                + " or the work is too short; more --passes or a quieter machine give a steadier"
                + " figure%n",
            label, r.spread(), SPREAD_WARNING);
      }
      err.flush();
      return r;
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // The hook reports.
      }
    }
  }

  /** Epochs per pass so that a pass lasts at least {@code minPassSeconds}. */
  static int epochsFor(double minPassSeconds, double epochSeconds) {
    return (int)
        Math.min(100_000, Math.max(1, Math.ceil(minPassSeconds / Math.max(epochSeconds, 1e-6))));
  }

  private static double pass(Epoch epoch, int k, long items) {
    long start = System.nanoTime();
    for (int e = 0; e < k; e++) {
      epoch.run();
    }
    return items * (double) k / ((System.nanoTime() - start) / 1e9);
  }
}
