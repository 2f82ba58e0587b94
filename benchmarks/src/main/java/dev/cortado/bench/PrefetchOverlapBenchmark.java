package dev.cortado.bench;

import dev.cortado.db.DbRegistry;
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
 * Prefetch overlap: a consumer that does a fixed amount of CPU work per batch ({@link
 * Blackhole#consumeCPU}) after taking it from the input net. Time per batch: without prefetch it is
 * producer + consumer; with prefetch it tends to max(producer, consumer) when a core is free for
 * the producer. {@code consumer} alone and {@code pipeline} with {@code consumerTokens=0} (the
 * producer alone) are measured in the same run for the comparison.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {Bench.OPEN_NIO, Bench.OPEN_NIO_CH})
public class PrefetchOverlapBenchmark {
  /** The consumer's fixed work per batch. */
  @State(Scope.Thread)
  public static class Work {
    /** {@link Blackhole#consumeCPU} tokens per batch. */
    @Param({"0", "10000"})
    public long consumerTokens;

    /**
     * Microseconds of busy-waiting per batch on top, as {@code cortado bench --consumer-work-us}
     * does: set it to the read time per batch to check the overlap goal.
     */
    @Param({"0"})
    public long consumerWorkUs;

    void spend() {
      Blackhole.consumeCPU(consumerTokens);
      if (consumerWorkUs > 0) {
        long end = System.nanoTime() + consumerWorkUs * 1000;
        while (System.nanoTime() - end < 0) {
          Thread.onSpinWait();
        }
      }
    }
  }

  /** The input net, with or without prefetch. */
  @State(Scope.Thread)
  public static class Input {
    @Param({"lmdb"})
    public String backend;

    @Param({Datasets.FMNIST_TRAIN})
    public String dataset;

    /** Records in the DB; 0 = the dataset's full size. */
    @Param({"0"})
    public int records;

    @Param({"64"})
    public int batchSize;

    @Param({"false", "true"})
    public boolean noPrefetch;

    /** The operator's prefetch_depth; 0 = its default. */
    @Param({"0"})
    public int prefetchDepth;

    InputNet net;

    @Setup(Level.Trial)
    public void open() {
      Datasets.Built db = Datasets.build(DbRegistry.fromServiceLoader(), dataset, records, backend);
      net = new InputNet(db, batchSize, noPrefetch, prefetchDepth, 0);
    }

    @TearDown(Level.Trial)
    public void close() {
      net.close();
    }
  }

  /** One batch taken from the net, then the consumer's work on it. */
  @Benchmark
  public void pipeline(Input input, Work work, Blackhole bh) {
    input.net.run();
    bh.consume(input.net.data());
    bh.consume(input.net.label());
    work.spend();
  }

  /** The consumer's work alone, for max(producer, consumer) versus the sum. */
  @Benchmark
  public void consumer(Work work) {
    work.spend();
  }
}
