package dev.cortado.prefetch.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A consumer that comes straight back for its next batch reads its batches itself ({@code paced});
 * these tests drive a prefetcher into that state and check what it must still do: hand the reading
 * back to the producer when the consumer slows down or a slot is still held, and read ahead at
 * close.
 */
class PacedConsumerTest {
  /** A slot with a reference count and the number it was filled with. */
  static final class Slot {
    final AtomicInteger refs = new AtomicInteger();
    volatile Runnable onFree;
    volatile long value = -1;
    volatile Thread filledBy;

    void release() {
      if (refs.decrementAndGet() == 0) {
        onFree.run();
      }
    }
  }

  /** Fills 0, 1, 2, ... */
  static final class Source implements Prefetcher.Source<Slot> {
    final AtomicInteger fills = new AtomicInteger();

    @Override
    public Slot newBatch() {
      return new Slot();
    }

    @Override
    public void fill(Slot batch) {
      batch.value = fills.getAndIncrement();
      batch.filledBy = Thread.currentThread();
    }

    @Override
    public String describeInFlight() {
      return "";
    }

    @Override
    public boolean isFree(Slot batch) {
      return batch.refs.get() == 0;
    }

    @Override
    public void handOver(Slot batch, Runnable onFree) {
      batch.onFree = onFree;
      batch.refs.set(1);
    }

    @Override
    public void release(Slot batch) {
      batch.release();
    }
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("gave up waiting for: " + what);
      }
      Thread.sleep(1);
    }
  }

  /** A prefetcher whose consumer counts as quick whenever it comes back within 100 ms. */
  private static Prefetcher<Slot> paced(Source source, int depth) {
    return new Prefetcher<>("paced", source, depth, 0, true, TimeUnit.MILLISECONDS.toNanos(100));
  }

  /** Takes back to back until the prefetcher is paced; returns how many were taken. */
  private static long takeUntilPaced(Prefetcher<Slot> p) {
    long taken = 0;
    for (int i = 0; i < 10 && !p.paced(); i++) {
      assertThat(p.take().value).isEqualTo(taken);
      taken++;
    }
    assertThat(p.paced()).as("paced after %d back-to-back takes", taken).isTrue();
    return taken;
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 4})
  void aPacedConsumerFillsItsOwnBatches(int depth) {
    Source source = new Source();
    try (Prefetcher<Slot> p = paced(source, depth)) {
      long k = takeUntilPaced(p);
      // The producer may finish what it started before the consumer became paced.
      for (int i = 0; i < depth + 1; i++) {
        assertThat(p.take().value).isEqualTo(k++);
      }
      long fillsBefore = p.metrics().consumerFills();
      int onConsumer = 0;
      for (int i = 0; i < 50; i++) {
        Slot s = p.take();
        assertThat(s.value).isEqualTo(k++);
        if (s.filledBy == Thread.currentThread()) {
          onConsumer++;
        }
      }
      assertThat(p.metrics().consumerFills() - fillsBefore).isEqualTo(50);
      assertThat(onConsumer).isEqualTo(50);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 4})
  void closeReadsAheadForAPacedConsumer(int depth) {
    Source source = new Source();
    Prefetcher<Slot> p = paced(source, depth);
    long k = takeUntilPaced(p);
    p.close();
    assertThat(source.fills.get()).as("batches read after %d takes", k).isEqualTo(k + depth);
    assertThat(p.producerStopped()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 4})
  void aSlowTakeHandsTheReadingBackToTheProducer(int depth) throws Exception {
    Source source = new Source();
    try (Prefetcher<Slot> p = paced(source, depth)) {
      long k = takeUntilPaced(p);
      // One late take (a preempted consumer) changes nothing.
      Thread.sleep(150);
      assertThat(p.take().value).isEqualTo(k++);
      assertThat(p.paced()).isTrue();
      // The consumer now works between takes: from the second late take the producer reads ahead.
      for (int i = 0; i < 3; i++) {
        Thread.sleep(150);
        assertThat(p.take().value).isEqualTo(k++);
        assertThat(p.paced()).isFalse();
        long expected = k + depth;
        await("read-ahead to " + expected, () -> source.fills.get() == expected);
      }
    }
  }

  /**
   * A paced take whose slot is still held by someone else (an asynchronous copy) cannot fill it;
   * the slot's release must wake whoever fills it then.
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 2})
  @Timeout(10)
  void aPacedTakeWaitsForAHeldSlotAndGetsIt(int depth) throws Exception {
    Source source = new Source();
    try (Prefetcher<Slot> p = paced(source, depth)) {
      long k = takeUntilPaced(p);
      int slots = depth + 1;
      // Hold every slot but the one of the next batch, then take back to back.
      Slot held = p.take();
      held.refs.incrementAndGet();
      k++;
      for (int i = 1; i < slots; i++) {
        assertThat(p.take().value).isEqualTo(k++);
      }
      // Batch k lands in the held slot; another thread releases it after a pause.
      long want = k;
      Thread releaser =
          new Thread(
              () -> {
                try {
                  Thread.sleep(50);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                held.release();
              });
      releaser.start();
      Slot s = p.take();
      releaser.join();
      assertThat(s).isSameAs(held);
      assertThat(s.value).isEqualTo(want);
    }
  }
}
