package dev.cortado.cpu.nn;

/**
 * The GEMM the operators use, chosen once per JVM: the system's OpenBLAS through
 * dev.ludovic.netlib's JNI binding when it loads ({@link NativeGemm}, the measured winner), else
 * the portable {@link JavaGemm}. The system property {@code cortado.gemm} forces a choice: {@code
 * native} (an error when no native BLAS loads) or {@code java}.
 */
public final class Gemm {
  /** Set while KERNEL is chosen, so declared (and initialized) before it. */
  private static String fallbackReason = "";

  private static final GemmKernel KERNEL = choose(System.getProperty("cortado.gemm", ""));

  private Gemm() {}

  /** The kernel in use. */
  public static GemmKernel kernel() {
    return KERNEL;
  }

  static GemmKernel choose(String wanted) {
    return switch (wanted) {
      case "java" -> new JavaGemm();
      case "native" -> NativeGemm.load();
      case "" -> {
        try {
          yield NativeGemm.load();
        } catch (IllegalStateException e) {
          fallbackReason = e.getMessage();
          yield new JavaGemm();
        }
      }
      default ->
          throw new IllegalArgumentException(
              "unknown cortado.gemm '" + wanted + "'; known: [native, java]");
    };
  }

  /** Why the native kernel is not in use, or "" when it is or was not asked for. */
  public static String fallbackReason() {
    return fallbackReason;
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
