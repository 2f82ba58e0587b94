package dev.cortado.cpu.nn;

import java.util.Arrays;

/**
 * The portable GEMM: plain Java, blocked for the caches. Each block of op(B) is packed into one
 * array per row and each row of C is accumulated in a scratch row, so that the inner loop reads and
 * writes every array at the same index from 0: the form the JIT's auto-vectorizer accepts (it
 * cannot prove that offset accesses into two arrays do not overlap).
 */
public final class JavaGemm implements GemmKernel {
  private static final int KC = 128;
  private static final int NC = 512;

  /** Per-thread scratch: the packed block of B (KC rows of NC) and two accumulator rows. */
  private static final class Scratch {
    final float[][] b = new float[KC][NC];
    final float[] acc = new float[NC];
    final float[] acc2 = new float[NC];
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

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
    Scratch s = SCRATCH.get();
    float[][] bp = s.b;
    float[] acc = s.acc;
    float[] acc2 = s.acc2;
    for (int j0 = 0; j0 < n; j0 += NC) {
      int nb = Math.min(NC, n - j0);
      for (int p0 = 0; p0 < k; p0 += KC) {
        int kb = Math.min(KC, k - p0);
        // Pack op(B)[p0 .. p0+kb) x [j0 .. j0+nb) as rows starting at index 0.
        for (int p = 0; p < kb; p++) {
          float[] row = bp[p];
          if (transB) {
            int src = bOff + j0 * ldb + p0 + p;
            for (int j = 0; j < nb; j++) {
              row[j] = b[src + j * ldb];
            }
          } else {
            System.arraycopy(b, bOff + (p0 + p) * ldb + j0, row, 0, nb);
          }
        }
        int i = 0;
        for (; i + 1 < m; i += 2) {
          // Two rows of C per pass: each load of B feeds two multiply-adds.
          Arrays.fill(acc, 0, nb, 0f);
          Arrays.fill(acc2, 0, nb, 0f);
          int p = 0;
          for (; p + 3 < kb; p += 4) {
            float a0 = at(a, aOff, lda, transA, i, p0 + p);
            float a1 = at(a, aOff, lda, transA, i, p0 + p + 1);
            float a2 = at(a, aOff, lda, transA, i, p0 + p + 2);
            float a3 = at(a, aOff, lda, transA, i, p0 + p + 3);
            float e0 = at(a, aOff, lda, transA, i + 1, p0 + p);
            float e1 = at(a, aOff, lda, transA, i + 1, p0 + p + 1);
            float e2 = at(a, aOff, lda, transA, i + 1, p0 + p + 2);
            float e3 = at(a, aOff, lda, transA, i + 1, p0 + p + 3);
            float[] b0 = bp[p];
            float[] b1 = bp[p + 1];
            float[] b2 = bp[p + 2];
            float[] b3 = bp[p + 3];
            for (int j = 0; j < nb; j++) {
              float v0 = b0[j];
              float v1 = b1[j];
              float v2 = b2[j];
              float v3 = b3[j];
              acc[j] += a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3;
              acc2[j] += e0 * v0 + e1 * v1 + e2 * v2 + e3 * v3;
            }
          }
          for (; p < kb; p++) {
            float a0 = at(a, aOff, lda, transA, i, p0 + p);
            float e0 = at(a, aOff, lda, transA, i + 1, p0 + p);
            float[] b0 = bp[p];
            for (int j = 0; j < nb; j++) {
              acc[j] += a0 * b0[j];
              acc2[j] += e0 * b0[j];
            }
          }
          addRow(c, cOff + i * ldc + j0, alpha, acc, nb);
          addRow(c, cOff + (i + 1) * ldc + j0, alpha, acc2, nb);
        }
        for (; i < m; i++) {
          Arrays.fill(acc, 0, nb, 0f);
          int p = 0;
          for (; p + 3 < kb; p += 4) {
            float a0 = at(a, aOff, lda, transA, i, p0 + p);
            float a1 = at(a, aOff, lda, transA, i, p0 + p + 1);
            float a2 = at(a, aOff, lda, transA, i, p0 + p + 2);
            float a3 = at(a, aOff, lda, transA, i, p0 + p + 3);
            float[] b0 = bp[p];
            float[] b1 = bp[p + 1];
            float[] b2 = bp[p + 2];
            float[] b3 = bp[p + 3];
            for (int j = 0; j < nb; j++) {
              acc[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
            }
          }
          for (; p < kb; p++) {
            float a0 = at(a, aOff, lda, transA, i, p0 + p);
            float[] b0 = bp[p];
            for (int j = 0; j < nb; j++) {
              acc[j] += a0 * b0[j];
            }
          }
          addRow(c, cOff + i * ldc + j0, alpha, acc, nb);
        }
      }
    }
  }

  private static void addRow(float[] c, int at, float alpha, float[] acc, int nb) {
    for (int j = 0; j < nb; j++) {
      c[at + j] += alpha * acc[j];
    }
  }

  private static float at(float[] a, int aOff, int lda, boolean transA, int i, int p) {
    return transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
  }

  static void scale(int m, int n, float beta, float[] c, int cOff, int ldc) {
    if (beta == 1f) {
      return;
    }
    for (int i = 0; i < m; i++) {
      int row = cOff + i * ldc;
      if (beta == 0f) {
        Arrays.fill(c, row, row + n, 0f);
      } else {
        for (int j = 0; j < n; j++) {
          c[row + j] *= beta;
        }
      }
    }
  }
}
