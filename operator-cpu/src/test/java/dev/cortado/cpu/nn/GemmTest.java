package dev.cortado.cpu.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GemmTest {
  /** Every transpose combination, odd sizes, offsets, padded leading dims, alpha and beta. */
  static void check(GemmKernel kernel) {
    SplittableRandom r = new SplittableRandom(42);
    int[][] sizes = {
      {1, 1, 1}, {3, 5, 7}, {17, 130, 9}, {64, 10, 500}, {50, 64, 500}, {5, 1030, 3}, {129, 33, 260}
    };
    for (int[] s : sizes) {
      int m = s[0];
      int n = s[1];
      int k = s[2];
      for (int t = 0; t < 4; t++) {
        boolean ta = (t & 1) != 0;
        boolean tb = (t & 2) != 0;
        int lda = (ta ? m : k) + 3;
        int ldb = (tb ? k : n) + 1;
        int ldc = n + 2;
        int aOff = 5;
        int bOff = 2;
        int cOff = 7;
        float[] a = random(r, aOff + (ta ? k : m) * lda);
        float[] b = random(r, bOff + (tb ? n : k) * ldb);
        float[] c = random(r, cOff + m * ldc);
        float alpha = 0.75f;
        float beta = t == 3 ? 0f : 0.5f;
        double[] want = new double[m * n];
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < n; j++) {
            double sum = 0;
            for (int p = 0; p < k; p++) {
              double av = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
              double bv = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
              sum += av * bv;
            }
            want[i * n + j] = alpha * sum + beta * c[cOff + i * ldc + j];
          }
        }
        float[] before = c.clone();
        kernel.sgemm(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        float[] got = new float[m * n];
        for (int i = 0; i < m; i++) {
          System.arraycopy(c, cOff + i * ldc, got, i * n, n);
          // The padding between rows is left alone.
          for (int j = n; j < ldc && cOff + i * ldc + j < c.length; j++) {
            assertThat(c[cOff + i * ldc + j]).isEqualTo(before[cOff + i * ldc + j]);
          }
        }
        NnTesting.assertClose(
            kernel.name() + " " + m + "x" + n + "x" + k + " ta=" + ta + " tb=" + tb, got, want);
      }
    }
  }

  private static float[] random(SplittableRandom r, int n) {
    return NnTesting.random(r, n);
  }

  @Test
  void javaKernelMatchesTheReference() {
    check(new JavaGemm());
  }

  @Test
  void nativeKernelMatchesTheReferenceWhereABlasIsInstalled() {
    NativeGemm g;
    try {
      g = NativeGemm.load();
    } catch (IllegalStateException e) {
      Assumptions.abort("no native BLAS on this machine: " + e.getMessage());
      return;
    }
    check(g);
  }

  @Test
  void defaultKernelIsNativeWhenOneLoadsElseJavaWithAReason() {
    GemmKernel k = Gemm.kernel();
    if (k instanceof JavaGemm) {
      assertThat(Gemm.fallbackReason()).contains("no native BLAS");
    } else {
      assertThat(k.name()).startsWith("native (");
      assertThat(Gemm.fallbackReason()).isEmpty();
    }
    List<String> names = new ArrayList<>();
    names.add(k.name());
    assertThat(names).hasSize(1);
  }

  /**
   * The operators call the kernel from several threads at once: every product must be bit-identical
   * to the same product computed alone. Debian's single-threaded OpenBLAS, called this way without
   * a lock, got a few products wrong in every few thousand calls on these LeNet shapes.
   */
  @Test
  void concurrentCallsGiveTheSameBitsAsOneCallAlone() throws Exception {
    GemmKernel kernel = Gemm.kernel();
    assertThat(GemmProbe.wrongConcurrentProducts(kernel)).as(kernel.name()).isZero();
  }

  /** Each flavour of Debian's OpenBLAS, in a JVM of its own (two OpenBLAS in one process clash). */
  @ParameterizedTest
  @CsvSource({
    "openblas-serial, 'calls serialized (OpenBLAS built without threads is unsafe for concurrent"
        + " callers)'",
    "openblas-pthread, 'OpenBLAS with pthreads, 1 thread per call'"
  })
  void eachOpenBlasFlavourIsCalledSafely(String flavour, String mode) throws Exception {
    Path lib = Path.of("/usr/lib/x86_64-linux-gnu", flavour, "libopenblas.so.0");
    Assumptions.assumeTrue(Files.isRegularFile(lib), "Debian's " + flavour + " is not installed");
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Ddev.ludovic.netlib.blas.nativeLibPath=" + lib,
                "-cp",
                System.getProperty("java.class.path"),
                GemmProbe.class.getName())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    assertThat(out).contains("native (" + lib + ", " + mode + ")", "wrong products: 0");
  }
}
