package dev.cortado.cpu.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Calls a GEMM kernel from several threads at once and counts the products that differ from the
 * same product computed alone. Run as a program, it checks the kernel this JVM chose and prints its
 * name and the count.
 */
final class GemmProbe {
  private GemmProbe() {}

  public static void main(String[] args) throws Exception {
    GemmKernel kernel = Gemm.kernel();
    System.out.println(kernel.name());
    System.out.println("wrong products: " + wrongConcurrentProducts(kernel));
  }

  /** LeNet's GEMM shapes, 4 threads of 1,500 calls each. */
  static int wrongConcurrentProducts(GemmKernel kernel) throws InterruptedException {
    int[][] shapes = {{500, 64, 50}, {50, 64, 500}, {20, 576, 25}};
    SplittableRandom r = new SplittableRandom(7);
    int threads = 4;
    int calls = 1500;
    AtomicInteger wrong = new AtomicInteger();
    for (int[] s : shapes) {
      int m = s[0];
      int n = s[1];
      int k = s[2];
      float[] a = NnTesting.random(r, m * k);
      float[] b = NnTesting.random(r, k * n);
      float[] want = new float[m * n];
      kernel.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, want, 0, n);
      CyclicBarrier start = new CyclicBarrier(threads);
      List<Thread> running = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Thread th =
            new Thread(
                () -> {
                  float[] c = new float[m * n];
                  try {
                    start.await();
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                  for (int i = 0; i < calls; i++) {
                    kernel.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
                    if (!Arrays.equals(c, want)) {
                      wrong.incrementAndGet();
                    }
                  }
                });
        th.start();
        running.add(th);
      }
      for (Thread th : running) {
        th.join();
      }
    }
    return wrong.get();
  }
}
