package dev.cortado.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(30)
class SpinPipelineTest {
  @ParameterizedTest
  @ValueSource(ints = {1, 3})
  void theReaderStaysDepthBatchesAheadAndNeverPassesTheRun(int depth) throws Exception {
    // A fast reader and a slow consumer: without the depth rule the reader would race through
    // every batch during the first work. During the work on batch j, batches 0..j are taken, and
    // batch b may start once batch b - depth is: at most j + depth + 1 reads by the end of it
    // (at depth 1, batch j + 1 read ahead once j was taken, and j + 2 once j + 1 is).
    AtomicInteger started = new AtomicInteger();
    List<Integer> seenAfterWork = new ArrayList<>();
    Runnable work =
        () -> {
          BenchCommand.busyWait(200_000);
          seenAfterWork.add(started.get());
        };
    try (SpinPipeline p = new SpinPipeline(started::incrementAndGet, depth)) {
      p.run(30, work);
      // The reader stops at the end of the run: the next run's batches are read in that run.
      Thread.sleep(20);
      assertThat(started.get()).isEqualTo(30);
      p.run(20, work);
      assertThat(started.get()).isEqualTo(50);
    }
    assertThat(seenAfterWork).hasSize(50);
    for (int j = 0; j < seenAfterWork.size(); j++) {
      assertThat(seenAfterWork.get(j))
          .as("reads started by the end of work %d", j)
          .isLessThanOrEqualTo(Math.min(j + depth + 1, j < 30 ? 30 : 50));
    }
  }

  @Test
  void aFailedReadEndsTheRunWithItsErrorAfterTheBatchesBeforeIt() {
    AtomicInteger reads = new AtomicInteger();
    AtomicInteger worked = new AtomicInteger();
    try (SpinPipeline p =
        new SpinPipeline(
            () -> {
              if (reads.incrementAndGet() == 4) {
                throw new IllegalArgumentException("bad record at batch 3");
              }
            },
            1)) {
      assertThatThrownBy(() -> p.run(10, worked::incrementAndGet))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("bad record at batch 3");
      // The reader is gone: a later run fails the same way at once.
      assertThatThrownBy(() -> p.run(1, worked::incrementAndGet))
          .hasMessage("bad record at batch 3");
    }
    assertThat(worked.get()).isEqualTo(3);
    assertThat(reads.get()).isEqualTo(4);
  }

  @Test
  void aDepthBelowOneIsRefused() {
    assertThatThrownBy(() -> new SpinPipeline(() -> {}, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("depth must be >= 1, got 0");
  }

  @Test
  void anEmptyRunReadsNothingAndCloseEndsTheReaderThread() {
    AtomicInteger calls = new AtomicInteger();
    try (SpinPipeline p = new SpinPipeline(calls::incrementAndGet, 1)) {
      p.run(0, calls::incrementAndGet);
    }
    assertThat(calls.get()).isZero();
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().equals("cortado-bench-spin-reader"));
  }
}
