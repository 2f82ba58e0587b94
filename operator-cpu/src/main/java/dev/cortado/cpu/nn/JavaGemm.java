package dev.cortado.cpu.nn;

/**
 * The portable GEMM: plain Java, blocked for the caches, with an inner loop over a row of C that
 * the JIT vectorizes (four rows of B per pass, so each store of C carries four multiply-adds).
 * Transposed operands are packed first so that the inner loop always reads B row by row.
 */
public final class JavaGemm implements GemmKernel {
  private static final int KC = 128;
  private static final int NC = 1024;

  private static final ThreadLocal<float[][]> PACK = ThreadLocal.withInitial(() -> new float[1][0]);

  @Override
  public String name() {
    return "java";
  }

  @Override
  public void sgemm(
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
    if (m <= 0 || n <= 0) {
      return;
    }
    scale(m, n, beta, c, cOff, ldc);
    if (k <= 0 || alpha == 0f) {
      return;
    }
    float[] bp = b;
    int bo = bOff;
    int ldbp = ldb;
    if (transB) {
      // op(B)[p][j] = b[j * ldb + p]: pack it row-major (k x n) once.
      float[][] holder = PACK.get();
      if (holder[0].length < k * n) {
        holder[0] = new float[k * n];
      }
      bp = holder[0];
      for (int j = 0; j < n; j++) {
        int src = bOff + j * ldb;
        for (int p = 0; p < k; p++) {
          bp[p * n + j] = b[src + p];
        }
      }
      bo = 0;
      ldbp = n;
    }
    for (int p0 = 0; p0 < k; p0 += KC) {
      int p1 = Math.min(k, p0 + KC);
      for (int j0 = 0; j0 < n; j0 += NC) {
        int j1 = Math.min(n, j0 + NC);
        for (int i = 0; i < m; i++) {
          int crow = cOff + i * ldc;
          int p = p0;
          for (; p + 3 < p1; p += 4) {
            float a0;
            float a1;
            float a2;
            float a3;
            if (transA) {
              a0 = a[aOff + p * lda + i];
              a1 = a[aOff + (p + 1) * lda + i];
              a2 = a[aOff + (p + 2) * lda + i];
              a3 = a[aOff + (p + 3) * lda + i];
            } else {
              int ar = aOff + i * lda + p;
              a0 = a[ar];
              a1 = a[ar + 1];
              a2 = a[ar + 2];
              a3 = a[ar + 3];
            }
            a0 *= alpha;
            a1 *= alpha;
            a2 *= alpha;
            a3 *= alpha;
            int b0 = bo + p * ldbp;
            int b1 = b0 + ldbp;
            int b2 = b1 + ldbp;
            int b3 = b2 + ldbp;
            for (int j = j0; j < j1; j++) {
              c[crow + j] += a0 * bp[b0 + j] + a1 * bp[b1 + j] + a2 * bp[b2 + j] + a3 * bp[b3 + j];
            }
          }
          for (; p < p1; p++) {
            float a0 = alpha * (transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p]);
            int b0 = bo + p * ldbp;
            for (int j = j0; j < j1; j++) {
              c[crow + j] += a0 * bp[b0 + j];
            }
          }
        }
      }
    }
  }

  static void scale(int m, int n, float beta, float[] c, int cOff, int ldc) {
    if (beta == 1f) {
      return;
    }
    for (int i = 0; i < m; i++) {
      int row = cOff + i * ldc;
      if (beta == 0f) {
        java.util.Arrays.fill(c, row, row + n, 0f);
      } else {
        for (int j = 0; j < n; j++) {
          c[row + j] *= beta;
        }
      }
    }
  }
}
