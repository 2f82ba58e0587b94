package dev.cortado.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The gate for tests that need a real CUDA device: they are skipped, with the reason, elsewhere.
 */
final class Gpu {
  private Gpu() {}

  /** Skips the calling test (JUnit assumption) unless a CUDA device can be used. */
  static void require() {
    CudaAvailability a = CudaAvailability.probe();
    assumeTrue(a.isAvailable(), () -> "GPU test skipped: " + a.describe());
  }
}
