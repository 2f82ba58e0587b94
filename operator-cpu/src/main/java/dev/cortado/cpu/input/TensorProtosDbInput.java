package dev.cortado.cpu.input;

import dev.cortado.db.DbReader;
import dev.cortado.memory.BufferAllocator;
import dev.cortado.memory.BufferPool;
import dev.cortado.memory.DirectBufferAllocator;
import dev.cortado.operator.Arguments;
import dev.cortado.operator.Gradient;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.prefetch.PrefetchOperator;
import java.util.List;
import java.util.Map;

/**
 * Caffe2's {@code TensorProtosDBInput} for the CPU: reads serialized {@code TensorProtos} records
 * from the {@link DbReader} in its input blob and outputs one tensor per proto, {@code batch_size}
 * records at a time, prefetched on a background thread.
 *
 * <p>With the default arguments the batches are Caffe2's, byte for byte, including the read-ahead.
 * Unlike Caffe2, every record is checked against the first record read (tensor count, types and
 * shapes) in every build, and a failure reaches {@link #run()} with the record key, the DB and the
 * cause. Beyond Caffe2, each off by default: {@code decode_threads}, {@code shuffle_buffer} +
 * {@code seed}, {@code last_batch}; counters in {@link #metrics()}.
 *
 * <p><b>Output buffers.</b> The outputs are handed over without a copy: each output blob gets a
 * tensor over the batch's pooled buffer. That buffer is recycled at the operator's next run, when
 * the blobs get the next batch; a caller who keeps an output tensor beyond the next run copies it.
 *
 * <p><b>Extending.</b> The CUDA variant extends this class: it passes its own {@link
 * BufferAllocator} (pinned host memory) and extra slots to the protected constructor, and overrides
 * {@link #copyPrefetched} to copy the host batch to the device, retaining the batch while the copy
 * runs. The whole producer side stays here.
 */
public class TensorProtosDbInput extends PrefetchOperator<TensorBatch> {
  /** The operator type users write. */
  public static final String TYPE = "TensorProtosDBInput";

  /**
   * The default {@code decode_threads}: one. On the 2-core reference machine the zero-copy
   * single-thread path (decode inside the reader's visitor) beats staging + parallel decode; see
   * operator-cpu/README.md for the measurement.
   */
  public static final int DEFAULT_DECODE_THREADS = 1;

  /** The most decode threads one operator may ask for. */
  public static final int MAX_DECODE_THREADS = 64;

  private final int batchSize;
  private final int numOutputs;
  private final BufferPool pool;
  private final BatchFiller filler;
  private final int shuffleBuffer;
  private final LastBatch lastBatch;

  /** The CPU operator: direct buffers, no extra slots. */
  public TensorProtosDbInput(OperatorContext ctx) {
    this(ctx, DirectBufferAllocator.INSTANCE, 0);
  }

  /**
   * For device variants.
   *
   * @param allocator where the batch buffers come from (pinned host memory for CUDA)
   * @param extraSlots batches a subclass may {@link dev.cortado.prefetch.PrefetchBatch#retain()
   *     retain} past the next run
   */
  protected TensorProtosDbInput(OperatorContext ctx, BufferAllocator allocator, int extraSlots) {
    super(ctx, extraSlots);
    Arguments args = ctx.args();
    this.numOutputs = ctx.outputCount();
    this.batchSize = args.getInt("batch_size", 0);
    if (batchSize < 0) {
      throw args.error(
          "batch_size",
          "must be >= 0 (0 reads one record without a batch dimension)," + " got " + batchSize);
    }
    int decodeThreads = args.getInt("decode_threads", DEFAULT_DECODE_THREADS);
    if (decodeThreads < 1 || decodeThreads > MAX_DECODE_THREADS) {
      throw args.error(
          "decode_threads", "must be in [1, " + MAX_DECODE_THREADS + "], got " + decodeThreads);
    }
    this.shuffleBuffer = args.getInt("shuffle_buffer", 0);
    if (shuffleBuffer < 0) {
      throw args.error("shuffle_buffer", "must be >= 0 (0 = no shuffle), got " + shuffleBuffer);
    }
    long seed = args.getLong("seed", 0);
    String lastBatchArg = args.getString("last_batch", LastBatch.WRAP.argValue());
    this.lastBatch = LastBatch.parse(lastBatchArg);
    if (lastBatch == null) {
      throw args.error("last_batch", "must be one of wrap, drop, pad; got '" + lastBatchArg + "'");
    }
    if (lastBatch != LastBatch.WRAP && shuffleBuffer > 0) {
      throw args.error(
          "last_batch",
          "last_batch="
              + lastBatch.argValue()
              + " cannot be combined with shuffle_buffer: a shuffled stream has no epoch boundary");
    }
    String owner = ctx.describe();
    this.pool = new BufferPool(owner + " batch buffers", allocator);
    this.filler =
        new BatchFiller(
            owner, numOutputs, batchSize, decodeThreads, shuffleBuffer, seed, lastBatch, pool);
  }

  /** The schema: 1 input (a DB reader), 1..N outputs, no gradient, documented arguments. */
  public static OperatorSchema schema() {
    return OperatorSchema.builder(TYPE)
        .numInputs(1)
        .outputs(1, OperatorSchema.MANY)
        .arg("batch_size", "0", "records per batch; 0 reads one record without a batch dimension")
        .arg(NO_PREFETCH, "false", "read on the caller's thread instead of a producer thread")
        .arg(PREFETCH_DEPTH, "1", "batches the producer reads ahead (Caffe2: 1)")
        .arg(
            "decode_threads",
            String.valueOf(DEFAULT_DECODE_THREADS),
            "threads that decode one batch; the batch keeps the reader's order")
        .arg("shuffle_buffer", "0", "records held for a local shuffle (DALI-style); 0 = off")
        .arg("seed", "0", "seed of the local shuffle")
        .arg(
            "last_batch",
            "wrap",
            "at the end of an epoch (the shard's cycle): wrap (Caffe2), "
                + "drop the partial batch, or pad it with the epoch's last record")
        .doc(
            "Reads serialized TensorProtos from a DB reader (made by CreateDB): one output per "
                + "proto, batch_size records stacked along a new first dimension.")
        .gradient(Gradient.NO_GRADIENT)
        .build();
  }

  @Override
  protected TensorBatch newBatch() {
    return new TensorBatch(numOutputs);
  }

  @Override
  protected void prefetch(TensorBatch batch) throws Exception {
    // Read the blob on every batch, as Caffe2 does: a CreateDB that runs again replaces it.
    filler.fill(ctx.input(0, DbReader.class), batch);
  }

  /** Publishes the batch's tensors into the output blobs, without a copy. */
  @Override
  protected void copyPrefetched(TensorBatch batch) {
    for (int i = 0; i < numOutputs; i++) {
      ctx.output(i).set(batch.tensor(i));
    }
  }

  @Override
  protected String describeInFlight() {
    return filler.describeInFlight();
  }

  @Override
  protected void closeBatches(List<TensorBatch> batches) {
    filler.close();
    for (TensorBatch b : batches) {
      b.free();
    }
    pool.close();
  }

  /** Adds {@code records_read}, {@code batch_size}, {@code decode_threads} and pool usage. */
  @Override
  protected void addMetrics(Map<String, Number> metrics) {
    metrics.put("records_read", filler.recordsRead());
    metrics.put("batch_size", batchSize);
    metrics.put("decode_threads", filler.decodeThreads());
    metrics.put("shuffle_buffer", shuffleBuffer);
    if (lastBatch != LastBatch.WRAP) {
      metrics.put("records_dropped", filler.recordsDropped());
      metrics.put("records_padded", filler.recordsPadded());
    }
    metrics.put("pool_bytes_held", pool.bytesHeld());
    metrics.put("pool_allocations", pool.allocations());
  }

  /** The batch buffer pool, for tests and leak checks. */
  public final BufferPool pool() {
    return pool;
  }
}
