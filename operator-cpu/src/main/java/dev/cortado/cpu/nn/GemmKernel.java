package dev.cortado.cpu.nn;

/**
 * Single-precision GEMM on row-major heap arrays: {@code C = alpha * op(A) * op(B) + beta * C},
 * where {@code op(A)} is m x k, {@code op(B)} is k x n and C is m x n. Leading dimensions are row
 * strides of the stored (untransposed) matrices, as in CBLAS with {@code CblasRowMajor}.
 *
 * <p>An implementation runs on the calling thread only; operators split work across threads
 * themselves, in fixed pieces, so that results never depend on the thread count.
 */
public interface GemmKernel {
  /** A short name for logs and benchmarks, e.g. {@code java} or {@code openblas}. */
  String name();

  void sgemm(
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
      int ldc);
}
