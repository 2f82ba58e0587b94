package dev.cortado.cuda;

import dev.cortado.operator.OperatorContext;
import dev.cortado.proto.DeviceOption;
import dev.cortado.tensor.DataType;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The CUDA side of one operator, as Caffe2's {@code CUDAContext}: its device (from the {@code
 * DeviceOption}), its own stream, events, and its pinned host allocator. Closing it waits for the
 * stream, then frees the events, the stream and the pinned memory; it is idempotent.
 */
public final class CudaContext implements AutoCloseable {
  private final CopyEngine engine;
  private final int deviceId;
  private final String owner;
  private final CopyEngine.Stream stream;
  private final PinnedHostAllocator pinned;
  private final List<CopyEngine.Event> events = new ArrayList<>();
  private boolean closed;

  private CudaContext(CopyEngine engine, int deviceId, String owner) {
    this.engine = engine;
    this.deviceId = deviceId;
    this.owner = owner;
    this.stream = engine.createStream(deviceId);
    this.pinned = new PinnedHostAllocator(engine, deviceId, owner);
  }

  /**
   * A context for the device in {@code option} on {@code engine}. Throws {@link
   * NoCudaDeviceException} ("no CUDA device available: ...") when the engine has no such device.
   *
   * @param owner the operator, for messages
   */
  public static CudaContext open(CopyEngine engine, DeviceOption option, String owner) {
    Objects.requireNonNull(engine, "engine");
    int id = CudaDevices.deviceId(option, owner);
    NoCudaDeviceException missing = engine.availability().missing(id, owner);
    if (missing != null) {
      throw missing;
    }
    return new CudaContext(engine, id, owner);
  }

  /** A context on the process's JCuda engine; the no-device error comes before any JCuda call. */
  public static CudaContext open(DeviceOption option, String owner) {
    int id = CudaDevices.deviceId(option, owner);
    NoCudaDeviceException missing = CudaAvailability.probe().missing(id, owner);
    if (missing != null) {
      throw missing;
    }
    return new CudaContext(JCudaEngine.open(), id, owner);
  }

  /**
   * The context of a CUDA operator: on the {@link CopyEngine} the workspace's runtime services
   * provide (a test binds a fake GPU there), else on JCuda.
   */
  public static CudaContext forOperator(OperatorContext op) {
    Optional<CopyEngine> engine = op.services().find(CopyEngine.class);
    return engine.isPresent()
        ? open(engine.get(), op.deviceOption(), op.describe())
        : open(op.deviceOption(), op.describe());
  }

  public CopyEngine engine() {
    return engine;
  }

  public int deviceId() {
    return deviceId;
  }

  /** The operator this context belongs to. */
  public String owner() {
    return owner;
  }

  /** The operator's own stream. */
  public CopyEngine.Stream stream() {
    return stream;
  }

  /** The pinned host allocator, to plug into a {@link dev.cortado.memory.BufferPool}. */
  public PinnedHostAllocator pinnedAllocator() {
    return pinned;
  }

  /** A new event on this device, destroyed with the context. */
  public synchronized CopyEngine.Event newEvent() {
    CopyEngine.Event e = engine.createEvent(deviceId);
    events.add(e);
    return e;
  }

  /**
   * {@code current} if it is a CUDA tensor of this type and shape on this device (its memory is
   * reused, as Caffe2 reuses an output of the same size); otherwise a new tensor, after closing
   * {@code current} when it is a CUDA tensor.
   */
  public CudaTensor reuseOrAllocate(Object current, DataType type, long[] dims) {
    if (current instanceof CudaTensor t && t.deviceId() == deviceId && t.hasShape(type, dims)) {
      return t;
    }
    if (current instanceof CudaTensor t) {
      t.close();
    }
    return CudaTensor.allocate(engine, deviceId, type, dims);
  }

  /** Blocks until all work enqueued on the stream has finished. */
  public void synchronize() {
    stream.synchronize();
  }

  @Override
  public void close() {
    close(true);
  }

  /**
   * Closes the stream and events but leaves the pinned memory allocated: for an operator whose
   * producer thread could not be stopped and may still write into its pinned buffers.
   */
  public void closeLeavingPinnedMemory() {
    close(false);
  }

  private void close(boolean freePinned) {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    try {
      stream.synchronize();
    } finally {
      try {
        for (CopyEngine.Event e : events) {
          e.close();
        }
        stream.close();
      } finally {
        if (freePinned) {
          pinned.close();
        }
      }
    }
  }

  @Override
  public String toString() {
    return "CudaContext[" + owner + " on cuda:" + deviceId + " via " + engine.name() + "]";
  }
}
