package dev.cortado.tensor;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The per-output element type and record shape of one batch, fixed by the batch's first record as
 * in Caffe2's TensorProtosDBInput, and the allocation-free way to decode each further record
 * straight into its slot of the batch tensors.
 *
 * <p>Immutable and thread-safe. Several threads may call {@link #decodeInto} concurrently for
 * different slots of one {@link BatchTarget}, each with its own {@link TensorProtosDecoder}:
 *
 * <pre>{@code
 * TensorProtosDecoder decoder = new TensorProtosDecoder();        // one per worker thread
 * decoder.parse(firstValue, firstKey);
 * BatchLayout layout = BatchLayout.of(decoder, numOutputs);      // once per batch
 * BatchTarget target = BatchTarget.of(layout, layout.allocateBatch(batchSize)); // or pooled
 * layout.copyInto(decoder, target, 0);                            // slot 0 is already parsed
 * layout.decodeInto(decoder, value, key, target, slot);           // every other slot
 * }</pre>
 */
public final class BatchLayout {
  private final DataType[] types;
  private final long[][] recordDims;
  private final long[] recordNumel;

  private BatchLayout(DataType[] types, long[][] recordDims) {
    this.types = types;
    this.recordDims = recordDims;
    this.recordNumel = new long[types.length];
    for (int i = 0; i < types.length; i++) {
      recordNumel[i] = Shapes.numel(recordDims[i]);
    }
  }

  /**
   * The layout of the record {@code decoder} parsed last, which must hold {@code numOutputs} protos
   * (else a DecodeException naming the key and both counts).
   */
  public static BatchLayout of(TensorProtosDecoder decoder, int numOutputs) {
    checkCount(decoder, numOutputs);
    int n = decoder.protoCount();
    DataType[] types = new DataType[n];
    long[][] dims = new long[n][];
    for (int i = 0; i < n; i++) {
      types[i] = decoder.dataType(i);
      dims[i] = decoder.dims(i);
    }
    return new BatchLayout(types, dims);
  }

  /** A layout given outright: one type and one record shape per output. */
  public static BatchLayout of(List<DataType> types, List<long[]> recordDims) {
    if (types.size() != recordDims.size()) {
      throw new IllegalArgumentException(
          types.size() + " types for " + recordDims.size() + " shapes");
    }
    DataType[] t = types.toArray(new DataType[0]);
    long[][] d = new long[t.length][];
    for (int i = 0; i < t.length; i++) {
      Objects.requireNonNull(t[i], "type");
      if (t[i] == DataType.UNDEFINED) {
        throw new IllegalArgumentException("output " + i + " has type UNDEFINED");
      }
      d[i] = recordDims.get(i).clone();
    }
    return new BatchLayout(t, d);
  }

  public int numOutputs() {
    return types.length;
  }

  public DataType dataType(int output) {
    return types[output];
  }

  /** A copy of one record's dims for this output. */
  public long[] recordDims(int output) {
    return recordDims[output].clone();
  }

  /** Elements one record contributes to this output. */
  public long recordNumel(int output) {
    return recordNumel[output];
  }

  /** Bytes one record contributes to this output (fixed-size types; 0 for STRING). */
  public long slotBytes(int output) {
    return recordNumel[output] * types[output].elementSize();
  }

  /** Bytes of the whole batch tensor for this output (fixed-size types; 0 for STRING). */
  public long batchBytes(int output, int batchSize) {
    return Math.multiplyExact(slotBytes(output), (long) batchSize);
  }

  /** {@code [batchSize] + record dims}. */
  public long[] batchDims(int output, int batchSize) {
    return Shapes.prepend(batchSize, recordDims[output]);
  }

  /** Fresh zero-filled batch tensors, one per output, of shape [batchSize] + record shape. */
  public List<Tensor> allocateBatch(int batchSize) {
    List<Tensor> out = new ArrayList<>(types.length);
    for (int i = 0; i < types.length; i++) {
      out.add(Tensor.allocate(types[i], batchDims(i, batchSize)));
    }
    return out;
  }

  /**
   * Throws a DecodeException (naming the record key and both values) unless the record {@code
   * decoder} parsed last has this layout's proto count, types and shapes.
   */
  public void check(TensorProtosDecoder decoder) {
    checkCount(decoder, types.length);
    for (int i = 0; i < types.length; i++) {
      DataType t = decoder.dataType(i);
      if (t != types[i]) {
        throw new DecodeException(
            prefix(decoder)
                + "output "
                + i
                + " has type "
                + t
                + ", expected "
                + types[i]
                + " from the first record of the batch");
      }
      if (!decoder.hasDims(i, recordDims[i])) {
        throw new DecodeException(
            prefix(decoder)
                + "output "
                + i
                + " has shape "
                + decoder.dimsString(i)
                + ", expected "
                + Shapes.toString(recordDims[i])
                + " from the first record of the batch");
      }
    }
  }

  /**
   * Parses {@code value} with {@code decoder}, checks it against this layout and writes its tensors
   * into slot {@code slot} of {@code target}. Allocates nothing (STRING outputs excepted).
   */
  public void decodeInto(
      TensorProtosDecoder decoder, ByteBuffer value, String key, BatchTarget target, int slot) {
    decoder.parse(value, key);
    check(decoder);
    copyInto(decoder, target, slot);
  }

  /**
   * Writes the record {@code decoder} parsed last (already {@link #check checked}) into slot {@code
   * slot} of {@code target}.
   */
  public void copyInto(TensorProtosDecoder decoder, BatchTarget target, int slot) {
    if (target.layout() != this) {
      throw new IllegalArgumentException("the target was made for another layout");
    }
    Objects.checkIndex(slot, target.batchSize());
    for (int i = 0; i < types.length; i++) {
      if (types[i] == DataType.STRING) {
        decoder.copyStringsTo(i, target.strings(i), (int) (slot * recordNumel[i]));
      } else {
        decoder.copyTo(i, target.storage(i), (int) (slot * slotBytes(i)));
      }
    }
  }

  private static void checkCount(TensorProtosDecoder decoder, int numOutputs) {
    int n = decoder.protoCount();
    if (n != numOutputs) {
      throw new DecodeException(
          prefix(decoder)
              + "the record holds "
              + n
              + (n == 1 ? " tensor" : " tensors")
              + ", "
              + numOutputs
              + " expected (one TensorProto per output)");
    }
  }

  private static String prefix(TensorProtosDecoder decoder) {
    return ProtoSummary.where(decoder.key(), -1);
  }
}
