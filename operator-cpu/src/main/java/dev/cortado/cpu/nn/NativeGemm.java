package dev.cortado.cpu.nn;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The system's OpenBLAS (or another {@code libblas.so.3}) through dev.ludovic.netlib's JNI binding,
 * which hands heap arrays to the native code without copying them.
 *
 * <p>The operators call GEMM from several threads at once (one per core, see {@link Parallel}), so
 * the library must be safe for concurrent callers and must not start threads of its own:
 *
 * <ul>
 *   <li>OpenBLAS built with threads (Debian's {@code libopenblas0-pthread}, Fedora's {@code
 *       libopenblasp}) is safe for concurrent callers and is preferred; its own thread count is set
 *       to 1 through {@code openblas_set_num_threads} when it loads, because its threads on top of
 *       the operators' would oversubscribe the cores (4 to 6 times slower, measured).
 *   <li>OpenBLAS built without threads (Debian's {@code libopenblas0-serial}) shares its packing
 *       buffers between callers unless it was built with {@code USE_LOCKING}, which cannot be
 *       asked: two threads then corrupt each other's products (measured with Debian 12's 0.3.21: a
 *       few wrong products in every few thousand concurrent calls, enough to make training
 *       diverge). Calls into such a library are serialized by a lock.
 *   <li>A BLAS that is not OpenBLAS (the reference {@code libblas.so.3}) keeps no state between
 *       calls and is called without a lock.
 * </ul>
 *
 * <p>The OpenBLAS queries go through jnr-ffi, which the LMDB backend already brings. Where the
 * queries cannot be made, an OpenBLAS is treated as the unsafe kind.
 */
final class NativeGemm implements GemmKernel {
  private static final String PATH_PROPERTY = "dev.ludovic.netlib.blas.nativeLibPath";
  private static final String LIB_PROPERTY = "dev.ludovic.netlib.blas.nativeLib";

  /**
   * Where Debian, Ubuntu, Fedora and Homebrew put OpenBLAS: the builds with threads first (safe for
   * concurrent callers), then whichever build the system's alternatives chose.
   */
  private static final List<String> OPENBLAS =
      List.of(
          "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
          "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
          "/usr/lib64/libopenblasp.so.0",
          "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
          "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
          "/usr/lib64/libopenblas.so.0",
          "/usr/lib/libopenblas.so.0",
          "/usr/local/lib/libopenblas.so.0",
          "/opt/homebrew/opt/openblas/lib/libopenblas.dylib");

  /** The OpenBLAS entry points that say and set how it runs. */
  public interface OpenBlasControl {
    /** 0: built without threads, 1: with pthreads, 2: with OpenMP. */
    int openblas_get_parallel();

    void openblas_set_num_threads(int threads);
  }

  private final BLAS blas;
  private final String library;

  /** Held around every call when the library is not safe for concurrent callers, else null. */
  private final ReentrantLock lock;

  private NativeGemm(BLAS blas, String library, ReentrantLock lock) {
    this.blas = blas;
    this.library = library;
    this.lock = lock;
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
      String mode = threadMode(library);
      NativeGemm g =
          new NativeGemm(
              blas,
              library + ", " + mode,
              mode.startsWith(SERIALIZED) ? new ReentrantLock() : null);
      g.selfCheck();
      return g;
    } catch (Throwable t) {
      throw new IllegalStateException("no native BLAS (" + library + "): " + t, t);
    } finally {
      log.setLevel(before);
    }
  }

  private static final String SERIALIZED = "calls serialized";

  /**
   * How the library at {@code library} is called: an OpenBLAS with threads is set to one thread per
   * call and called concurrently; one without threads (or one that cannot be asked) is called under
   * a lock; any other BLAS is called concurrently.
   */
  static String threadMode(String library) {
    String file = Path.of(library).getFileName().toString();
    boolean openBlas = file.contains("openblas");
    OpenBlasControl control;
    try {
      control = jnr.ffi.LibraryLoader.create(OpenBlasControl.class).failImmediately().load(library);
    } catch (Throwable t) {
      // Not an OpenBLAS (the symbols are missing) or jnr-ffi is unavailable.
      return openBlas
          ? SERIALIZED + " (OpenBLAS whose threading could not be queried: " + t + ")"
          : "concurrent calls";
    }
    int parallel = control.openblas_get_parallel();
    if (parallel == 0) {
      return SERIALIZED + " (OpenBLAS built without threads is unsafe for concurrent callers)";
    }
    control.openblas_set_num_threads(1);
    return "OpenBLAS with " + (parallel == 2 ? "OpenMP" : "pthreads") + ", 1 thread per call";
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
    if (lock == null) {
      columnMajor(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
      return;
    }
    lock.lock();
    try {
      columnMajor(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    } finally {
      lock.unlock();
    }
  }

  private void columnMajor(
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
