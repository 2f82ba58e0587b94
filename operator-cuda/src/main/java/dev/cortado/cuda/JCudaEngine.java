package dev.cortado.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.IdentityHashMap;
import java.util.Map;
import jcuda.Pointer;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaError;
import jcuda.runtime.cudaEvent_t;
import jcuda.runtime.cudaMemcpyKind;
import jcuda.runtime.cudaMemoryType;
import jcuda.runtime.cudaPointerAttributes;
import jcuda.runtime.cudaStream_t;

/**
 * The real {@link CopyEngine}: JCuda 12.6's runtime API, whose native library links the CUDA
 * runtime statically and needs only the driver ({@code libcuda.so.1}).
 *
 * <p>The CUDA runtime keeps the current device per thread, and Cortado's operators run on whatever
 * thread the net or the prefetcher uses, so every call selects its device first.
 */
public final class JCudaEngine implements CopyEngine {
  private final CudaAvailability availability;
  private final Map<ByteBuffer, Pointer> pinned = new IdentityHashMap<>();

  private JCudaEngine(CudaAvailability availability) {
    this.availability = availability;
  }

  /**
   * The engine of this process; throws {@link NoCudaDeviceException} ("no CUDA device available:
   * ...") when {@link CudaAvailability#probe()} finds no usable device.
   */
  public static JCudaEngine open() {
    CudaAvailability a = CudaAvailability.probe();
    NoCudaDeviceException missing = a.missing(0);
    if (missing != null) {
      throw missing;
    }
    return Holder.INSTANCE;
  }

  // One engine per process: pinned-buffer bookkeeping is process-wide like the memory itself.
  private static final class Holder {
    static final JCudaEngine INSTANCE = new JCudaEngine(CudaAvailability.probe());
  }

  @Override
  public String name() {
    return "jcuda";
  }

  @Override
  public CudaAvailability availability() {
    return availability;
  }

  @Override
  public Stream createStream(int deviceId) {
    select(deviceId);
    cudaStream_t s = new cudaStream_t();
    check(
        JCuda.cudaStreamCreateWithFlags(s, JCuda.cudaStreamNonBlocking),
        "cudaStreamCreateWithFlags",
        deviceId,
        "creating an operator stream");
    return new JStream(deviceId, s);
  }

  @Override
  public Event createEvent(int deviceId) {
    select(deviceId);
    cudaEvent_t e = new cudaEvent_t();
    check(
        JCuda.cudaEventCreateWithFlags(e, JCuda.cudaEventDisableTiming),
        "cudaEventCreateWithFlags",
        deviceId,
        "creating a copy event");
    return new JEvent(deviceId, e);
  }

  @Override
  public DeviceMemory allocateDevice(int deviceId, long bytes) {
    select(deviceId);
    Pointer p = new Pointer();
    check(
        JCuda.cudaMalloc(p, Math.max(1, bytes)),
        "cudaMalloc",
        deviceId,
        "allocating " + bytes + " bytes of device memory");
    return new JDeviceMemory(deviceId, p, bytes);
  }

  @Override
  public ByteBuffer allocatePinned(int deviceId, int bytes) {
    select(deviceId);
    Pointer p = new Pointer();
    check(
        JCuda.cudaHostAlloc(p, Math.max(1, bytes), JCuda.cudaHostAllocPortable),
        "cudaHostAlloc",
        deviceId,
        "allocating " + bytes + " bytes of pinned host memory");
    ByteBuffer whole = p.getByteBuffer(0, Math.max(1, bytes));
    whole.limit(bytes);
    ByteBuffer b = whole.slice().order(ByteOrder.LITTLE_ENDIAN);
    synchronized (pinned) {
      pinned.put(b, p);
    }
    return b;
  }

  @Override
  public void freePinned(ByteBuffer buffer) {
    Pointer p;
    synchronized (pinned) {
      p = pinned.remove(buffer);
    }
    if (p == null) {
      throw new IllegalArgumentException(
          "freePinned: the buffer of "
              + buffer.capacity()
              + " bytes was not made by allocatePinned"
              + " (or was freed already)");
    }
    check(JCuda.cudaFreeHost(p), "cudaFreeHost", -1, "freeing pinned host memory");
  }

  @Override
  public void copyToDeviceAsync(ByteBuffer src, DeviceMemory dst, long dstOffset, Stream stream) {
    long n = src.remaining();
    checkRange("copy to device", dst, dstOffset, n);
    JStream s = (JStream) stream;
    select(s.deviceId);
    check(
        JCuda.cudaMemcpyAsync(
            ((JDeviceMemory) dst).pointer.withByteOffset(dstOffset),
            Pointer.to(src.slice()),
            n,
            cudaMemcpyKind.cudaMemcpyHostToDevice,
            s.handle),
        "cudaMemcpyAsync",
        s.deviceId,
        "copying " + n + " bytes host to device");
  }

  @Override
  public void copyToHostAsync(DeviceMemory src, long srcOffset, ByteBuffer dst, Stream stream) {
    long n = dst.remaining();
    checkRange("copy to host", src, srcOffset, n);
    JStream s = (JStream) stream;
    select(s.deviceId);
    check(
        JCuda.cudaMemcpyAsync(
            Pointer.to(dst.slice()),
            ((JDeviceMemory) src).pointer.withByteOffset(srcOffset),
            n,
            cudaMemcpyKind.cudaMemcpyDeviceToHost,
            s.handle),
        "cudaMemcpyAsync",
        s.deviceId,
        "copying " + n + " bytes device to host");
  }

  @Override
  public void copyToHost(DeviceMemory src, long srcOffset, ByteBuffer dst) {
    long n = dst.remaining();
    checkRange("copy to host", src, srcOffset, n);
    select(src.deviceId());
    check(
        JCuda.cudaMemcpy(
            Pointer.to(dst.slice()),
            ((JDeviceMemory) src).pointer.withByteOffset(srcOffset),
            n,
            cudaMemcpyKind.cudaMemcpyDeviceToHost),
        "cudaMemcpy",
        src.deviceId(),
        "copying " + n + " bytes device to host");
  }

  @Override
  public void copyDeviceAsync(DeviceMemory src, DeviceMemory dst, long bytes, Stream stream) {
    checkRange("device copy source", src, 0, bytes);
    checkRange("device copy target", dst, 0, bytes);
    JStream s = (JStream) stream;
    select(s.deviceId);
    check(
        JCuda.cudaMemcpyAsync(
            ((JDeviceMemory) dst).pointer,
            ((JDeviceMemory) src).pointer,
            bytes,
            cudaMemcpyKind.cudaMemcpyDeviceToDevice,
            s.handle),
        "cudaMemcpyAsync",
        s.deviceId,
        "copying " + bytes + " bytes device to device");
  }

  /**
   * True when the CUDA driver knows {@code buffer}'s memory as page-locked host memory, the
   * condition for a truly asynchronous host-to-device copy.
   */
  public boolean isPinned(ByteBuffer buffer) {
    cudaPointerAttributes attributes = new cudaPointerAttributes();
    int rc = JCuda.cudaPointerGetAttributes(attributes, Pointer.to(buffer.slice()));
    if (rc != cudaError.cudaSuccess) {
      return false;
    }
    return attributes.type == cudaMemoryType.cudaMemoryTypeHost;
  }

  /** Pinned buffers handed out and not yet freed (for leak checks). */
  public int pinnedOutstanding() {
    synchronized (pinned) {
      return pinned.size();
    }
  }

  private static void checkRange(String what, DeviceMemory m, long offset, long n) {
    if (offset < 0 || n < 0 || offset + n > m.nbytes()) {
      throw new IllegalArgumentException(
          what
              + ": "
              + n
              + " bytes at offset "
              + offset
              + " do not fit device memory of "
              + m.nbytes()
              + " bytes");
    }
  }

  private static void select(int deviceId) {
    check(JCuda.cudaSetDevice(deviceId), "cudaSetDevice", deviceId, "selecting the device");
  }

  static void check(int rc, String call, int deviceId, String what) {
    if (rc != cudaError.cudaSuccess) {
      throw new CudaException(
          call
              + " failed with "
              + cudaError.stringFor(rc)
              + " ("
              + rc
              + "): "
              + JCuda.cudaGetErrorString(rc)
              + "; "
              + what
              + (deviceId >= 0 ? " on CUDA device " + deviceId : ""));
    }
  }

  private static final class JDeviceMemory implements DeviceMemory {
    private final int deviceId;
    private final Pointer pointer;
    private final long nbytes;
    private boolean closed;

    JDeviceMemory(int deviceId, Pointer pointer, long nbytes) {
      this.deviceId = deviceId;
      this.pointer = pointer;
      this.nbytes = nbytes;
    }

    @Override
    public int deviceId() {
      return deviceId;
    }

    @Override
    public long nbytes() {
      return nbytes;
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        select(deviceId);
        check(JCuda.cudaFree(pointer), "cudaFree", deviceId, "freeing device memory");
      }
    }
  }

  private static final class JStream implements Stream {
    private final int deviceId;
    private final cudaStream_t handle;
    private boolean closed;

    JStream(int deviceId, cudaStream_t handle) {
      this.deviceId = deviceId;
      this.handle = handle;
    }

    @Override
    public int deviceId() {
      return deviceId;
    }

    @Override
    public void waitFor(Event event) {
      select(deviceId);
      check(
          JCuda.cudaStreamWaitEvent(handle, ((JEvent) event).handle, 0),
          "cudaStreamWaitEvent",
          deviceId,
          "ordering a stream after an event");
    }

    @Override
    public void synchronize() {
      select(deviceId);
      check(
          JCuda.cudaStreamSynchronize(handle),
          "cudaStreamSynchronize",
          deviceId,
          "waiting for an operator stream");
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        select(deviceId);
        check(
            JCuda.cudaStreamDestroy(handle),
            "cudaStreamDestroy",
            deviceId,
            "destroying an operator stream");
      }
    }
  }

  private static final class JEvent implements Event {
    private final int deviceId;
    private final cudaEvent_t handle;
    private boolean closed;

    JEvent(int deviceId, cudaEvent_t handle) {
      this.deviceId = deviceId;
      this.handle = handle;
    }

    @Override
    public void record(Stream stream) {
      JStream s = (JStream) stream;
      select(s.deviceId);
      check(
          JCuda.cudaEventRecord(handle, s.handle),
          "cudaEventRecord",
          s.deviceId,
          "recording a copy event");
    }

    @Override
    public boolean isComplete() {
      int rc = JCuda.cudaEventQuery(handle);
      if (rc == cudaError.cudaErrorNotReady) {
        return false;
      }
      check(rc, "cudaEventQuery", deviceId, "polling a copy event");
      return true;
    }

    @Override
    public void synchronize() {
      check(
          JCuda.cudaEventSynchronize(handle),
          "cudaEventSynchronize",
          deviceId,
          "waiting for a copy event");
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        select(deviceId);
        check(
            JCuda.cudaEventDestroy(handle),
            "cudaEventDestroy",
            deviceId,
            "destroying a copy event");
      }
    }
  }
}
