package dev.cortado.cuda;

import dev.cortado.cpu.input.TensorBatch;
import dev.cortado.cpu.input.TensorProtosDbInput;
import dev.cortado.operator.OperatorContext;
import dev.cortado.prefetch.PrefetchException;
import dev.cortado.tensor.Tensor;
import java.util.Map;

/**
 * Caffe2's {@code TensorProtosDBInput} for device CUDA. The producer side (reader, decoder, batch
 * assembly, checks, decode threads, shuffle) is the CPU operator's, unchanged; only the batch
 * memory differs: it is pinned host memory from this operator's {@link CudaContext}.
 *
 * <p>{@link #copyPrefetched} issues one asynchronous host-to-device copy per output on the
 * operator's own stream, into device tensors that are reused while the shape stays the same, and
 * returns without waiting. The host batch is retained until the event recorded after its copies has
 * completed, so its pinned buffers are never refilled under a running copy; that is checked (and
 * normally already true) at the next run, which releases it to the producer. Consumers of the
 * outputs on other streams order themselves after {@link CudaTensor#orderAfterWrite}; {@link
 * CudaTensor#toHost()} waits for the copy.
 */
public final class CudaTensorProtosDbInput extends TensorProtosDbInput {
  /** One batch may be held by an unfinished copy beyond the CPU operator's slots. */
  static final int EXTRA_SLOTS = 1;

  private final CudaContext cuda;
  private final CopyEngine.Event copied;
  private TensorBatch inFlight;
  private long copies;
  private long bytesCopied;
  private long copyWaits;
  private boolean closed;

  private CudaTensorProtosDbInput(OperatorContext ctx, CudaContext cuda) {
    super(ctx, cuda.pinnedAllocator(), EXTRA_SLOTS);
    this.cuda = cuda;
    this.copied = cuda.newEvent();
  }

  /**
   * Opens the operator's CUDA context first, so that on a machine without the device the error is
   * "no CUDA device available: ...", then reads the arguments as the CPU operator does.
   */
  public static CudaTensorProtosDbInput create(OperatorContext ctx) {
    CudaContext cuda = CudaContext.forOperator(ctx);
    try {
      return new CudaTensorProtosDbInput(ctx, cuda);
    } catch (RuntimeException e) {
      try {
        cuda.close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  @Override
  protected void copyPrefetched(TensorBatch batch) {
    finishInFlight();
    int n = batch.numOutputs();
    // Check every output before enqueuing any copy, so a refused batch leaves no copy in flight.
    for (int i = 0; i < n; i++) {
      Tensor host = batch.tensor(i);
      if (!host.dataType().isFixedSize()) {
        throw ctx.error(
            "output "
                + i
                + " ('"
                + ctx.outputName(i)
                + "') is "
                + host
                + "; a "
                + host.dataType()
                + " tensor cannot live on a CUDA device (only fixed-size types can);"
                + " read it with a CPU TensorProtosDBInput");
      }
    }
    CudaTensor[] outputs = new CudaTensor[n];
    for (int i = 0; i < n; i++) {
      Tensor host = batch.tensor(i);
      CudaTensor dst = cuda.reuseOrAllocate(ctx.output(i).get(), host.dataType(), host.dims());
      if (dst.nbytes() > 0) {
        cuda.engine().copyToDeviceAsync(host.data(), dst.memory(), 0, cuda.stream());
        copies++;
        bytesCopied += dst.nbytes();
      }
      dst.markWritten(cuda.stream());
      outputs[i] = dst;
    }
    // The batch stays ours until the copies that read its pinned buffers have finished.
    batch.retain();
    copied.record(cuda.stream());
    inFlight = batch;
    for (int i = 0; i < n; i++) {
      ctx.output(i).set(outputs[i]);
    }
  }

  /** Waits (normally not at all) for the last batch's copies, then gives the batch back. */
  private void finishInFlight() {
    TensorBatch b = inFlight;
    if (b == null) {
      return;
    }
    if (!copied.isComplete()) {
      copyWaits++;
      copied.synchronize();
    }
    inFlight = null;
    b.release();
  }

  /** Adds {@code h2d_copies}, {@code h2d_bytes}, {@code h2d_waits} and the pinned bytes held. */
  @Override
  protected void addMetrics(Map<String, Number> metrics) {
    super.addMetrics(metrics);
    metrics.put("h2d_copies", copies);
    metrics.put("h2d_bytes", bytesCopied);
    metrics.put("h2d_waits", copyWaits);
    metrics.put("pinned_bytes", cuda.pinnedAllocator().bytesOutstanding());
    metrics.put("cuda_device", cuda.deviceId());
  }

  /** The operator's CUDA context (device, stream, pinned allocator), for tests and tools. */
  public CudaContext cuda() {
    return cuda;
  }

  /**
   * Waits for the last copy, stops the producer and frees the batches (as the CPU operator), then
   * the stream, events and pinned memory. If the producer cannot be stopped its pinned buffers are
   * left allocated, since it may still write into them. Idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    boolean producerStuck = false;
    try {
      finishInFlight();
      // Nothing may still read the pinned buffers that the pool frees next.
      cuda.synchronize();
    } finally {
      try {
        super.close();
      } catch (PrefetchException e) {
        producerStuck = true;
        throw e;
      } finally {
        if (producerStuck) {
          cuda.closeLeavingPinnedMemory();
        } else {
          cuda.close();
        }
      }
    }
  }
}
