package dev.cortado.cpu.input;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.db.DbReader;
import dev.cortado.net.Net;
import dev.cortado.operator.OperatorRunException;
import dev.cortado.prefetch.PrefetchException;
import dev.cortado.proto.Argument;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.proto.TensorProto;
import dev.cortado.proto.TensorProtos;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.DecodeException;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** TensorProtosDBInput against a counting test DB: order, read-ahead, errors, close, memory. */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a hang guard, not a timing assertion
class TensorProtosDbInputTest {
  private static CortadoRuntime runtime;
  private Workspace ws;
  private String opName;

  @BeforeAll
  static void runtime() {
    runtime = CortadoRuntime.create();
  }

  @AfterEach
  void closeWorkspace() {
    if (ws != null) {
      ws.close();
    }
    if (opName != null) {
      assertThat(threadsOf(opName)).as("threads left by %s", opName).isEmpty();
    }
  }

  private static Argument arg(String name, long value) {
    return Argument.newBuilder().setName(name).setI(value).build();
  }

  private static Argument arg(String name, String value) {
    return Argument.newBuilder()
        .setName(name)
        .setS(com.google.protobuf.ByteString.copyFromUtf8(value))
        .build();
  }

  /** A net with one TensorProtosDBInput reading `db` into blobs "index" and "pair". */
  private Net net(DbReader reader, Argument... args) {
    return net(reader, 2, args);
  }

  private Net net(DbReader reader, int outputs, Argument... args) {
    ws = runtime.newWorkspace();
    ws.createBlob("reader").set(reader);
    opName = "input-" + UUID.randomUUID();
    OperatorDef.Builder op =
        OperatorDef.newBuilder()
            .setType("TensorProtosDBInput")
            .setName(opName)
            .addInput("reader")
            .addAllArg(Arrays.asList(args));
    for (int i = 0; i < outputs; i++) {
      op.addOutput(i == 0 ? "index" : i == 1 ? "pair" : "out" + i);
    }
    return ws.createNet(NetDef.newBuilder().setName("read").addOp(op).build());
  }

  private TensorProtosDbInput operator(Net net) {
    return (TensorProtosDbInput) net.operators().get(0);
  }

  private static Set<Thread> threadsOf(String name) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().contains(name) && t.isAlive())
        .collect(Collectors.toSet());
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("gave up waiting for " + what);
      }
      Thread.sleep(1);
    }
  }

  @ParameterizedTest(name = "batch {0}, depth {1}, no_prefetch {2}, threads {3}")
  @CsvSource({
    "1, 1, 0, 1",
    "3, 1, 0, 1",
    "7, 4, 0, 1",
    "7, 1, 1, 1",
    "7, 2, 0, 4",
    "64, 1, 0, 4",
    "64, 3, 1, 8",
    "5, 1, 0, 8"
  })
  void batchesFollowTheReaderAcrossTheWrap(int batch, int depth, int noPrefetch, int threads) {
    int n = 23;
    Net net =
        net(
            new DbReader(Records.indexedDb(n), 1, 0),
            arg("batch_size", batch),
            arg("prefetch_depth", depth),
            arg("no_prefetch", noPrefetch),
            arg("decode_threads", threads));
    long next = 0;
    for (int run = 0; run < 12; run++) {
      net.run();
      Tensor index = ws.blob("index").tensor();
      Tensor pair = ws.blob("pair").tensor();
      assertThat(index.dataType()).isEqualTo(DataType.INT64);
      assertThat(index.dims()).containsExactly(batch);
      assertThat(pair.dims()).containsExactly(batch, 2);
      long[] got = Records.indices(index);
      for (int j = 0; j < batch; j++) {
        long expected = next++ % n;
        assertThat(got[j]).as("run %d slot %d", run, j).isEqualTo(expected);
        assertThat(pair.data().getFloat(8 * j)).isEqualTo((float) expected);
        assertThat(pair.data().getFloat(8 * j + 4)).isEqualTo((float) -expected);
      }
    }
  }

  @Test
  void shardsReadEveryNthRecord() {
    Net net = net(new DbReader(Records.indexedDb(10), 3, 2), arg("batch_size", 4));
    net.run();
    assertThat(Records.indices(ws.blob("index").tensor())).containsExactly(2, 5, 8, 2);
    net.run();
    assertThat(Records.indices(ws.blob("index").tensor())).containsExactly(5, 8, 2, 5);
  }

  @Test
  void batchSizeZeroGivesTheRecordAsStoredAndScalarsStayRankZero() {
    CountingDb db = new CountingDb();
    db.add("a", Records.indexed(7));
    db.add(
        "b",
        TensorProtos.newBuilder()
            .addProtos(
                TensorProto.newBuilder().setDataType(TensorProto.DataType.INT64).addInt64Data(8))
            .addProtos(
                TensorProto.newBuilder()
                    .setDataType(TensorProto.DataType.FLOAT)
                    .addDims(3)
                    .addFloatData(1)
                    .addFloatData(2)
                    .addFloatData(3))
            .build()
            .toByteArray());
    Net net = net(new DbReader(db, 1, 0));
    net.run();
    assertThat(ws.blob("index").tensor().rank()).isZero();
    assertThat(ws.blob("index").tensor().data().getLong(0)).isEqualTo(7);
    assertThat(ws.blob("pair").tensor().dims()).containsExactly(2);
    net.run();
    // Without batching each record keeps its own shape, as in Caffe2.
    assertThat(ws.blob("index").tensor().data().getLong(0)).isEqualTo(8);
    assertThat(ws.blob("pair").tensor().dims()).containsExactly(3);
    assertThat(ws.blob("pair").tensor().data().getFloat(8)).isEqualTo(3f);
  }

  /**
   * Caffe2's read-ahead: after run k the producer has read exactly (k + depth) batches; closing
   * with a batch in flight finishes it (its records are consumed) and throws it away.
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 4})
  void readAheadIsExactlyDepthBatches(int depth) throws Exception {
    CountingDb db = Records.indexedDb(1000);
    Net net = net(new DbReader(db, 1, 0), arg("batch_size", 5), arg("prefetch_depth", depth));
    for (int k = 1; k <= 5; k++) {
      net.run();
      long expected = 5L * (k + depth);
      await("records read", () -> db.valuesRead.get() >= expected);
      Set<Thread> producer = threadsOf(opName);
      assertThat(producer).hasSize(1);
      Thread p = producer.iterator().next();
      await("producer parked", () -> p.getState() == Thread.State.WAITING);
      assertThat(db.valuesRead.get()).as("records read after run %d", k).isEqualTo(expected);
    }
    TensorProtosDbInput op = operator(net);
    assertThat(op.metrics().get("records_read")).isEqualTo(5L * (5 + depth));
    ws.close();
    ws = null;
    assertThat(db.valuesRead.get()).isEqualTo(5L * (5 + depth));
    assertThat(op.prefetchMetrics().batchesDiscarded()).isEqualTo(depth);
  }

  @Test
  void noPrefetchReadsOnlyWhatRunsAskFor() {
    CountingDb db = Records.indexedDb(100);
    Net net = net(new DbReader(db, 1, 0), arg("batch_size", 5), arg("no_prefetch", 1));
    for (int k = 1; k <= 4; k++) {
      net.run();
      assertThat(db.valuesRead.get()).isEqualTo(5L * k);
      assertThat(threadsOf(opName)).isEmpty();
    }
  }

  @Test
  void noThreadUntilTheFirstRun() {
    CountingDb db = Records.indexedDb(10);
    net(new DbReader(db, 1, 0), arg("batch_size", 2));
    assertThat(threadsOf(opName)).isEmpty();
    assertThat(db.valuesRead.get()).isZero();
  }

  /** A DB whose record 5 (of 8) is not a TensorProtos. */
  private static CountingDb withBadRecord(byte[] bad) {
    CountingDb db = new CountingDb();
    for (int i = 0; i < 8; i++) {
      db.add(String.format("%08d", i), i == 5 ? bad : Records.indexed(i));
    }
    return db;
  }

  @ParameterizedTest(name = "depth {0}, no_prefetch {1}, threads {2}")
  @CsvSource({"1, 0, 1", "4, 0, 1", "1, 1, 1", "1, 0, 4", "4, 0, 4", "1, 1, 4"})
  void aBadRecordFailsTheRunAfterTheGoodBatchesWithKeyAndDb(int depth, int noPrefetch, int threads)
      throws Exception {
    Net net =
        net(
            new DbReader(withBadRecord(new byte[] {(byte) 0xff, 1, 2}), 1, 0),
            arg("batch_size", 2),
            arg("prefetch_depth", depth),
            arg("no_prefetch", noPrefetch),
            arg("decode_threads", threads));
    net.run();
    assertThat(Records.indices(ws.blob("index").tensor())).containsExactly(0, 1);
    net.run();
    assertThat(Records.indices(ws.blob("index").tensor())).containsExactly(2, 3);
    for (int again = 0; again < 3; again++) {
      assertThatThrownBy(net::run)
          .isInstanceOf(OperatorRunException.class)
          .hasMessageContaining("record '00000005' of db at /test/counting.db (counting)")
          .hasMessageContaining("not a valid TensorProtos")
          .hasRootCauseInstanceOf(DecodeException.class)
          .cause()
          .isInstanceOf(PrefetchException.class);
    }
    // The outputs still hold the last good batch.
    assertThat(Records.indices(ws.blob("index").tensor())).containsExactly(2, 3);
  }

  @Test
  void shapeDifferingFromTheFirstRecordNamesBothShapes() {
    byte[] bad =
        TensorProtos.newBuilder()
            .addProtos(
                TensorProto.newBuilder().setDataType(TensorProto.DataType.INT64).addInt64Data(5))
            .addProtos(
                TensorProto.newBuilder()
                    .setDataType(TensorProto.DataType.FLOAT)
                    .addDims(3)
                    .addFloatData(1)
                    .addFloatData(2)
                    .addFloatData(3))
            .build()
            .toByteArray();
    // Batch size 1: the layout is fixed by the first record read, not per batch.
    Net net = net(new DbReader(withBadRecord(bad), 1, 0), arg("batch_size", 1));
    for (int i = 0; i < 5; i++) {
      net.run();
    }
    assertThatThrownBy(net::run)
        .hasMessageContaining("record '00000005'")
        .hasMessageContaining(
            "output 1 has shape [3], expected [2] as in the first record read" + " ('00000000')");
  }

  @Test
  void typeDifferingFromTheFirstRecordNamesBothTypes() {
    byte[] bad =
        TensorProtos.newBuilder()
            .addProtos(
                TensorProto.newBuilder().setDataType(TensorProto.DataType.INT32).addInt32Data(5))
            .addProtos(
                TensorProto.newBuilder()
                    .setDataType(TensorProto.DataType.FLOAT)
                    .addDims(2)
                    .addFloatData(1)
                    .addFloatData(2))
            .build()
            .toByteArray();
    Net net =
        net(new DbReader(withBadRecord(bad), 1, 0), arg("batch_size", 3), arg("decode_threads", 3));
    net.run();
    assertThatThrownBy(net::run)
        .hasMessageContaining("record '00000005'")
        .hasMessageContaining("output 0 has type INT32, expected INT64");
  }

  @Test
  void protoCountIsCheckedOnEveryRecord() {
    byte[] bad =
        TensorProtos.newBuilder()
            .addProtos(
                TensorProto.newBuilder().setDataType(TensorProto.DataType.INT64).addInt64Data(5))
            .build()
            .toByteArray();
    Net net = net(new DbReader(withBadRecord(bad), 1, 0), arg("batch_size", 8));
    assertThatThrownBy(net::run)
        .hasMessageContaining("record '00000005'")
        .hasMessageContaining("1 tensor in the record, 2 expected");
  }

  @Test
  void theFirstRecordMustHoldOneProtoPerOutput() {
    Net net = net(new DbReader(Records.indexedDb(3), 1, 0), 3, arg("batch_size", 2));
    assertThatThrownBy(net::run)
        .hasMessageContaining("record '00000000'")
        .hasMessageContaining("2 tensors")
        .hasMessageContaining("3 expected");
  }

  @Test
  void closingDuringPrefetchStopsEverythingAndLeaksNothing() throws Exception {
    CountingDb db = Records.indexedDb(50);
    Net net =
        net(
            new DbReader(db, 1, 0),
            arg("batch_size", 16),
            arg("prefetch_depth", 4),
            arg("decode_threads", 2));
    for (int i = 0; i < 20; i++) {
      net.run();
    }
    TensorProtosDbInput op = operator(net);
    assertThat(threadsOf(opName)).isNotEmpty();
    // Closing throws if a thread outlives the bound or a pooled buffer is still lent.
    ws.close();
    ws = null;
    assertThat(threadsOf(opName)).isEmpty();
    assertThat(op.pool().isClosed()).isTrue();
    assertThat(op.pool().bytesLent()).isZero();
    op.close(); // idempotent
    assertThat(db.closed).as("the workspace closed the reader after the operator").isTrue();
  }

  /** Issue 5 asks for 10,000 batches, the reliability issue for 100,000 and zero bytes after. */
  @Test
  void thePoolDoesNotGrowOverAHundredThousandBatchesAndEndsEmpty() {
    Net net = net(new DbReader(Records.indexedDb(37), 1, 0), arg("batch_size", 4));
    TensorProtosDbInput op = operator(net);
    for (int i = 0; i < 100; i++) {
      net.run();
    }
    long allocations = op.pool().allocations();
    long held = op.pool().bytesHeld();
    for (int i = 0; i < 100_000; i++) {
      net.run();
    }
    assertThat(op.pool().allocations()).isEqualTo(allocations);
    assertThat(op.pool().bytesHeld()).isEqualTo(held);
    // Two outputs in at most depth + 1 slots.
    assertThat(allocations).isLessThanOrEqualTo(4);
    assertThat(op.metrics().get("batches")).isEqualTo(100_100L);
    ws.close(); // throws MemoryLeakException if a buffer were still lent
    ws = null;
    assertThat(op.pool().bytesLent()).isZero();
    assertThat(op.pool().bytesHeld()).isZero();
  }

  @ParameterizedTest(name = "no_prefetch {0}")
  @ValueSource(ints = {0, 1})
  void fourOperatorsSharingOneReaderSplitItsRecords(int noPrefetch) {
    int batch = 5;
    int runs = 10;
    ws = runtime.newWorkspace();
    ws.createBlob("reader").set(new DbReader(Records.indexedDb(1000), 1, 0));
    opName = "shared-" + UUID.randomUUID();
    NetDef.Builder def = NetDef.newBuilder().setName("read4").setType("dag");
    for (int k = 0; k < 4; k++) {
      def.addOp(
          OperatorDef.newBuilder()
              .setType("TensorProtosDBInput")
              .setName(opName + k)
              .addInput("reader")
              .addOutput("index" + k)
              .addOutput("pair" + k)
              .addArg(arg("batch_size", batch))
              .addArg(arg("no_prefetch", noPrefetch)));
    }
    Net net = ws.createNet(def.build());
    List<Long> seen = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      net.run();
      for (int k = 0; k < 4; k++) {
        long[] got = Records.indices(ws.blob("index" + k).tensor());
        // The reader hands out whole batches: each one is consecutive records.
        for (int j = 1; j < batch; j++) {
          assertThat(got[j]).isEqualTo(got[0] + j);
        }
        for (long g : got) {
          seen.add(g);
        }
      }
    }
    // Nothing is read twice; what was not delivered is exactly the read-ahead (one batch per
    // operator with prefetch, none without).
    assertThat(seen).doesNotHaveDuplicates().hasSize(4 * batch * runs);
    long readAhead = noPrefetch == 1 ? 0 : 4L * batch;
    assertThat(seen).allMatch(v -> v < 4L * batch * runs + readAhead);
  }

  @Test
  void manyDecodeThreadsKeepTheReadersOrder() {
    int n = 1009;
    Net net =
        net(
            new DbReader(Records.indexedDb(n), 1, 0),
            arg("batch_size", 64),
            arg("decode_threads", 8),
            arg("prefetch_depth", 2));
    long next = 0;
    for (int run = 0; run < 200; run++) {
      net.run();
      long[] got = Records.indices(ws.blob("index").tensor());
      for (long g : got) {
        assertThat(g).isEqualTo(next++ % n);
      }
    }
    assertThat(threadsOf(opName)).hasSize(1 + 7);
  }

  private List<Long> shuffled(long seed, int batches) {
    Net net =
        net(
            new DbReader(Records.indexedDb(40), 1, 0),
            arg("batch_size", 5),
            arg("shuffle_buffer", 16),
            arg("seed", seed));
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < batches; i++) {
      net.run();
      for (long v : Records.indices(ws.blob("index").tensor())) {
        out.add(v);
      }
    }
    ws.close();
    ws = null;
    return out;
  }

  @Test
  void theLocalShuffleIsDeterministicPerSeed() {
    List<Long> a = shuffled(42, 16);
    List<Long> b = shuffled(42, 16);
    List<Long> c = shuffled(43, 16);
    assertThat(a).isEqualTo(b);
    assertThat(a).isNotEqualTo(c);
    List<Long> readerOrder = new ArrayList<>();
    for (long i = 0; i < a.size(); i++) {
      readerOrder.add(i % 40);
    }
    assertThat(a).isNotEqualTo(readerOrder);
    // 80 outputs cost 16 + 80 reads, so each of the 40 records was read 2 or 3 times: every
    // output is a real record, none is emitted more often than it was read, and none is lost.
    assertThat(a).hasSize(80).allMatch(v -> v >= 0 && v < 40);
    java.util.Map<Long, Long> counts =
        a.stream().collect(Collectors.groupingBy(v -> v, Collectors.counting()));
    assertThat(counts).hasSize(40);
    assertThat(counts.values()).allMatch(count -> count <= 3);
  }

  @ParameterizedTest
  @CsvSource({
    "batch_size, -1, must be >= 0",
    "decode_threads, 0, must be in [1, 64]",
    "prefetch_depth, 0, must be >= 1",
    "shuffle_buffer, -3, must be >= 0"
  })
  void badArgumentsAreRefusedAtCreation(String name, long value, String message) {
    assertThatThrownBy(() -> net(new DbReader(Records.indexedDb(3), 1, 0), arg(name, value)))
        .hasMessageContaining(name)
        .hasMessageContaining(message);
    opName = null;
  }

  @Test
  void anUnknownLastBatchModeIsRefused() {
    assertThatThrownBy(
            () -> net(new DbReader(Records.indexedDb(3), 1, 0), arg("last_batch", "truncate")))
        .hasMessageContaining("last_batch")
        .hasMessageContaining("wrap, drop, pad");
    opName = null;
  }

  @Test
  void metricsCountRecordsBatchesAndWaits() {
    Net net = net(new DbReader(Records.indexedDb(10), 1, 0), arg("batch_size", 3));
    for (int i = 0; i < 6; i++) {
      net.run();
    }
    var m = operator(net).metrics();
    assertThat(m.get("batches")).isEqualTo(6L);
    assertThat(m.get("records_read").longValue()).isBetween(18L, 21L);
    assertThat(m.get("prefetch_depth")).isEqualTo(1);
    assertThat(m.get("decode_threads")).isEqualTo(1);
    assertThat(m.get("batch_size")).isEqualTo(3);
    assertThat(m.keySet())
        .contains(
            "consumer_wait_ns", "queue_occupancy_mean", "queue_occupancy_max", "batches_discarded");
    long producerFills = (Long) m.get("batches_produced") - (Long) m.get("consumer_fills");
    double fillMean = m.get("producer_fill_ns_mean").doubleValue();
    if (producerFills > 0) {
      assertThat(fillMean).isPositive();
    } else {
      assertThat(fillMean).isZero();
    }
  }
}
