package dev.cortado.reliability;

import dev.cortado.CortadoException;
import java.util.Set;

/**
 * What counts as a clean failure. Nets, plans, {@code runOperatorOnce} and the prefetcher wrap
 * whatever an operator throws so that the message names the net and the operator; under those
 * wrappers the operator's own error must be a {@link CortadoException} too. A raw {@code
 * IllegalArgumentException}, {@code ArithmeticException}, {@code NullPointerException} or an {@link
 * Error} there means an input was not checked.
 */
final class Failures {
  /** Exceptions that only carry an operator's failure and add where it happened. */
  private static final Set<String> WRAPPERS =
      Set.of(
          "dev.cortado.operator.OperatorRunException",
          "dev.cortado.plan.PlanException",
          "dev.cortado.prefetch.PrefetchException");

  private Failures() {}

  /** The first throwable in {@code e}'s cause chain that is not clean, or null when it is clean. */
  static Throwable raw(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (!(t instanceof CortadoException)) {
        return t;
      }
      if (!WRAPPERS.contains(t.getClass().getName())) {
        return null; // the operator's (or the runtime's) own error
      }
    }
    return null;
  }

  /** Throws an AssertionError naming the raw cause when {@code e} is not clean. */
  static void requireClean(String what, Throwable e) {
    Throwable raw = raw(e);
    if (raw != null) {
      throw new AssertionError(what + ": not a clean error: " + raw + " under " + e, e);
    }
  }
}
