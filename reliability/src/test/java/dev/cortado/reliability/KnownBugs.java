package dev.cortado.reliability;

import java.util.Set;
import org.junit.jupiter.api.Assumptions;

/**
 * The bugs this module found in code it does not own that are still open, each by a short marker
 * naming the issue that tracks it. A test case tied to an open marker is expected to fail: while it
 * fails it is reported as skipped, and once it passes it fails, saying that the marker should go
 * from {@link #OPEN}. Whoever fixes one of these removes its marker here (a one-line edit); its
 * cases then run as ordinary tests, and the fuzz oracles stop tolerating it.
 */
final class KnownBugs {
  /** Open markers, one per tracked bug. */
  static final Set<String> OPEN = Set.of();

  private KnownBugs() {}

  static boolean isOpen(String marker) {
    return OPEN.contains(marker);
  }

  interface Check {
    void run() throws Exception;
  }

  /** Runs {@code check}: an ordinary assertion when {@code marker} is null or fixed. */
  static void expect(String marker, String what, Check check) {
    AssertionError failure = null;
    try {
      check.run();
    } catch (AssertionError e) {
      failure = e;
    } catch (Exception e) {
      failure = new AssertionError(e);
    }
    if (marker == null || !isOpen(marker)) {
      if (failure != null) {
        throw failure;
      }
      return;
    }
    if (failure == null) {
      throw new AssertionError(
          what + " passes now: remove " + marker + " from KnownBugs.OPEN (and close its issue)");
    }
    Assumptions.abort("known failure, waits for " + marker + ": " + failure.getMessage());
  }
}
