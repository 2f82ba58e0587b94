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
 * Blackhole#consumeCPU}) after taking it from the input net. Time per batch: without prefetch it
 * is producer + consumer; with prefetch it tends to max(producer, consumer) when a core is free
 * for the producer. {@code consumer} alone and {@code pipeline} with {@code consumerTokens=0}
 * (the producer alone) are measured in the same run for the comparison.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {Bench.OPEN_NIO, Bench.OPEN_NIO_CH})
@State(Scope.Thread)
public class PrefetchOverlapBenchmark {
  @Param({"lmdb"})
  public String backend;

  @Param({Datasets.FMNIST_TRAIN})
  public String dataset;

  /** Records in the DB; 0 = the dataset's full size. */
  @Param({"0"})
  public int records;

  @Param({"64"})
  public int batchSize;

  /** The consumer's work per batch, in {@link Blackhole#consumeCPU} tokens. */
  @Param({"0", "10000"})
  public long consumerTokens;

  @Param({"false", "true"})
  public boolean noPrefetch;

  private InputNet net;

  @Setup(Level.Trial)
  public void open() {
    Datasets.Built db = Datasets.build(DbRegistry.fromServiceLoader(), dataset, records, backend);
    net = new InputNet(db, batchSize, noPrefetch, 0, 0);
  }

  @TearDown(Level.Trial)
  public void close() {
    net.close();
  }

  /** One batch taken from the net, then the consumer's work on it. */
  @Benchmark
  public void pipeline(Items items, Blackhole bh) {
    net.run();
    bh.consume(net.data());
    bh.consume(net.label());
    Blackhole.consumeCPU(consumerTokens);
    items.add(batchSize, net.outputBytes());
  }

  /** The consumer's work alone, for max(producer, consumer) versus the sum. */
  @Benchmark
  public void consumer(Items items) {
    Blackhole.consumeCPU(consumerTokens);
    items.add(batchSize, 0);
  }
}
