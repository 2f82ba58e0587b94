package dev.cortado.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Batch assembly: layout from the first record, mismatch messages, pooled and parallel fills. */
class BatchAssemblerTest {
  private static ByteBuffer record(Tensor... tensors) {
    return ByteBuffer.wrap(TensorProtoCodec.encodeRecord(List.of(tensors)));
  }

  private static Tensor ints(int... values) {
    Tensor t = Tensor.allocate(DataType.INT32, values.length);
    for (int i = 0; i < values.length; i++) {
      t.data().putInt(4 * i, values[i]);
    }
    return t;
  }

  private static Tensor string(String s) {
    return Tensor.ofStrings(new long[0], new byte[][] {s.getBytes()});
  }

  @Test
  void recordsLandInTheirSlotsInOrder() {
    List<Tensor> batch =
        BatchAssembler.assemble(
            List.of(
                record(ints(1, 2), string("a")),
                record(ints(3, 4), string("")),
                record(ints(5, 6), string("ccc"))),
            List.of("k0", "k1", "k2"),
            2);
    assertThat(batch.get(0).dims()).containsExactly(3, 2);
    assertThat(
            batch
                .get(0)
                .contentEquals(
                    Tensor.wrap(DataType.INT32, new long[] {3, 2}, ints(1, 2, 3, 4, 5, 6).data())))
        .isTrue();
    assertThat(batch.get(1).dims()).containsExactly(3);
    assertThat(batch.get(1).strings()).isDeepEqualTo(new byte[][] {{'a'}, {}, {'c', 'c', 'c'}});
  }

  @Test
  void laterRecordsMustMatchTheFirst() {
    ByteBuffer first = record(ints(1, 2), string("a"));
    assertThatThrownBy(
            () ->
                BatchAssembler.assemble(
                    List.of(first, record(ints(1, 2, 3), string("b"))), List.of("k0", "k1"), 2))
        .isInstanceOf(DecodeException.class)
        .hasMessage(
            "record 'k1': output 0 has shape [3], expected [2] from the first record of"
                + " the batch");
    assertThatThrownBy(
            () ->
                BatchAssembler.assemble(
                    List.of(first, record(string("x"), string("b"))), List.of("k0", "k1"), 2))
        .isInstanceOf(DecodeException.class)
        .hasMessage(
            "record 'k1': output 0 has type STRING, expected INT32 from the first record"
                + " of the batch");
    assertThatThrownBy(
            () ->
                BatchAssembler.assemble(List.of(first, record(ints(1, 2))), List.of("k0", "k1"), 2))
        .isInstanceOf(DecodeException.class)
        .hasMessage(
            "record 'k1': the record holds 1 tensor, 2 expected (one TensorProto per" + " output)");
    assertThatThrownBy(() -> BatchAssembler.assemble(List.of(first), List.of("k0"), 3))
        .isInstanceOf(DecodeException.class)
        .hasMessageContaining("record 'k0'")
        .hasMessageContaining("2 tensors, 3 expected");
  }

  @Test
  void pooledBuffersFilledByParallelWorkersMatchTheSerialBatch() throws Exception {
    List<TestData.Record> records = TestData.records("all-dtypes");
    int batchSize = records.size();
    List<ByteBuffer> values = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    for (TestData.Record r : records) {
      values.add(ByteBuffer.allocateDirect(r.value().length).put(r.value()).flip());
      keys.add(r.keyString());
    }
    List<Tensor> expected = BatchAssembler.assemble(values, keys, 12);

    TensorProtosDecoder first = new TensorProtosDecoder();
    first.parse(values.get(0), keys.get(0));
    BatchLayout layout = BatchLayout.of(first, 12);
    // One pooled region holds every fixed-size output; strings get their own array.
    long total = 0;
    for (int i = 0; i < layout.numOutputs(); i++) {
      total += layout.batchBytes(i, batchSize) + Tensor.ALIGNMENT;
    }
    ByteBuffer pool = Tensor.allocateAligned((int) total);
    List<Tensor> batch = new ArrayList<>();
    int offset = 0;
    for (int i = 0; i < layout.numOutputs(); i++) {
      long[] dims = layout.batchDims(i, batchSize);
      if (layout.dataType(i) == DataType.STRING) {
        batch.add(Tensor.ofStrings(dims, new byte[(int) Shapes.numel(dims)][]));
        continue;
      }
      int bytes = (int) layout.batchBytes(i, batchSize);
      batch.add(Tensor.wrap(layout.dataType(i), dims, pool.slice(offset, bytes)));
      offset += (bytes + Tensor.ALIGNMENT - 1) / Tensor.ALIGNMENT * Tensor.ALIGNMENT;
    }
    BatchTarget target = BatchTarget.of(layout, batch);
    ExecutorService workers = Executors.newFixedThreadPool(3);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < 3; w++) {
        int worker = w;
        done.add(
            workers.submit(
                () -> {
                  TensorProtosDecoder decoder = new TensorProtosDecoder();
                  for (int slot = worker; slot < batchSize; slot += 3) {
                    layout.decodeInto(decoder, values.get(slot), keys.get(slot), target, slot);
                  }
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      workers.shutdown();
    }
    for (int i = 0; i < expected.size(); i++) {
      assertThat(target.tensors().get(i).contentEquals(expected.get(i)))
          .as("output %d", i)
          .isTrue();
    }
  }

  @Test
  void targetsMustMatchTheLayout() {
    BatchLayout layout = BatchLayout.of(List.of(DataType.INT32), List.of(new long[] {2}));
    assertThat(layout.batchDims(0, 4)).containsExactly(4, 2);
    assertThatThrownBy(() -> BatchTarget.of(layout, List.of(Tensor.allocate(DataType.INT32, 4, 3))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[4,2]");
    assertThatThrownBy(() -> BatchTarget.of(layout, List.of(Tensor.allocate(DataType.INT64, 4, 2))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("INT32");
  }

  @Test
  void decodingIntoATargetAllocatesNothingPerRecord() {
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    List<TestData.Record> records = TestData.records("fmnist-mini");
    List<ByteBuffer> values = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    for (TestData.Record r : records) {
      values.add(ByteBuffer.allocateDirect(r.value().length).put(r.value()).flip());
      keys.add(r.keyString());
    }
    TensorProtosDecoder decoder = new TensorProtosDecoder();
    decoder.parse(values.get(0), keys.get(0));
    BatchLayout layout = BatchLayout.of(decoder, 2);
    BatchTarget target = BatchTarget.of(layout, layout.allocateBatch(values.size()));
    for (int round = 0; round < 40; round++) {
      fill(layout, decoder, values, keys, target);
    }
    long before = threads.getCurrentThreadAllocatedBytes();
    int rounds = 40;
    for (int round = 0; round < rounds; round++) {
      fill(layout, decoder, values, keys, target);
    }
    long perRecord =
        (threads.getCurrentThreadAllocatedBytes() - before) / ((long) rounds * values.size());
    assertThat(perRecord).as("bytes allocated per record").isLessThan(8);
  }

  private static void fill(
      BatchLayout layout,
      TensorProtosDecoder decoder,
      List<ByteBuffer> values,
      List<String> keys,
      BatchTarget target) {
    for (int slot = 0; slot < values.size(); slot++) {
      layout.decodeInto(decoder, values.get(slot), keys.get(slot), target, slot);
    }
  }
}
