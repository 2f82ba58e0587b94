package dev.cortado.bench;

import dev.cortado.db.DbReader;
import dev.cortado.db.DbRegistry;
import dev.cortado.prefetch.internal.ParallelFor;
import dev.cortado.tensor.BatchLayout;
import dev.cortado.tensor.BatchTarget;
import dev.cortado.tensor.TensorProtosDecoder;
import java.nio.ByteBuffer;
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
 * Batch assembly with 1, 2 and 4 decode threads: the streaming decoder filling one pooled batch
 * from records already in memory (copied out of the dataset's LMDB once), each thread a contiguous
 * run of slots, forked and joined per batch by the operator's own {@link ParallelFor}. Isolates
 * decode + copy scaling from the store, the reader lock and the prefetch hand-off.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {Bench.OPEN_NIO, Bench.OPEN_NIO_CH})
@State(Scope.Thread)
public class AssemblyBenchmark {
  /** Values kept in memory (at most this many, and at most {@link #POOL_BYTES}). */
  private static final int POOL = 8192;

  private static final long POOL_BYTES = 256L << 20;

  @Param({"1", "2", "4"})
  public int threads;

  @Param({Datasets.FMNIST_TRAIN})
  public String dataset;

  /** Records in the source DB; 0 = the dataset's full size. */
  @Param({"0"})
  public int records;

  @Param({"64"})
  public int batchSize;

  private ByteBuffer[] values;
  private ParallelFor workers;
  private TensorProtosDecoder[] decoders;
  private BatchLayout layout;
  private BatchTarget target;
  private long outputBytes;
  private int next;
  private final Fill fill = new Fill();

  @Setup(Level.Trial)
  public void load() {
    DbRegistry registry = DbRegistry.fromServiceLoader();
    Datasets.Built built = Datasets.build(registry, dataset, records, "lmdb");
    int n =
        (int)
            Math.min(
                Math.min(built.records(), POOL),
                Math.max(batchSize, POOL_BYTES / built.maxValueBytes()));
    values = new ByteBuffer[n];
    try (DbReader reader = DbReader.open(registry, "lmdb", built.path().toString())) {
      for (int i = 0; i < n; i++) {
        int slot = i;
        reader.read(
            (key, value) -> {
              ByteBuffer copy = ByteBuffer.allocateDirect(value.remaining()).put(value).flip();
              values[slot] = copy.asReadOnlyBuffer();
            });
      }
    }
    decoders = new TensorProtosDecoder[threads];
    for (int i = 0; i < threads; i++) {
      decoders[i] = new TensorProtosDecoder();
    }
    decoders[0].parse(values[0], null);
    layout = BatchLayout.of(decoders[0], decoders[0].protoCount());
    target = BatchTarget.of(layout, layout.allocateBatch(batchSize));
    for (int i = 0; i < layout.numOutputs(); i++) {
      outputBytes += layout.batchBytes(i, batchSize);
    }
    workers = new ParallelFor("AssemblyBenchmark", threads);
  }

  @TearDown(Level.Trial)
  public void stop() {
    workers.close();
  }

  /** One batch of {@code batchSize} records decoded into the pooled batch by every thread. */
  @Benchmark
  public void assemble(Items items, Blackhole bh) throws Exception {
    fill.start = next;
    workers.run(batchSize, fill);
    next = (next + batchSize) % values.length;
    bh.consume(target);
    items.add(batchSize, outputBytes);
  }

  private final class Fill implements ParallelFor.Body {
    int start;

    @Override
    public void run(int worker, int from, int to) {
      TensorProtosDecoder decoder = decoders[worker];
      ByteBuffer[] v = values;
      for (int slot = from; slot < to; slot++) {
        layout.decodeInto(decoder, v[(start + slot) % v.length], null, target, slot);
      }
    }
  }
}
