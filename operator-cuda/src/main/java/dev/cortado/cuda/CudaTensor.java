package dev.cortado.cuda;

import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Shapes;
import dev.cortado.tensor.Tensor;
import java.lang.ref.Cleaner;
import java.util.Objects;

/**
 * A tensor in CUDA device memory: the same data type and dims model as {@link Tensor}, a device
 * allocation of {@link #nbytes()} bytes, and an event that marks when the last write to it is done.
 *
 * <p>Writers enqueue work on their stream and call {@link #markWritten}; readers on another stream
 * call {@link #orderAfterWrite} (device-side wait), and {@link #toHost()} waits on the host. STRING
 * tensors cannot live on a device. The dims and type are fixed; the memory is reused by operators
 * whose output keeps its shape, as in Caffe2.
 */
public final class CudaTensor implements AutoCloseable {
  private static final Cleaner CLEANER = Cleaner.create();

  private final CopyEngine engine;
  private final DataType type;
  private final long[] dims;
  private final long numel;
  private final long nbytes;
  private final CopyEngine.DeviceMemory memory;
  private final CopyEngine.Event written;
  private final Cleaner.Cleanable cleanable;
  private boolean closed;

  private CudaTensor(CopyEngine engine, int deviceId, DataType type, long[] dims) {
    this.engine = engine;
    this.type = type;
    this.dims = dims.clone();
    this.numel = Shapes.numel(this.dims);
    this.nbytes = Math.multiplyExact(numel, (long) type.elementSize());
    this.memory = engine.allocateDevice(deviceId, nbytes);
    CopyEngine.Event event;
    try {
      event = engine.createEvent(deviceId);
    } catch (RuntimeException e) {
      memory.close();
      throw e;
    }
    this.written = event;
    this.cleanable = CLEANER.register(this, new Release(memory, event));
  }

  /**
   * A tensor of {@code type} and {@code dims} in fresh (uninitialised) memory of CUDA device {@code
   * deviceId}. Throws for STRING and other types without a fixed element size.
   */
  public static CudaTensor allocate(CopyEngine engine, int deviceId, DataType type, long[] dims) {
    Objects.requireNonNull(type, "type");
    if (!type.isFixedSize()) {
      throw new CudaException(
          "a "
              + type
              + " tensor "
              + Shapes.toString(dims)
              + " cannot live on a CUDA device:"
              + " only fixed-size types can (keep it on the CPU)");
    }
    return new CudaTensor(engine, deviceId, type, dims);
  }

  public DataType dataType() {
    return type;
  }

  /** A copy of the dims, outermost first; empty for a scalar. */
  public long[] dims() {
    return dims.clone();
  }

  public int rank() {
    return dims.length;
  }

  public long dim(int i) {
    return dims[i];
  }

  /** Element count: the product of the dims (1 for a scalar). */
  public long numel() {
    return numel;
  }

  /** Storage size in bytes. */
  public long nbytes() {
    return nbytes;
  }

  /** The CUDA device id the memory lives on. */
  public int deviceId() {
    return memory.deviceId();
  }

  /** The device allocation, for engines and copy operators. */
  public CopyEngine.DeviceMemory memory() {
    checkOpen();
    return memory;
  }

  /** True when type and dims equal the given ones (the memory can then be reused for them). */
  public boolean hasShape(DataType otherType, long[] otherDims) {
    return type == otherType && java.util.Arrays.equals(dims, otherDims);
  }

  /** Records that the work enqueued so far on {@code stream} finishes the tensor's contents. */
  public void markWritten(CopyEngine.Stream stream) {
    checkOpen();
    written.record(stream);
  }

  /** Makes later work on {@code stream} wait (on the device) for the last write to finish. */
  public void orderAfterWrite(CopyEngine.Stream stream) {
    checkOpen();
    stream.waitFor(written);
  }

  /** True once the last recorded write has finished. */
  public boolean isWriteComplete() {
    checkOpen();
    return written.isComplete();
  }

  /** A CPU copy of the contents, after the last recorded write has finished. */
  public Tensor toHost() {
    checkOpen();
    Tensor host = Tensor.allocate(type, dims);
    written.synchronize();
    if (nbytes > 0) {
      engine.copyToHost(memory, 0, host.data());
    }
    return host;
  }

  /** Frees the device memory and the event; idempotent. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      cleanable.clean();
    }
  }

  private synchronized void checkOpen() {
    if (closed) {
      throw new IllegalStateException("CUDA tensor " + this + " was closed");
    }
  }

  @Override
  public String toString() {
    return "CudaTensor["
        + type.shortName()
        + " "
        + Shapes.toString(dims)
        + " on cuda:"
        + memory.deviceId()
        + "]";
  }

  // Holds no reference to the tensor, so a tensor nobody closed is still freed once unreachable.
  private record Release(CopyEngine.DeviceMemory memory, CopyEngine.Event event)
      implements Runnable {
    @Override
    public void run() {
      try {
        event.close();
      } finally {
        memory.close();
      }
    }
  }
}
