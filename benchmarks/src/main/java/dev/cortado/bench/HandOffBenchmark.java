package dev.cortado.bench;

import dev.cortado.bench.handoff.LockFreeStealingRing;
import dev.cortado.bench.handoff.QueuePair;
import dev.cortado.bench.handoff.SpinPair;
import dev.cortado.prefetch.internal.Prefetcher;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The prefetch hand-off candidates side by side, on the same synthetic batches: a producer thread
 * fills a slot with {@code fillTokens} of {@link Blackhole#consumeCPU} work (10000 tokens is about
 * the decode time of a 64-image Fashion-MNIST batch), the benchmark thread takes it and spends
 * {@code consumerTokens} on it. Time per batch, depth 1 (Caffe2's).
 *
 * <ul>
 *   <li>{@code lockfree-steal}: the lock-free ring with spin-yield-park waits and work stealing
 *       that the prefetch operator used before;
 *   <li>{@code prefetcher-nopoll}: {@link Prefetcher} with polling turned off ({@code
 *       cortado.prefetch.spin_ns=0}): every wait parks;
 *   <li>{@code prefetcher}: {@link Prefetcher} as shipped (two counters on cache lines of their
 *       own, a claim touched only when a side steps aside, work stealing), polling adaptively up to
 *       its default before it parks. Put another build's operator-api jar first on the class path
 *       to measure that build's prefetcher;
 *   <li>{@code abq}, {@code abq-spin}: two {@code ArrayBlockingQueue}s (ready, free), the consumer
 *       blocking at once or polling up to 50 us first;
 *   <li>{@code floor}: {@link SpinPair}, two counters and both sides spinning without bound, with
 *       no failure, close or parking protocol: the round trip between the cores alone, as a
 *       reference.
 * </ul>
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar HandOffBenchmark</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {Bench.OPEN_NIO, Bench.OPEN_NIO_CH})
public class HandOffBenchmark {
  static final long SPIN_NANOS = 50_000;

  /** A slot holding the last fill's result, so the work is not dead code. */
  static final class Slot {
    long value;
  }

  /** The synthetic producer work. */
  static final class Source implements Prefetcher.Source<Slot> {
    private final long tokens;
    private long seq;

    Source(long tokens) {
      this.tokens = tokens;
    }

    @Override
    public Slot newBatch() {
      return new Slot();
    }

    @Override
    public void fill(Slot batch) {
      Blackhole.consumeCPU(tokens);
      batch.value = seq++;
    }

    @Override
    public String describeInFlight() {
      return "";
    }

    @Override
    public boolean isFree(Slot batch) {
      return true;
    }

    @Override
    public void handOver(Slot batch, Runnable onFree) {}

    @Override
    public void release(Slot batch) {}
  }

  @State(Scope.Thread)
  public static class Ring {
    @Param({"lockfree-steal", "prefetcher-nopoll", "prefetcher", "abq", "abq-spin", "floor"})
    public String candidate;

    @Param({"10000"})
    public long fillTokens;

    @Param({"0", "10000"})
    public long consumerTokens;

    private LockFreeStealingRing<Slot> lockFree;
    private Prefetcher<Slot> prefetcher;
    private QueuePair<Slot> queues;
    private SpinPair<Slot> floor;

    @Setup(Level.Trial)
    public void open() {
      Source source = new Source(fillTokens);
      switch (candidate) {
        case "lockfree-steal" -> lockFree = new LockFreeStealingRing<>("bench", source, 1);
        case "prefetcher-nopoll", "prefetcher" -> {
          String was = System.getProperty("cortado.prefetch.spin_ns");
          if (candidate.equals("prefetcher-nopoll")) {
            System.setProperty("cortado.prefetch.spin_ns", "0");
          } else {
            System.clearProperty("cortado.prefetch.spin_ns");
          }
          prefetcher = new Prefetcher<>("bench", source, 1, 0);
          if (was == null) {
            System.clearProperty("cortado.prefetch.spin_ns");
          } else {
            System.setProperty("cortado.prefetch.spin_ns", was);
          }
        }
        case "abq" -> queues = new QueuePair<>("bench", source, 1, 0);
        case "abq-spin" -> queues = new QueuePair<>("bench", source, 1, SPIN_NANOS);
        case "floor" -> floor = new SpinPair<>("bench", source);
        default -> throw new IllegalArgumentException("unknown candidate " + candidate);
      }
    }

    Slot take() throws InterruptedException {
      if (lockFree != null) {
        return lockFree.take();
      }
      if (prefetcher != null) {
        return prefetcher.take();
      }
      if (floor != null) {
        return floor.take();
      }
      return queues.take();
    }

    @TearDown(Level.Trial)
    public void close() throws InterruptedException {
      if (lockFree != null) {
        lockFree.close();
      }
      if (prefetcher != null) {
        prefetcher.close();
      }
      if (queues != null) {
        queues.close();
      }
      if (floor != null) {
        floor.close();
      }
    }
  }

  /** One batch handed over and consumed. */
  @Benchmark
  public long batch(Ring ring) throws InterruptedException {
    long v = ring.take().value;
    Blackhole.consumeCPU(ring.consumerTokens);
    return v;
  }

  /** The producer's work alone, measured once. */
  @State(Scope.Thread)
  public static class Alone {
    @Param({"10000"})
    public long aloneTokens;
  }

  /** The producer's work alone, on this thread: the floor of {@code batch} at consumer 0. */
  @Benchmark
  public void fillAlone(Alone alone) {
    Blackhole.consumeCPU(alone.aloneTokens);
  }
}
