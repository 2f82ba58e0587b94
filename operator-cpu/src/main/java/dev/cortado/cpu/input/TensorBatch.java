package dev.cortado.cpu.input;

import dev.cortado.memory.BufferPool;
import dev.cortado.memory.PooledBuffer;
import dev.cortado.prefetch.PrefetchBatch;
import dev.cortado.tensor.BatchLayout;
import dev.cortado.tensor.BatchTarget;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.DecodeException;
import dev.cortado.tensor.Shapes;
import dev.cortado.tensor.Tensor;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * One batch slot of {@link TensorProtosDbInput}: a tensor per output, backed by buffers from the
 * operator's {@link BufferPool} (STRING outputs by heap arrays). The slot keeps its buffers and
 * tensors from batch to batch while the layout stays the same, so a warm pipeline allocates
 * nothing.
 *
 * <p>The tensors of a batch given to the outputs are valid until the operator's next run; see
 * {@link PrefetchBatch} to keep them longer.
 */
public final class TensorBatch extends PrefetchBatch {
  private static final byte[] EMPTY = new byte[0];

  private final int numOutputs;
  private final PooledBuffer[] buffers;
  private final Tensor[] outputs;
  private BatchLayout layout;
  private int rows;
  private BatchTarget target;
  private int validRecords;

  TensorBatch(int numOutputs) {
    this.numOutputs = numOutputs;
    this.buffers = new PooledBuffer[numOutputs];
    this.outputs = new Tensor[numOutputs];
  }

  public int numOutputs() {
    return numOutputs;
  }

  /**
   * Output {@code i}'s tensor: {@code [B] + record shape}, or the record's shape without batching.
   */
  public Tensor tensor(int i) {
    return outputs[i];
  }

  /** The output tensors in output order. */
  public List<Tensor> tensors() {
    return Arrays.asList(outputs.clone());
  }

  /** Records in the batch: its batch dimension (1 without batching). */
  public int records() {
    return rows;
  }

  /**
   * Records read for this batch; less than {@link #records()} only with {@code last_batch=pad},
   * where the rest repeat the epoch's last record.
   */
  public int validRecords() {
    return validRecords;
  }

  BatchTarget target() {
    return target;
  }

  BatchLayout layout() {
    return layout;
  }

  void setValidRecords(int n) {
    if (validRecords != n) {
      // Written only when it changes: the consumer reads this object at every take, and a write
      // per fill would move its cache line between the two threads.
      validRecords = n;
    }
  }

  /**
   * Makes the slot hold {@code rows} records of {@code layout}, reusing its buffers when it already
   * does.
   *
   * @param batched false for {@code batch_size=0}: the outputs then have the record's own shape
   */
  void ensure(
      BatchLayout newLayout, int newRows, boolean batched, BufferPool pool, String[] owners) {
    if (newLayout == layout && newRows == rows) {
      return;
    }
    free();
    Tensor[] batchTensors = new Tensor[numOutputs];
    for (int i = 0; i < numOutputs; i++) {
      DataType type = newLayout.dataType(i);
      long[] batchDims = newLayout.batchDims(i, newRows);
      long[] recordDims = newLayout.recordDims(i);
      if (type == DataType.STRING) {
        long n = Shapes.numel(batchDims);
        byte[][] values = new byte[Math.toIntExact(n)][];
        Arrays.fill(values, EMPTY);
        batchTensors[i] = Tensor.ofStrings(batchDims, values);
        outputs[i] = batched ? batchTensors[i] : Tensor.ofStrings(recordDims, values);
      } else {
        long bytes = newLayout.batchBytes(i, newRows);
        if (bytes > Integer.MAX_VALUE - Tensor.ALIGNMENT) {
          throw new DecodeException(
              "output "
                  + i
                  + ": a batch of "
                  + newRows
                  + " records of "
                  + type
                  + " "
                  + Shapes.toString(recordDims)
                  + " needs "
                  + bytes
                  + " bytes, more than one buffer can hold; lower batch_size");
        }
        PooledBuffer buffer = pool.acquire((int) bytes, owners[i]);
        buffers[i] = buffer;
        ByteBuffer storage = buffer.buffer();
        batchTensors[i] = Tensor.wrap(type, batchDims, storage);
        outputs[i] = batched ? batchTensors[i] : Tensor.wrap(type, recordDims, storage);
      }
    }
    target = BatchTarget.of(newLayout, Arrays.asList(batchTensors));
    layout = newLayout;
    rows = newRows;
  }

  /** Copies record {@code from}'s elements over record {@code to}, for every output. */
  void copyRecord(int from, int to) {
    List<Tensor> batch = target.tensors();
    for (int i = 0; i < numOutputs; i++) {
      Tensor t = batch.get(i);
      if (t.dataType() == DataType.STRING) {
        int per = (int) layout.recordNumel(i);
        System.arraycopy(t.strings(), from * per, t.strings(), to * per, per);
      } else {
        int per = (int) layout.slotBytes(i);
        ByteBuffer data = buffers[i].buffer();
        data.put(to * per, data, from * per, per);
      }
    }
  }

  /** Gives the buffers back to their pool; the slot is empty afterwards. */
  void free() {
    for (int i = 0; i < numOutputs; i++) {
      if (buffers[i] != null) {
        buffers[i].release();
        buffers[i] = null;
      }
      outputs[i] = null;
    }
    layout = null;
    target = null;
    rows = 0;
  }
}
