package dev.cortado.prefetch.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelForTest {

  private static long threadsNamed(String owner) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().contains(owner))
        .count();
  }

  @Test
  void everyIndexRunsExactlyOnceInItsChunk() throws Exception {
    String owner = "pf-" + UUID.randomUUID();
    try (ParallelFor pf = new ParallelFor(owner, 4)) {
      for (int round = 0; round < 2000; round++) {
        int n = round % 70;
        AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
        int[] workerOf = new int[Math.max(n, 1)];
        pf.run(
            n,
            (worker, from, to) -> {
              for (int i = from; i < to; i++) {
                hits.incrementAndGet(i);
                workerOf[i] = worker;
              }
            });
        for (int i = 0; i < n; i++) {
          assertThat(hits.get(i)).isEqualTo(1);
          // Contiguous chunks in index order: worker numbers never decrease along the batch.
          if (i > 0) {
            assertThat(workerOf[i]).isGreaterThanOrEqualTo(workerOf[i - 1]);
          }
        }
      }
      assertThat(threadsNamed(owner)).isEqualTo(3);
    }
    assertThat(threadsNamed(owner)).isZero();
  }

  @Test
  void theLowestFailingChunkWins() throws Exception {
    try (ParallelFor pf = new ParallelFor("pf-fail", 4)) {
      for (int round = 0; round < 100; round++) {
        assertThatThrownBy(
                () ->
                    pf.run(
                        40,
                        (worker, from, to) -> {
                          if (worker >= 2) {
                            throw new IllegalStateException("bad record " + from);
                          }
                        }))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("bad record 20");
      }
      // Still usable after a failure.
      AtomicIntegerArray hits = new AtomicIntegerArray(8);
      pf.run(
          8,
          (worker, from, to) -> {
            for (int i = from; i < to; i++) {
              hits.incrementAndGet(i);
            }
          });
      for (int i = 0; i < 8; i++) {
        assertThat(hits.get(i)).isEqualTo(1);
      }
    }
  }

  @Test
  void oneThreadRunsOnTheCallerAndStartsNothing() throws Exception {
    String owner = "pf-" + UUID.randomUUID();
    try (ParallelFor pf = new ParallelFor(owner, 1)) {
      Thread[] ran = new Thread[1];
      pf.run(5, (worker, from, to) -> ran[0] = Thread.currentThread());
      assertThat(ran[0]).isSameAs(Thread.currentThread());
      assertThat(threadsNamed(owner)).isZero();
    }
  }

  @Test
  void closedIsAnError() {
    ParallelFor pf = new ParallelFor("pf-closed", 2);
    pf.close();
    pf.close();
    assertThatThrownBy(() -> pf.run(3, (w, f, t) -> {})).hasMessageContaining("closed");
  }
}
