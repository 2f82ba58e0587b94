package dev.cortado.cpu.nn;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The system's OpenBLAS (or another {@code libblas.so.3}) through dev.ludovic.netlib's JNI binding,
 * which hands heap arrays to the native code without copying them. Single-threaded OpenBLAS is
 * preferred, because the operators already use every core.
 */
final class NativeGemm implements GemmKernel {
  private static final String PATH_PROPERTY = "dev.ludovic.netlib.blas.nativeLibPath";
  private static final String LIB_PROPERTY = "dev.ludovic.netlib.blas.nativeLib";

  /** Where Debian, Ubuntu, Fedora and Homebrew put OpenBLAS, single-threaded builds first. */
  private static final List<String> OPENBLAS =
      List.of(
          "/usr/lib/x86_64-linux-gnu/openblas-serial/libopenblas.so.0",
          "/usr/lib/aarch64-linux-gnu/openblas-serial/libopenblas.so.0",
          "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
          "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
          "/usr/lib64/libopenblas.so.0",
          "/usr/lib/libopenblas.so.0",
          "/usr/local/lib/libopenblas.so.0",
          "/opt/homebrew/opt/openblas/lib/libopenblas.dylib");

  private final BLAS blas;
  private final String library;

  private NativeGemm(BLAS blas, String library) {
    this.blas = blas;
    this.library = library;
  }

  /** The native kernel, or an exception saying why no native BLAS could be loaded. */
  static NativeGemm load() {
    String library = System.getProperty(PATH_PROPERTY);
    if (library == null && System.getProperty(LIB_PROPERTY) == null) {
      for (String candidate : OPENBLAS) {
        if (Files.isRegularFile(Path.of(candidate))) {
          library = candidate;
          System.setProperty(PATH_PROPERTY, candidate);
          break;
        }
      }
    }
    if (library == null) {
      library = System.getProperty(LIB_PROPERTY, "libblas.so.3");
    }
    // netlib logs a warning of its own when the library is missing; the caller reports instead.
    Logger log = Logger.getLogger("dev.ludovic.netlib.blas.InstanceBuilder");
    Level before = log.getLevel();
    log.setLevel(Level.OFF);
    try {
      BLAS blas = NativeBLAS.getInstance();
      NativeGemm g = new NativeGemm(blas, library);
      g.selfCheck();
      return g;
    } catch (Throwable t) {
      throw new IllegalStateException("no native BLAS (" + library + "): " + t, t);
    } finally {
      log.setLevel(before);
    }
  }

  /** A 2x3 by 3x2 product, so that a broken library is caught at startup, not mid-training. */
  private void selfCheck() {
    float[] a = {1, 2, 3, 4, 5, 6};
    float[] b = {7, 8, 9, 10, 11, 12};
    float[] c = new float[4];
    sgemm(false, false, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 2);
    if (c[0] != 58f || c[1] != 64f || c[2] != 139f || c[3] != 154f) {
      throw new IllegalStateException(
          "self-check product is wrong: " + java.util.Arrays.toString(c));
    }
  }

  @Override
  public String name() {
    return "native (" + library + ")";
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
    if (k <= 0) {
      JavaGemm.scale(m, n, beta, c, cOff, ldc);
      return;
    }
    // netlib checks that every stored row is whole (offset + ld * rows <= length), which a
    // sub-matrix that ends at its array's end fails; such an operand goes through a compact copy.
    int aRows = transA ? k : m;
    int aCols = transA ? m : k;
    if (aOff + (long) lda * aRows > a.length) {
      a = compact(a, aOff, lda, aRows, aCols);
      aOff = 0;
      lda = aCols;
    }
    int bRows = transB ? n : k;
    int bCols = transB ? k : n;
    if (bOff + (long) ldb * bRows > b.length) {
      b = compact(b, bOff, ldb, bRows, bCols);
      bOff = 0;
      ldb = bCols;
    }
    if (cOff + (long) ldc * m > c.length) {
      float[] tmp = compact(c, cOff, ldc, m, n);
      call(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, tmp, 0, n);
      for (int i = 0; i < m; i++) {
        System.arraycopy(tmp, i * n, c, cOff + i * ldc, n);
      }
      return;
    }
    call(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
  }

  private void call(
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
    // BLAS is column-major: the row-major C (m x n) is the column-major C^T = op(B)^T op(A)^T.
    blas.sgemm(
        transB ? "T" : "N",
        transA ? "T" : "N",
        n,
        m,
        k,
        alpha,
        b,
        bOff,
        ldb,
        a,
        aOff,
        lda,
        beta,
        c,
        cOff,
        ldc);
  }

  private static float[] compact(float[] x, int off, int ld, int rows, int cols) {
    float[] out = new float[rows * cols];
    for (int i = 0; i < rows; i++) {
      System.arraycopy(x, off + i * ld, out, i * cols, cols);
    }
    return out;
  }
}
