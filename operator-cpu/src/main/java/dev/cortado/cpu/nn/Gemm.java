package dev.cortado.cpu.nn;

/**
 * The GEMM the operators use, chosen once per JVM. The system property {@code cortado.gemm}
 * ({@code java} or {@code openblas}) forces a choice; otherwise the default is the measured winner
 * (operator-cpu's PERFORMANCE-gemm.md), falling back to {@link JavaGemm} when a native library
 * cannot load on this platform.
 */
public final class Gemm {
  private static final GemmKernel KERNEL = choose(System.getProperty("cortado.gemm", ""));

  private Gemm() {}

  /** The kernel in use. */
  public static GemmKernel kernel() {
    return KERNEL;
  }

  static GemmKernel choose(String wanted) {
    return switch (wanted) {
      case "", "java" -> new JavaGemm();
      default ->
          throw new IllegalArgumentException(
              "unknown cortado.gemm '" + wanted + "'; known: [java]");
    };
  }

  /** {@code C = alpha * op(A) * op(B) + beta * C}, row-major (see {@link GemmKernel}). */
  static void sgemm(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float beta,
      float[] c,
      int cOff,
      int ldc) {
    KERNEL.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
  }
}
