package dev.cortado.cli;

import java.util.Arrays;

/** Median, min and max of a few per-pass rates. */
record Stats(double median, double min, double max) {
  static Stats of(double[] samples) {
    if (samples.length == 0) {
      return new Stats(Double.NaN, Double.NaN, Double.NaN);
    }
    double[] s = samples.clone();
    Arrays.sort(s);
    int n = s.length;
    double median = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    return new Stats(median, s[0], s[n - 1]);
  }
}
