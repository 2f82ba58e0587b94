package dev.cortado.cpu.input;

import dev.cortado.CortadoException;
import dev.cortado.db.DbReader;
import dev.cortado.db.Keys;
import dev.cortado.db.RecordVisitor;
import dev.cortado.memory.BufferPool;
import dev.cortado.prefetch.internal.ParallelFor;
import dev.cortado.tensor.BatchLayout;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.DecodeException;
import dev.cortado.tensor.Shapes;
import dev.cortado.tensor.TensorProtosDecoder;
import java.nio.ByteBuffer;

/**
 * The producer side of {@link TensorProtosDbInput}: reads records from the {@link DbReader},
 * decodes them with the streaming decoder straight into the slots of a {@link TensorBatch}, and
 * checks every record against the layout fixed by the first record read.
 *
 * <p>Two paths. With one decode thread and no shuffle, each record is decoded inside the reader's
 * visitor, straight from the backend's buffer (one payload copy per record). Otherwise the raw
 * records are first copied into a pooled {@link Staging} block under the reader's lock, then
 * decoded, by {@code decode_threads} workers that each fill a contiguous range of slots, so the
 * batch keeps the reader's order.
 *
 * <p>Used by one producer thread at a time; {@link #describeInFlight()} may be called from others.
 */
final class BatchFiller implements AutoCloseable {
  private final int numOutputs;
  private final int rows;
  private final boolean batched;
  private final LastBatch lastBatch;
  private final BufferPool pool;
  private final String[] owners;
  private final TensorProtosDecoder[] decoders;
  private final ParallelFor workers;
  private final Staging staging;
  private final ShuffleBuffer shuffle;
  private final DirectVisitor direct = new DirectVisitor();
  private final StagingVisitor stager = new StagingVisitor();
  private final ParallelFor.Body decodeBody = this::decodeStaged;

  /** Fixed by the first record read when batching; per record without batching. */
  private BatchLayout layout;

  private DataType[] layoutTypes;
  private long[][] layoutDims;
  private String layoutKey;
  private DbReader reader;
  private String readerText = "";
  private TensorBatch target;
  private boolean afterCycleEnd;

  private volatile long recordsRead;
  private volatile long recordsDropped;
  private volatile long recordsPadded;

  /** Whether a fill is running; {@link #visited} is only meaningful while it is. */
  private volatile boolean filling;

  /**
   * Records read for the batch being filled. Written by the producer per record without a fence (a
   * volatile store per record costs more than the diagnostics are worth); another thread reads it
   * only to describe a stuck producer, where a slightly stale count is fine.
   */
  private int visited;

  /**
   * @param batchSize 0 for no batching (one record, shapes as stored)
   * @param decodeThreads workers per batch, at least 1
   * @param shuffleBuffer 0 for none
   */
  BatchFiller(
      String owner,
      int numOutputs,
      int batchSize,
      int decodeThreads,
      int shuffleBuffer,
      long seed,
      LastBatch lastBatch,
      BufferPool pool) {
    this.numOutputs = numOutputs;
    this.rows = Math.max(batchSize, 1);
    this.batched = batchSize > 0;
    this.lastBatch = lastBatch;
    this.pool = pool;
    this.owners = new String[numOutputs];
    for (int i = 0; i < numOutputs; i++) {
      owners[i] = owner + " output " + i;
    }
    int threads = Math.min(decodeThreads, rows);
    this.decoders = new TensorProtosDecoder[threads];
    for (int i = 0; i < threads; i++) {
      decoders[i] = new TensorProtosDecoder();
    }
    boolean staged = threads > 1 || shuffleBuffer > 0;
    this.staging = staged ? new Staging(pool, owner + " staging", threads) : null;
    this.workers = staged ? new ParallelFor(owner, threads) : null;
    this.shuffle = shuffleBuffer > 0 ? new ShuffleBuffer(shuffleBuffer, seed) : null;
  }

  long recordsRead() {
    return recordsRead;
  }

  /** The threads that decode one batch. */
  int decodeThreads() {
    return decoders.length;
  }

  String describeInFlight() {
    if (!filling) {
      return "";
    }
    return visited + " of " + rows + " records of the batch read from " + readerText;
  }

  /** Fills {@code batch} with the next batch from {@code dbReader}. */
  void fill(DbReader dbReader, TensorBatch batch) throws Exception {
    if (dbReader != reader) {
      reader = dbReader;
      readerText = "db at " + dbReader.source() + " (" + dbReader.dbType() + ")";
    }
    target = batch;
    visited = 0;
    filling = true;
    try {
      if (batched && layout != null) {
        batch.ensure(layout, rows, true, pool, owners);
      }
      int filled = staging == null ? readDirect() : readStaged();
      batch.setValidRecords(filled);
      for (int j = filled; j < rows; j++) {
        batch.copyRecord(filled - 1, j);
      }
    } finally {
      filling = false;
      recordsRead = recordsRead + visited;
      target = null;
    }
  }

  /** Reads and decodes in the visitor; returns the records read into the batch. */
  private int readDirect() {
    direct.next = 0;
    return readRecords(direct);
  }

  private int readStaged() throws Exception {
    staging.reset();
    stager.next = 0;
    if (shuffle != null && !shuffle.isFull()) {
      stager.initialFill = true;
      try {
        reader.readBatch(shuffle.capacity(), stager);
      } finally {
        stager.initialFill = false;
      }
    }
    int filled = readRecords(stager);
    // Slot 0 fixes or checks the layout before the workers write into the batch.
    decodeSlot(decoders[0], 0, 0);
    if (filled > 1) {
      workers.run(filled - 1, decodeBody);
    }
    return filled;
  }

  /**
   * Reads {@code rows} records through {@code visitor} (which knows the slot to fill from its own
   * count), honouring {@code last_batch}; returns how many records the batch holds.
   */
  private int readRecords(CountingVisitor visitor) {
    if (lastBatch == LastBatch.WRAP) {
      reader.readBatch(rows, visitor);
      return rows;
    }
    // drop/pad: an epoch is one cycle of the reader's shard; readBatchInCycle stops after the
    // record that ends it. The next batch then starts the new epoch.
    boolean fromCycleStart = afterCycleEnd;
    while (true) {
      int want = rows - visitor.next;
      int got = reader.readBatchInCycle(want, visitor);
      if (got == want) {
        afterCycleEnd = false;
        return rows;
      }
      afterCycleEnd = true;
      if (lastBatch == LastBatch.PAD) {
        recordsPadded = recordsPadded + (rows - visitor.next);
        return visitor.next;
      }
      if (fromCycleStart) {
        throw new CortadoException(
            "last_batch=drop: one epoch of "
                + readerText
                + " (shard "
                + reader.shardId()
                + " of "
                + reader.numShards()
                + ") holds only "
                + visitor.next
                + " records, fewer than batch_size "
                + rows
                + ", so every batch would be dropped;"
                + " use last_batch=pad or a smaller batch_size");
      }
      recordsDropped = recordsDropped + visitor.next;
      visitor.restart();
      fromCycleStart = true;
    }
  }

  long recordsDropped() {
    return recordsDropped;
  }

  long recordsPadded() {
    return recordsPadded;
  }

  private void decodeStaged(int worker, int from, int to) {
    TensorProtosDecoder decoder = decoders[worker];
    for (int j = from + 1; j < to + 1; j++) {
      decodeSlot(decoder, worker, j);
    }
  }

  private void decodeSlot(TensorProtosDecoder decoder, int worker, int j) {
    try {
      decoder.parse(staging.value(worker, j), null);
      if (place(decoder, j)) {
        layoutKey = staging.describeKey(j);
      }
    } catch (DecodeException e) {
      throw keyed(e, staging.describeKey(j));
    }
  }

  /**
   * Checks the parsed record against the layout (fixing the layout first when this record does) and
   * copies it into its slot; true when it fixed a new layout.
   */
  private boolean place(TensorProtosDecoder decoder, int slot) {
    boolean fixed = false;
    if (slot == 0 && (layout == null || (!batched && !matches(decoder)))) {
      layout = BatchLayout.of(decoder, numOutputs);
      layoutTypes = new DataType[numOutputs];
      layoutDims = new long[numOutputs][];
      for (int i = 0; i < numOutputs; i++) {
        layoutTypes[i] = layout.dataType(i);
        layoutDims[i] = layout.recordDims(i);
      }
      layoutKey = null;
      fixed = true;
    } else {
      check(decoder);
    }
    if (slot == 0) {
      target.ensure(layout, rows, batched, pool, owners);
    }
    layout.copyInto(decoder, target.target(), slot);
    return fixed;
  }

  private boolean matches(TensorProtosDecoder decoder) {
    if (decoder.protoCount() != numOutputs) {
      return false;
    }
    for (int i = 0; i < numOutputs; i++) {
      if (decoder.dataType(i) != layoutTypes[i] || !decoder.hasDims(i, layoutDims[i])) {
        return false;
      }
    }
    return true;
  }

  /** Every record must match the first record's count, types and shapes, in every build. */
  private void check(TensorProtosDecoder decoder) {
    int n = decoder.protoCount();
    if (n != numOutputs) {
      throw new DecodeException(
          n
              + (n == 1 ? " tensor" : " tensors")
              + " in the record, "
              + numOutputs
              + " expected (one per output of the operator)");
    }
    for (int i = 0; i < numOutputs; i++) {
      DataType t = decoder.dataType(i);
      if (t != layoutTypes[i]) {
        throw new DecodeException(
            "output "
                + i
                + " has type "
                + t
                + ", expected "
                + layoutTypes[i]
                + " as in the first record read"
                + firstRecordNote());
      }
      if (!decoder.hasDims(i, layoutDims[i])) {
        throw new DecodeException(
            "output "
                + i
                + " has shape "
                + decoder.dimsString(i)
                + ", expected "
                + Shapes.toString(layoutDims[i])
                + " as in the first record read"
                + firstRecordNote());
      }
    }
  }

  private String firstRecordNote() {
    return layoutKey == null ? "" : " (" + layoutKey + ")";
  }

  private DecodeException keyed(DecodeException e, String key) {
    return new DecodeException("record " + key + " of " + readerText + ": " + e.getMessage(), e);
  }

  @Override
  public void close() {
    if (workers != null) {
      workers.close();
    }
    if (staging != null) {
      staging.close();
    }
  }

  /** A visitor that knows how many records it has taken for the current batch. */
  private abstract static class CountingVisitor implements RecordVisitor {
    int next;

    /** Forgets the records taken so far for this batch (a dropped partial batch). */
    void restart() {
      next = 0;
    }
  }

  /** Decodes each record straight from the backend's buffer into its slot. */
  private final class DirectVisitor extends CountingVisitor {
    @Override
    public void visit(ByteBuffer key, ByteBuffer value) {
      int j = next++;
      visited++;
      TensorProtosDecoder decoder = decoders[0];
      try {
        decoder.parse(value, null);
        if (place(decoder, j)) {
          layoutKey = Keys.describe(key);
        }
      } catch (DecodeException e) {
        throw keyed(e, Keys.describe(key));
      }
    }
  }

  /** Copies raw records into the staging block (through the shuffle buffer when there is one). */
  private final class StagingVisitor extends CountingVisitor {
    boolean initialFill;

    @Override
    void restart() {
      super.restart();
      staging.reset();
    }

    @Override
    public void visit(ByteBuffer key, ByteBuffer value) {
      visited++;
      if (initialFill) {
        shuffle.add(key, value);
        return;
      }
      next++;
      if (shuffle != null) {
        shuffle.swap(key, value, staging);
      } else {
        staging.add(key, value);
      }
    }
  }
}
