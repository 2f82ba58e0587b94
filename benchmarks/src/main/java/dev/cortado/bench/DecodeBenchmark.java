package dev.cortado.bench;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.cortado.proto.TensorProto;
import dev.cortado.proto.TensorProtos;
import dev.cortado.tensor.BatchLayout;
import dev.cortado.tensor.BatchTarget;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorProtoCodec;
import dev.cortado.tensor.TensorProtosDecoder;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Decoding one batch of in-memory records per invocation, per data type: the streaming decoder
 * writing straight into the batch slots against the reference path (protobuf-java message objects,
 * then a copy into the batch slot) and against Caffe2's shape of it (message, then a temporary
 * tensor, then a copy). Each record is {@code TensorProtos{data: dtype [elements], label: INT32
 * scalar}} in a direct buffer, as an LMDB map view would hand it over.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {Bench.OPEN_NIO, Bench.OPEN_NIO_CH})
@State(Scope.Thread)
public class DecodeBenchmark {
  @Param({"BYTE", "UINT8", "INT32", "INT64", "FLOAT", "DOUBLE", "FLOAT16", "STRING"})
  public String dtype;

  /** Elements of the data tensor per record. */
  @Param({"784"})
  public int elements;

  @Param({"64"})
  public int batchSize;

  private ByteBuffer[] values;
  private final TensorProtosDecoder decoder = new TensorProtosDecoder();
  private BatchLayout layout;
  private BatchTarget streamingTarget;
  private List<Tensor> referenceBatch;
  private ByteBuffer[] referenceStorage;
  private long[] slotBytes;
  private long outputBytes;

  @Setup(Level.Trial)
  public void makeRecords() throws InvalidProtocolBufferException {
    DataType type = DataType.valueOf(dtype);
    values = new ByteBuffer[batchSize];
    SplittableRandom random = new SplittableRandom(42);
    for (int i = 0; i < batchSize; i++) {
      byte[] value =
          TensorProtoCodec.encodeRecord(List.of(tensor(type, elements, random), label(i)));
      ByteBuffer direct = ByteBuffer.allocateDirect(value.length).put(value).flip();
      values[i] = direct.asReadOnlyBuffer();
    }
    decoder.parse(values[0], null);
    layout = BatchLayout.of(decoder, 2);
    streamingTarget = BatchTarget.of(layout, layout.allocateBatch(batchSize));
    referenceBatch = layout.allocateBatch(batchSize);
    referenceStorage = new ByteBuffer[2];
    slotBytes = new long[2];
    for (int j = 0; j < 2; j++) {
      slotBytes[j] = layout.slotBytes(j);
      if (layout.dataType(j) != DataType.STRING) {
        referenceStorage[j] = referenceBatch.get(j).data();
      }
    }
    // Every path must produce the same batch, or the comparison means nothing.
    streaming(new Items(), null);
    reference(new Items(), null);
    sameBatches("reference");
    referenceBatch.forEach(DecodeBenchmark::clear);
    referenceTensors(new Items(), null);
    sameBatches("referenceTensors");
    outputBytes = 0;
    for (Tensor t : streamingTarget.tensors()) {
      outputBytes += t.nbytes();
    }
  }

  private void sameBatches(String path) {
    for (int j = 0; j < 2; j++) {
      if (!streamingTarget.tensors().get(j).contentEquals(referenceBatch.get(j))) {
        throw new IllegalStateException(
            dtype + ": the streaming and " + path + " batches differ in output " + j);
      }
    }
  }

  private static void clear(Tensor t) {
    if (t.dataType() == DataType.STRING) {
      java.util.Arrays.fill(t.strings(), new byte[0]);
    } else {
      ByteBuffer d = t.data();
      for (int i = 0; i < d.limit(); i++) {
        d.put(i, (byte) 0);
      }
    }
  }

  /** The streaming decoder writing each record into its slot: no per-record objects. */
  @Benchmark
  public void streaming(Items items, Blackhole bh) {
    for (int i = 0; i < values.length; i++) {
      layout.decodeInto(decoder, values[i], null, streamingTarget, i);
    }
    if (bh != null) {
      bh.consume(streamingTarget);
    }
    items.add(values.length, outputBytes);
  }

  /**
   * The reference path: protobuf-java message objects, then each proto's payload field copied into
   * its batch slot (the cheapest use of protobuf-java: one intermediate, the message).
   */
  @Benchmark
  public void reference(Items items, Blackhole bh) throws InvalidProtocolBufferException {
    for (int i = 0; i < values.length; i++) {
      TensorProtos record = TensorProtos.parseFrom(values[i].duplicate());
      for (int j = 0; j < record.getProtosCount(); j++) {
        copyIntoSlot(record.getProtos(j), j, i);
      }
    }
    if (bh != null) {
      bh.consume(referenceBatch);
    }
    items.add(values.length, outputBytes);
  }

  /**
   * Caffe2's shape of the path through Cortado's reference codec: protobuf-java objects, then a
   * fresh tensor per proto ({@link TensorProtoCodec#decodeRecord}), then a copy into the slot.
   */
  @Benchmark
  public void referenceTensors(Items items, Blackhole bh) {
    for (int i = 0; i < values.length; i++) {
      List<Tensor> record = TensorProtoCodec.decodeRecord(values[i].duplicate());
      for (int j = 0; j < record.size(); j++) {
        Tensor t = record.get(j);
        if (t.dataType() == DataType.STRING) {
          byte[][] src = t.strings();
          System.arraycopy(src, 0, referenceBatch.get(j).strings(), i * src.length, src.length);
        } else {
          int bytes = (int) slotBytes[j];
          referenceStorage[j].put((int) (i * slotBytes[j]), t.data(), 0, bytes);
        }
      }
    }
    if (bh != null) {
      bh.consume(referenceBatch);
    }
    items.add(values.length, outputBytes);
  }

  /** Copies one parsed proto's payload into slot {@code slot} of batch output {@code output}. */
  private void copyIntoSlot(TensorProto p, int output, int slot) {
    DataType type = layout.dataType(output);
    if (type == DataType.STRING) {
      byte[][] dest = referenceBatch.get(output).strings();
      int base = (int) (slot * layout.recordNumel(output));
      for (int e = 0; e < p.getStringDataCount(); e++) {
        dest[base + e] = p.getStringData(e).toByteArray();
      }
      return;
    }
    ByteBuffer dest = referenceStorage[output];
    int at = (int) (slot * slotBytes[output]);
    switch (type) {
      case BYTE -> {
        ByteBuffer window = dest.duplicate().position(at);
        p.getByteData().copyTo(window);
      }
      case FLOAT -> {
        for (int e = 0; e < p.getFloatDataCount(); e++) {
          dest.putFloat(at + 4 * e, p.getFloatData(e));
        }
      }
      case DOUBLE -> {
        for (int e = 0; e < p.getDoubleDataCount(); e++) {
          dest.putDouble(at + 8 * e, p.getDoubleData(e));
        }
      }
      case INT64 -> {
        for (int e = 0; e < p.getInt64DataCount(); e++) {
          dest.putLong(at + 8 * e, p.getInt64Data(e));
        }
      }
      case INT32 -> {
        for (int e = 0; e < p.getInt32DataCount(); e++) {
          dest.putInt(at + 4 * e, p.getInt32Data(e));
        }
      }
      case UINT8, INT8, BOOL -> {
        for (int e = 0; e < p.getInt32DataCount(); e++) {
          dest.put(at + e, (byte) p.getInt32Data(e));
        }
      }
      case UINT16, INT16, FLOAT16 -> {
        for (int e = 0; e < p.getInt32DataCount(); e++) {
          dest.putShort(at + 2 * e, (short) p.getInt32Data(e));
        }
      }
      default -> throw new IllegalStateException("no reference copy for " + type);
    }
  }

  private static Tensor label(int i) {
    Tensor t = Tensor.allocate(DataType.INT32);
    t.data().putInt(0, i % 10);
    return t;
  }

  /** Deterministic, realistic content: pixels, small counts, ordinary floats. */
  static Tensor tensor(DataType type, int n, SplittableRandom random) {
    if (type == DataType.STRING) {
      byte[][] strings = new byte[n][];
      for (int e = 0; e < n; e++) {
        strings[e] = new byte[8];
        for (int b = 0; b < 8; b++) {
          strings[e][b] = (byte) ('a' + random.nextInt(26));
        }
      }
      return Tensor.ofStrings(new long[] {n}, strings);
    }
    Tensor t = Tensor.allocate(type, n);
    ByteBuffer d = t.data();
    for (int e = 0; e < n; e++) {
      switch (type) {
        case BYTE, UINT8 -> d.put(e, (byte) random.nextInt(256));
        case INT32 -> d.putInt(e * 4, random.nextInt(1 << 16));
        case INT64 -> d.putLong(e * 8, random.nextInt(1 << 16));
        case FLOAT -> d.putFloat(e * 4, random.nextInt(256) / 255f);
        case DOUBLE -> d.putDouble(e * 8, random.nextInt(256) / 255d);
        case FLOAT16 -> d.putShort(e * 2, (short) random.nextInt(0x7c00));
        default -> throw new IllegalArgumentException("no generator for " + type);
      }
    }
    return t;
  }
}
