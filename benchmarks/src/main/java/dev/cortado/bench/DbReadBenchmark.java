package dev.cortado.bench;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbReader;
import dev.cortado.db.DbRegistry;
import dev.cortado.db.Mode;
import dev.cortado.db.RecordVisitor;
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
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Raw reads per backend, one batch of records per invocation, wrapping at the end of the DB: the
 * bare cursor walk, the floor (cursor walk plus one copy of each value into a batch buffer, no
 * parsing), the same two through {@link DbReader} (lock, shard bookkeeping), and the reader with
 * the streaming decoder writing each record into its batch slot on one thread (what the input
 * operator does per batch, without the operator).
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {Bench.OPEN_NIO, Bench.OPEN_NIO_CH})
@State(Scope.Thread)
public class DbReadBenchmark {
  @Param({"lmdb", "leveldb", "rocksdb", "minidb"})
  public String backend;

  @Param({Datasets.FMNIST_TRAIN})
  public String dataset;

  /** Records in the DB; 0 = the dataset's full size. */
  @Param({"0"})
  public int records;

  @Param({"64"})
  public int batchSize;

  private Datasets.Built built;
  private Db db;
  private Cursor cursor;
  private DbReader reader;
  private ByteBuffer batch;
  private int slotBytes;
  private final Consume consume = new Consume();
  private final CopyToBatch copy = new CopyToBatch();
  private final DecodeToBatch decode = new DecodeToBatch();

  @Setup(Level.Trial)
  public void open() {
    DbRegistry registry = DbRegistry.fromServiceLoader();
    built = Datasets.build(registry, dataset, records, backend);
    db = registry.open(backend, built.path().toString(), Mode.READ);
    cursor = db.newCursor();
    reader = DbReader.open(registry, backend, built.path().toString());
    // Slots start 64-byte aligned, as the operator's batch tensors are.
    slotBytes = (built.maxValueBytes() + 63) & ~63;
    batch = Bench.direct((long) slotBytes * batchSize);
    decode.prepare(reader, batchSize);
  }

  @TearDown(Level.Trial)
  public void close() {
    Bench.closeAll(reader, cursor, db);
  }

  /** The bare zero-copy cursor walk: the store's own cost per record. */
  @Benchmark
  public void cursorWalk(Items items, Blackhole bh) {
    Cursor c = cursor;
    long bytes = 0;
    for (int i = 0; i < batchSize; i++) {
      if (!c.valid()) {
        c.seekToFirst();
      }
      ByteBuffer k = c.key();
      ByteBuffer v = c.value();
      bytes += v.remaining();
      bh.consume(k);
      bh.consume(v);
      c.next();
    }
    items.add(batchSize, bytes);
  }

  /** The floor: cursor walk plus one copy of each value into its slot of a batch buffer. */
  @Benchmark
  public void floor(Items items, Blackhole bh) {
    Cursor c = cursor;
    ByteBuffer out = batch;
    long bytes = 0;
    for (int i = 0; i < batchSize; i++) {
      if (!c.valid()) {
        c.seekToFirst();
      }
      ByteBuffer v = c.value();
      int len = v.remaining();
      out.put(i * slotBytes, v, v.position(), len);
      bytes += len;
      c.next();
    }
    bh.consume(out);
    items.add(batchSize, bytes);
  }

  /** {@link DbReader#readBatch} handing each record to a visitor that only looks at it. */
  @Benchmark
  public void readerBatch(Items items, Blackhole bh) {
    consume.bh = bh;
    consume.bytes = 0;
    reader.readBatch(batchSize, consume);
    items.add(batchSize, consume.bytes);
  }

  /** The floor through {@link DbReader}: one copy of each value into the batch buffer. */
  @Benchmark
  public void readerBatchCopy(Items items, Blackhole bh) {
    copy.batch = batch;
    copy.slotBytes = slotBytes;
    copy.slot = 0;
    copy.bytes = 0;
    reader.readBatch(batchSize, copy);
    bh.consume(batch);
    items.add(batchSize, copy.bytes);
  }

  /**
   * {@link DbReader#readBatch} with the streaming decoder writing each record straight into its
   * slot of the batch tensors, on one thread: the input operator's work without the operator.
   */
  @Benchmark
  public void readerDecodeBatch(Items items, Blackhole bh) {
    decode.slot = 0;
    reader.readBatch(batchSize, decode);
    bh.consume(decode.target);
    items.add(batchSize, decode.outputBytes);
  }

  private static final class Consume implements RecordVisitor {
    Blackhole bh;
    long bytes;

    @Override
    public void visit(ByteBuffer key, ByteBuffer value) {
      bytes += value.remaining();
      bh.consume(key);
      bh.consume(value);
    }
  }

  private static final class CopyToBatch implements RecordVisitor {
    ByteBuffer batch;
    int slotBytes;
    int slot;
    long bytes;

    @Override
    public void visit(ByteBuffer key, ByteBuffer value) {
      int len = value.remaining();
      batch.put(slot++ * slotBytes, value, value.position(), len);
      bytes += len;
    }
  }

  /** Decodes each visited record into the next slot of one reused batch. */
  private static final class DecodeToBatch implements RecordVisitor {
    final TensorProtosDecoder decoder = new TensorProtosDecoder();
    BatchLayout layout;
    BatchTarget target;
    long outputBytes;
    int slot;

    void prepare(DbReader reader, int batchSize) {
      // The first record fixes the layout, as in TensorProtosDBInput; then start over.
      reader.read((key, value) -> decoder.parse(value, null));
      reader.seekToFirst();
      layout = BatchLayout.of(decoder, decoder.protoCount());
      target = BatchTarget.of(layout, layout.allocateBatch(batchSize));
      for (int i = 0; i < layout.numOutputs(); i++) {
        outputBytes += layout.batchBytes(i, batchSize);
      }
    }

    @Override
    public void visit(ByteBuffer key, ByteBuffer value) {
      layout.decodeInto(decoder, value, null, target, slot++);
    }
  }
}
