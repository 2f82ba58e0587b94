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
 * The whole input path as a user runs it: {@code CreateDB} + {@code TensorProtosDBInput} through a
 * workspace net, one batch per invocation, per backend and batch size. With {@code -prof gc},
 * {@code gc.alloc.rate.norm} is the allocation per batch in steady state.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {Bench.OPEN_NIO, Bench.OPEN_NIO_CH})
@State(Scope.Thread)
public class OperatorBenchmark {
  @Param({"lmdb", "leveldb", "rocksdb", "minidb"})
  public String backend;

  @Param({Datasets.FMNIST_TRAIN})
  public String dataset;

  /** Records in the DB; 0 = the dataset's full size. */
  @Param({"0"})
  public int records;

  @Param({"64", "256"})
  public int batchSize;

  @Param({"false"})
  public boolean noPrefetch;

  /** The operator's prefetch_depth; 0 = its default. */
  @Param({"0"})
  public int prefetchDepth;

  /** The operator's decode_threads; 0 = its default. */
  @Param({"0"})
  public int decodeThreads;

  private InputNet net;

  @Setup(Level.Trial)
  public void open() {
    Datasets.Built db = Datasets.build(DbRegistry.fromServiceLoader(), dataset, records, backend);
    net = new InputNet(db, batchSize, noPrefetch, prefetchDepth, decodeThreads);
  }

  @TearDown(Level.Trial)
  public void close() {
    net.close();
  }

  /** One batch through the net. */
  @Benchmark
  public void batch(Items items, Blackhole bh) {
    net.run();
    bh.consume(net.data());
    bh.consume(net.label());
    items.add(batchSize, net.outputBytes());
  }
}
