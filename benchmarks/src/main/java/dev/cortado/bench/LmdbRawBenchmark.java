package dev.cortado.bench;

import dev.cortado.db.DbRegistry;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.lmdbjava.ByteBufferProxy;
import org.lmdbjava.Cursor;
import org.lmdbjava.Dbi;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.Txn;
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
 * lmdbjava's own cursor, below Cortado's {@code Db} SPI, on the dataset's LMDB: what the store
 * itself costs per record, so {@code DbReadBenchmark} on lmdb shows what the SPI wrapper adds.
 * {@code walk} touches nothing (the "zero-copy lmdbjava cursor walk"); {@code walkCopy}
 * copies each value into a batch buffer (the floor without the SPI).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {Bench.OPEN_NIO, Bench.OPEN_NIO_CH})
@State(Scope.Thread)
public class LmdbRawBenchmark {
  @Param({Datasets.FMNIST_TRAIN})
  public String dataset;

  /** Records in the DB; 0 = the dataset's full size. */
  @Param({"0"})
  public int records;

  @Param({"64"})
  public int batchSize;

  private Env<ByteBuffer> env;
  private Txn<ByteBuffer> txn;
  private Cursor<ByteBuffer> cursor;
  private ByteBuffer batch;
  private int slotBytes;
  private boolean valid;

  @Setup(Level.Trial)
  public void open() {
    Datasets.Built db = Datasets.build(DbRegistry.fromServiceLoader(), dataset, records, "lmdb");
    // The flags Caffe2 and Cortado's lmdb backend read with.
    env =
        Env.create(ByteBufferProxy.PROXY_OPTIMAL)
            .setMaxDbs(1)
            .open(
                db.path().toFile(),
                EnvFlags.MDB_RDONLY_ENV,
                EnvFlags.MDB_NOLOCK,
                EnvFlags.MDB_NOTLS);
    Dbi<ByteBuffer> dbi = env.openDbi((String) null);
    txn = env.txnRead();
    cursor = dbi.openCursor(txn);
    valid = cursor.first();
    slotBytes = (db.maxValueBytes() + 63) & ~63;
    batch = Bench.direct((long) slotBytes * batchSize);
  }

  @TearDown(Level.Trial)
  public void close() {
    Bench.closeAll(cursor, txn, env);
  }

  @Benchmark
  public void walk(Items items, Blackhole bh) {
    long bytes = 0;
    for (int i = 0; i < batchSize; i++) {
      if (!valid) {
        valid = cursor.first();
      }
      ByteBuffer v = cursor.val();
      bytes += v.remaining();
      bh.consume(cursor.key());
      bh.consume(v);
      valid = cursor.next();
    }
    items.add(batchSize, bytes);
  }

  @Benchmark
  public void walkCopy(Items items, Blackhole bh) {
    long bytes = 0;
    ByteBuffer out = batch;
    for (int i = 0; i < batchSize; i++) {
      if (!valid) {
        valid = cursor.first();
      }
      ByteBuffer v = cursor.val();
      int len = v.remaining();
      out.put(i * slotBytes, v, v.position(), len);
      bytes += len;
      valid = cursor.next();
    }
    bh.consume(out);
    items.add(batchSize, bytes);
  }
}
