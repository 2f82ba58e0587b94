package dev.cortado.prefetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.prefetch.internal.Prefetcher;
import dev.cortado.tensor.DecodeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PrefetcherTest {

  /** A batch holding the sequence number it was filled with. */
  static final class Numbered extends PrefetchBatch {
    long value = -1;
    Thread filledBy;
  }

  /** Fills batches 0, 1, 2, ... and counts fills and slots. */
  static class Counting extends BatchSource<Numbered> {
    final AtomicInteger fills = new AtomicInteger();
    final AtomicInteger slotsMade = new AtomicInteger();

    @Override
    public Numbered newBatch() {
      slotsMade.incrementAndGet();
      return new Numbered();
    }

    @Override
    public void fill(Numbered batch) throws Exception {
      batch.value = fills.getAndIncrement();
      batch.filledBy = Thread.currentThread();
    }
  }

  private static String owner() {
    return "test-" + UUID.randomUUID();
  }

  private static Set<Thread> threadsOf(String owner) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().contains(owner))
        .collect(Collectors.toSet());
  }

  /** Polls (no timing assertion: the deadline only keeps a broken build from hanging). */
  private static void await(String what, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("gave up waiting for: " + what);
      }
      Thread.sleep(1);
    }
  }

  /**
   * Starts {@code body} on a new thread named {@code name}; what it throws lands in {@code thrown}.
   */
  private static Thread startCatching(
      String name, Runnable body, AtomicReference<Throwable> thrown) {
    return startCatching(name, body, thrown, null);
  }

  /** The same, publishing the thread in {@code started} (when not null) before it runs. */
  private static Thread startCatching(
      String name,
      Runnable body,
      AtomicReference<Throwable> thrown,
      AtomicReference<Thread> started) {
    Thread t =
        new Thread(
            () -> {
              try {
                body.run();
              } catch (Throwable e) {
                thrown.set(e);
              }
            },
            name);
    if (started != null) {
      started.set(t);
    }
    t.start();
    return t;
  }

  private static Thread producerOf(String owner) throws InterruptedException {
    AtomicReference<Thread> found = new AtomicReference<>();
    await(
        "producer thread of " + owner,
        () -> {
          Set<Thread> ts = threadsOf(owner);
          if (ts.size() == 1) {
            found.set(ts.iterator().next());
            return true;
          }
          return false;
        });
    return found.get();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 4})
  void batchesArriveInOrder(int depth) {
    String owner = owner();
    Counting source = new Counting();
    try (Prefetcher<Numbered> p = new Prefetcher<>(owner, source, depth, 0)) {
      for (int i = 0; i < 1000; i++) {
        assertThat(p.take().value).isEqualTo(i);
      }
      assertThat(source.slotsMade.get()).isLessThanOrEqualTo(Math.max(depth, 1) + 1);
      PrefetchMetrics m = p.metrics();
      assertThat(m.batchesTaken()).isEqualTo(1000);
      assertThat(m.depth()).isEqualTo(depth);
      assertThat(m.maxOccupancy()).isLessThanOrEqualTo(depth);
    }
    assertThat(threadsOf(owner)).isEmpty();
  }

  @Test
  void producerFillTimeCountsTheProducersFillsOnly() throws Exception {
    String owner = owner();
    Counting source =
        new Counting() {
          @Override
          public void fill(Numbered batch) throws Exception {
            if (Thread.currentThread().getName().contains(owner)) {
              Thread.sleep(3); // on the producer thread
            }
            super.fill(batch);
          }
        };
    try (Prefetcher<Numbered> p = new Prefetcher<>(owner, source, 1, 0)) {
      for (int i = 0; i < 20; i++) {
        p.take();
        Thread.sleep(5); // a consumer slower than the producer: the producer reads ahead
      }
      PrefetchMetrics m = p.metrics();
      long producerFills = m.producerFills();
      assertThat(producerFills).isPositive();
      assertThat(producerFills + m.consumerFills()).isEqualTo(m.batchesProduced());
      assertThat(m.producerFillNanos()).isGreaterThanOrEqualTo(producerFills * 3_000_000L);
      assertThat(m.meanProducerFillNanos())
          .isEqualTo(producerFills == 0 ? 0.0 : (double) m.producerFillNanos() / producerFills);
    }
  }

  @Test
  void noThreadBeforeTheFirstTake() {
    String owner = owner();
    Counting source = new Counting();
    try (Prefetcher<Numbered> p = new Prefetcher<>(owner, source, 1, 0)) {
      assertThat(threadsOf(owner)).isEmpty();
      assertThat(source.fills.get()).isZero();
      assertThat(p.producerStopped()).isTrue();
    }
  }

  @Test
  void inlineModeFillsOnTheCallersThreadAndStartsNoThread() {
    String owner = owner();
    Counting source = new Counting();
    try (Prefetcher<Numbered> p = new Prefetcher<>(owner, source, 0, 0)) {
      for (int i = 0; i < 5; i++) {
        Numbered b = p.take();
        assertThat(b.value).isEqualTo(i);
        assertThat(b.filledBy).isSameAs(Thread.currentThread());
        assertThat(source.fills.get()).isEqualTo(i + 1);
      }
      assertThat(threadsOf(owner)).isEmpty();
    }
  }

  /**
   * Caffe2 at depth 1: after the k-th Run the producer has read exactly k + 1 batches and then
   * waits; at depth D it has read k + D.
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 2, 4})
  void readsExactlyDepthBatchesAhead(int depth) throws Exception {
    String owner = owner();
    Counting source = new Counting();
    try (Prefetcher<Numbered> p = new Prefetcher<>(owner, source, depth, 0)) {
      for (int k = 1; k <= 6; k++) {
        p.take();
        int expected = k + depth;
        await("fill " + expected, () -> source.fills.get() >= expected);
        Thread producer = producerOf(owner);
        // Parked means waiting for room: it cannot fill again until the next take.
        await("producer parked", () -> producer.getState() == Thread.State.WAITING);
        assertThat(source.fills.get()).as("batches read after run %d", k).isEqualTo(expected);
      }
    }
    assertThat(source.fills.get()).isEqualTo(6 + depth);
  }

  @Test
  void occupancyIsWhatATakeFindsOnArrival() throws Exception {
    String owner = owner();
    Counting source = new Counting();
    try (Prefetcher<Numbered> p = new Prefetcher<>(owner, source, 4, 0)) {
      p.take(); // nothing was ready: it waited or filled batch 0 itself
      await("five fills", () -> source.fills.get() >= 5);
      Thread producer = producerOf(owner);
      await("producer parked", () -> producer.getState() == Thread.State.WAITING);
      p.take(); // four were ready
      PrefetchMetrics m = p.metrics();
      assertThat(m.waits() + m.consumerFills()).isEqualTo(1);
      assertThat(m.maxOccupancy()).isEqualTo(4);
      assertThat(m.occupancySum()).isEqualTo(4);
      assertThat(m.meanOccupancy()).isEqualTo(2.0);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 4})
  void producerFailureReachesTheConsumerAfterTheEarlierBatches(int depth) {
    String owner = owner();
    DecodeException cause =
        new DecodeException("record '00000003' in minidb '/x.minidb': float_data holds 3 values");
    Counting source =
        new Counting() {
          @Override
          public void fill(Numbered batch) throws Exception {
            if (fills.get() == 3) {
              throw cause;
            }
            super.fill(batch);
          }
        };
    try (Prefetcher<Numbered> p = new Prefetcher<>(owner, source, depth, 0)) {
      for (int i = 0; i < 3; i++) {
        assertThat(p.take().value).isEqualTo(i);
      }
      for (int again = 0; again < 3; again++) {
        assertThatThrownBy(p::take)
            .isInstanceOf(PrefetchException.class)
            .hasMessageStartingWith("prefetching batch 3 failed: ")
            .hasMessageContaining("record '00000003' in minidb '/x.minidb'")
            .hasCause(cause);
      }
    }
    // The producer stopped at the failure: it read nothing after the bad batch.
    assertThat(source.fills.get()).isEqualTo(3);
    assertThat(threadsOf(owner)).isEmpty();
  }

  @Test
  void anErrorInTheProducerIsDeliveredToo() {
    String owner = owner();
    Counting source =
        new Counting() {
          @Override
          public void fill(Numbered batch) {
            throw new StackOverflowError();
          }
        };
    try (Prefetcher<Numbered> p = new Prefetcher<>(owner, source, 1, 0)) {
      assertThatThrownBy(p::take)
          .isInstanceOf(PrefetchException.class)
          .hasMessageContaining("java.lang.StackOverflowError")
          .hasCauseInstanceOf(StackOverflowError.class);
    }
  }

  @Test
  void closeDuringPrefetchStopsTheThreadWithinTheBound() throws Exception {
    String owner = owner();
    Counting source = new Counting();
    Prefetcher<Numbered> p = new Prefetcher<>(owner, source, 4, 0);
    for (int i = 0; i < 10; i++) {
      p.take();
    }
    assertThat(threadsOf(owner)).hasSize(1);
    // close() throws when the producer outlives the 1 s bound, so returning normally proves it.
    p.close();
    assertThat(p.producerStopped()).isTrue();
    assertThat(threadsOf(owner)).isEmpty();
    p.close(); // idempotent
    assertThatThrownBy(p::take)
        .isInstanceOf(PrefetchException.class)
        .hasMessageContaining("closed");
    PrefetchMetrics m = p.metrics();
    assertThat(m.batchesDiscarded()).isEqualTo(source.fills.get() - 10L);
  }

  @Test
  void aBatchInFlightAtCloseIsFinishedAndThrownAway() throws Exception {
    String owner = owner();
    CountDownLatch inSecondFill = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    Counting source =
        new Counting() {
          @Override
          public void fill(Numbered batch) throws Exception {
            if (fills.get() == 1) {
              inSecondFill.countDown();
              finish.await();
            }
            super.fill(batch);
          }
        };
    Prefetcher<Numbered> p = new Prefetcher<>(owner, source, 1, 0);
    assertThat(p.take().value).isZero();
    inSecondFill.await();
    Thread closer = new Thread(p::close, "closer-" + owner);
    closer.start();
    await("close waits for the read-ahead", () -> closer.getState() == Thread.State.TIMED_WAITING);
    finish.countDown();
    closer.join();
    assertThat(source.fills.get()).as("the batch in flight was read to its end").isEqualTo(2);
    assertThat(p.metrics().batchesDiscarded()).isEqualTo(1);
    assertThat(threadsOf(owner)).isEmpty();
  }

  @Test
  void aProducerBlockedInterruptiblyIsInterruptedAtClose() throws Exception {
    String owner = owner();
    CountDownLatch blocked = new CountDownLatch(1);
    Counting source =
        new Counting() {
          @Override
          public void fill(Numbered batch) throws Exception {
            if (fills.get() == 1) {
              blocked.countDown();
              new CountDownLatch(1).await(); // like a read that only an interrupt ends
            }
            super.fill(batch);
          }
        };
    Prefetcher<Numbered> p = new Prefetcher<>(owner, source, 1, 0);
    p.take();
    blocked.await();
    // The read-ahead was cut short: close says so, and the thread is gone.
    assertThatThrownBy(p::close)
        .isInstanceOf(PrefetchException.class)
        .hasMessageContaining("was interrupted after 750 ms")
        .hasMessageContaining("had finished 1 of the 2 batches that the read-ahead reads")
        .hasMessageContaining("batch 1 is lost");
    assertThat(p.producerStopped()).isTrue();
    assertThat(threadsOf(owner)).isEmpty();
    p.close(); // idempotent: reported once
  }

  @Test
  void aStuckProducerIsReportedWithWhatWasLost() throws Exception {
    String owner = owner();
    CountDownLatch blocked = new CountDownLatch(1);
    CountDownLatch unstick = new CountDownLatch(1);
    Counting source =
        new Counting() {
          @Override
          public void fill(Numbered batch) {
            if (fills.get() == 1) {
              blocked.countDown();
              boolean done = false;
              while (!done) { // ignores interrupts, like a native read
                try {
                  done = unstick.await(1, TimeUnit.DAYS);
                } catch (InterruptedException ignored) {
                  // keep waiting
                }
              }
            }
            fills.incrementAndGet();
          }

          @Override
          public String describeInFlight() {
            return "5 of 64 records read from minidb '/data/x.minidb'";
          }
        };
    Prefetcher<Numbered> p = new Prefetcher<>(owner, source, 1, 0);
    p.take();
    blocked.await();
    assertThatThrownBy(p::close)
        .isInstanceOf(PrefetchException.class)
        .hasMessageContaining("did not stop within 1000 ms")
        .hasMessageContaining("batch 1 is lost")
        .hasMessageContaining("5 of 64 records read from minidb '/data/x.minidb'");
    assertThat(p.producerStopped()).isFalse();
    p.close(); // idempotent: reported once
    unstick.countDown();
    await("stuck producer ends", () -> threadsOf(owner).isEmpty());
  }

  @Test
  void aConsumerWaitingWhenAnotherThreadClosesIsWokenWithAnError() throws Exception {
    String owner = owner();
    CountDownLatch blocked = new CountDownLatch(1);
    Counting source =
        new Counting() {
          @Override
          public void fill(Numbered batch) throws Exception {
            if (fills.get() == 1) {
              blocked.countDown();
              new CountDownLatch(1).await(); // only an interrupt ends it
            }
            super.fill(batch);
          }
        };
    Prefetcher<Numbered> p = new Prefetcher<>(owner, source, 1, 0);
    p.take();
    blocked.await(); // the producer claimed batch 1 and is stuck in it
    AtomicReference<Throwable> seen = new AtomicReference<>();
    Thread consumer = startCatching("consumer-" + owner, p::take, seen);
    await(
        "consumer waiting",
        () ->
            consumer.getState() == Thread.State.TIMED_WAITING
                || consumer.getState() == Thread.State.WAITING);
    assertThatThrownBy(p::close).hasMessageContaining("batch 1 is lost");
    consumer.join();
    assertThat(seen.get()).isInstanceOf(PrefetchException.class).hasMessageContaining("closed");
    assertThat(threadsOf(owner)).isEmpty();
  }

  /** Producer and consumer both fill; whatever the interleaving, fills never overlap. */
  @Test
  void fillsNeverOverlapWhoeverMakesThem() {
    String owner = owner();
    AtomicInteger active = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    AtomicInteger onConsumer = new AtomicInteger();
    Thread me = Thread.currentThread();
    Counting source =
        new Counting() {
          @Override
          public void fill(Numbered batch) throws Exception {
            if (active.incrementAndGet() != 1) {
              overlaps.incrementAndGet();
            }
            if (Thread.currentThread() == me) {
              onConsumer.incrementAndGet();
            }
            Thread.onSpinWait();
            super.fill(batch);
            active.decrementAndGet();
          }
        };
    try (Prefetcher<Numbered> p = new Prefetcher<>(owner, source, 1, 0)) {
      for (int i = 0; i < 5000; i++) {
        assertThat(p.take().value).isEqualTo(i);
      }
      assertThat(overlaps.get()).isZero();
      assertThat(p.metrics().consumerFills()).isEqualTo(onConsumer.get());
    }
  }

  /**
   * Close from another thread while the consumer fills a batch on its own thread (the first take
   * claims batch 0 before it starts the producer, so it fills it itself): close waits for that
   * fill, and the producer then reads batch 1 ahead; nothing is lost and close does not time out.
   */
  @Test
  void closeDuringAFillOnTheConsumersThreadStillReadsAhead() throws Exception {
    String owner = owner();
    CountDownLatch inFill = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<Thread> consumer = new AtomicReference<>();
    Counting source =
        new Counting() {
          @Override
          public void fill(Numbered batch) throws Exception {
            if (Thread.currentThread() == consumer.get()) {
              inFill.countDown();
              release.await();
            }
            super.fill(batch);
          }
        };
    Prefetcher<Numbered> p = new Prefetcher<>(owner, source, 1, 0);
    AtomicLong taken = new AtomicLong(-1);
    AtomicReference<Throwable> takeFailed = new AtomicReference<>();
    Thread c =
        startCatching("consumer-" + owner, () -> taken.set(p.take().value), takeFailed, consumer);
    assertThat(inFill.await(20, TimeUnit.SECONDS))
        .as("the first take fills batch 0 itself")
        .isTrue();
    AtomicReference<Throwable> closeFailed = new AtomicReference<>();
    Thread closer = startCatching("closer-" + owner, p::close, closeFailed, null);
    await("close waits", () -> closer.getState() == Thread.State.TIMED_WAITING);
    release.countDown();
    closer.join();
    c.join();
    assertThat(closeFailed.get()).as("close").isNull();
    assertThat(takeFailed.get()).as("take").isNull();
    assertThat(taken.get()).isZero();
    assertThat(source.fills.get()).as("batches read").isEqualTo(2);
    assertThat(threadsOf(owner)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 3})
  void aRetainedBatchIsNotRefilledUntilReleased(int depth) throws Exception {
    String owner = owner();
    Counting source = new Counting();
    try (Prefetcher<Numbered> p = new Prefetcher<>(owner, source, depth, 1)) {
      List<Numbered> retained = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        Numbered b = p.take();
        assertThat(b.value).isEqualTo(i);
        b.retain();
        retained.add(b);
        // Release the one before last from another thread, as a CUDA callback would.
        if (retained.size() == 2) {
          Numbered old = retained.remove(0);
          long value = old.value;
          Thread releaser = new Thread(old::release);
          releaser.start();
          releaser.join();
          assertThat(value).isEqualTo(i - 1);
        }
        // The batch we still hold keeps its contents.
        assertThat(retained.get(retained.size() - 1).value).isEqualTo(i);
      }
      assertThat(source.slotsMade.get()).isLessThanOrEqualTo(Math.max(depth, 1) + 2);
      retained.forEach(PrefetchBatch::release);
    }
    assertThat(threadsOf(owner)).isEmpty();
  }

  /**
   * A slot that was never retained is free as soon as the next take drops it, which the producer
   * knows from the takes alone; the first retain, late in the run and with no spare slot, must
   * still keep the producer off that slot until its release.
   */
  @ParameterizedTest
  @ValueSource(ints = {0, 1, 3})
  void aFirstRetainLateInTheRunStillHoldsTheSlot(int depth) throws Exception {
    String owner = owner();
    Counting source = new Counting();
    int slots = Math.max(depth, 1) + 1;
    try (Prefetcher<Numbered> p = new Prefetcher<>(owner, source, depth, 0)) {
      // Takes a millisecond apart, so that the producer reads ahead rather than the takes.
      for (int i = 0; i < 50; i++) {
        Thread.sleep(1);
        assertThat(p.take().value).isEqualTo(i);
      }
      Thread.sleep(1);
      Numbered held = p.take();
      assertThat(held.value).isEqualTo(50);
      held.retain();
      // The takes up to the one that would reuse the held slot; the producer reads ahead meanwhile.
      for (int i = 51; i < 50 + slots; i++) {
        Thread.sleep(1);
        assertThat(p.take().value).isEqualTo(i);
      }
      await("the read-ahead up to the held slot", () -> source.fills.get() >= 50 + slots);
      Thread.sleep(50);
      assertThat(held.value).as("the retained batch keeps its contents").isEqualTo(50);
      assertThat(source.fills.get()).as("nothing filled into the held slot").isEqualTo(50 + slots);
      AtomicBoolean released = new AtomicBoolean();
      Thread releaser =
          new Thread(
              () -> {
                try {
                  Thread.sleep(50);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                released.set(true);
                held.release();
              });
      releaser.start();
      assertThat(p.take().value).as("the take after the release").isEqualTo(50 + slots);
      assertThat(released).as("that take waited for the release").isTrue();
      releaser.join();
      assertThat(source.slotsMade.get()).isEqualTo(slots);
    }
    assertThat(threadsOf(owner)).isEmpty();
  }

  /**
   * The producer has not started the read-ahead when close is called (as when its thread was not
   * scheduled since the last take): close waits for it, so the reader has still given out exactly k
   * + depth batches.
   */
  @ParameterizedTest
  @CsvSource({"1, 1", "1, 3", "4, 1", "4, 6"})
  void closeFinishesAReadAheadTheProducerHasNotStarted(int depth, int runs) throws Exception {
    String owner = owner();
    java.util.concurrent.Semaphore permits = new java.util.concurrent.Semaphore(0);
    Counting source =
        new Counting() {
          @Override
          public void fill(Numbered batch) throws Exception {
            permits.acquire();
            super.fill(batch);
          }
        };
    Prefetcher<Numbered> p = new Prefetcher<>(owner, source, depth, 0);
    permits.release(runs); // only the batches the runs wait for
    for (int k = 0; k < runs; k++) {
      assertThat(p.take().value).isEqualTo(k);
    }
    Thread closer = new Thread(p::close, "closer-" + owner);
    closer.start();
    await("close waits for the read-ahead", () -> closer.getState() == Thread.State.TIMED_WAITING);
    assertThat(source.fills.get()).isEqualTo(runs);
    permits.release(depth + 10); // more than the read-ahead: close must not read past it
    closer.join();
    assertThat(source.fills.get()).isEqualTo(runs + depth);
    assertThat(p.metrics().batchesDiscarded()).isEqualTo(depth);
    assertThat(threadsOf(owner)).isEmpty();
  }

  /** Whatever the schedule, k takes and a close read exactly k + depth batches. */
  @ParameterizedTest
  @CsvSource({"1, false", "4, false", "1, true", "4, true"})
  void readAheadAtCloseIsExactOnEverySchedule(int depth, boolean busyCores) throws Exception {
    List<Thread> hogs = new ArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    if (busyCores) {
      for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
        Thread hog =
            new Thread(
                () -> {
                  while (!stop.get()) {
                    Thread.onSpinWait();
                  }
                },
                "hog");
        hog.setDaemon(true);
        hog.start();
        hogs.add(hog);
      }
    }
    try {
      for (int round = 0; round < 300; round++) {
        String owner = owner();
        Counting source = new Counting();
        // Every fourth round takes a longer run of batches back to back before the close.
        int runs = round % 4 == 3 ? 20 + round % 17 : 1 + round % 5;
        Prefetcher<Numbered> p = new Prefetcher<>(owner, source, depth, 0);
        for (int k = 0; k < runs; k++) {
          assertThat(p.take().value).isEqualTo(k);
        }
        if (round % 3 == 0) {
          Thread.yield();
        }
        p.close();
        assertThat(source.fills.get()).as("batches read, round %d", round).isEqualTo(runs + depth);
      }
    } finally {
      stop.set(true);
      for (Thread h : hogs) {
        h.join();
      }
    }
  }

  @Test
  void retainWithoutHoldingIsAnError() {
    Numbered b = new Numbered();
    assertThatThrownBy(b::retain).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(b::release).isInstanceOf(IllegalStateException.class);
  }
}
