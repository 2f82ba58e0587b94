package dev.cortado.cuda;

import java.nio.ByteBuffer;

/**
 * The few CUDA runtime services Cortado needs (device and pinned memory, streams, events and
 * copies), behind an interface so that everything above it runs against a fake on machines without
 * a GPU. {@link JCudaEngine} is the real one.
 *
 * <p>Host buffers are direct, little-endian {@link ByteBuffer}s; a copy covers the buffer's
 * position..limit window. Asynchronous copies may read or write the host buffer until an event
 * recorded after them on the same stream completes.
 */
public interface CopyEngine {
  /** A short name for messages ({@code jcuda}, {@code fake}). */
  String name();

  /** Whether devices can be used, and why not. */
  CudaAvailability availability();

  /** A new stream on {@code deviceId} that does not synchronise with the legacy default stream. */
  Stream createStream(int deviceId);

  /** A new event on {@code deviceId} (no timing). */
  Event createEvent(int deviceId);

  /** {@code bytes} of device memory on {@code deviceId}. */
  DeviceMemory allocateDevice(int deviceId, long bytes);

  /**
   * {@code bytes} of page-locked host memory usable by every device: a direct little-endian buffer
   * of exactly that capacity, page aligned. Give it back with {@link #freePinned}.
   */
  ByteBuffer allocatePinned(int deviceId, int bytes);

  /** Frees a buffer {@link #allocatePinned} returned (the same instance). */
  void freePinned(ByteBuffer buffer);

  /** Enqueues a host-to-device copy of {@code src}'s remaining bytes to {@code dst + dstOffset}. */
  void copyToDeviceAsync(ByteBuffer src, DeviceMemory dst, long dstOffset, Stream stream);

  /**
   * Enqueues a device-to-host copy of {@code dst.remaining()} bytes from {@code src + srcOffset}.
   */
  void copyToHostAsync(DeviceMemory src, long srcOffset, ByteBuffer dst, Stream stream);

  /**
   * Copies {@code dst.remaining()} bytes from {@code src + srcOffset} and returns when they are in
   * {@code dst}. Orders only after work the caller has already waited for (an event it
   * synchronised), not after other streams.
   */
  void copyToHost(DeviceMemory src, long srcOffset, ByteBuffer dst);

  /** Enqueues a device-to-device copy of {@code bytes} bytes. */
  void copyDeviceAsync(DeviceMemory src, DeviceMemory dst, long bytes, Stream stream);

  /** A device-resident block of memory. */
  interface DeviceMemory extends AutoCloseable {
    int deviceId();

    long nbytes();

    /** Frees the memory; idempotent. */
    @Override
    void close();
  }

  /** An ordered queue of device work. */
  interface Stream extends AutoCloseable {
    int deviceId();

    /** Makes later work on this stream wait until {@code event} has completed (device side). */
    void waitFor(Event event);

    /** Blocks the calling thread until all work enqueued so far has finished. */
    void synchronize();

    /** Destroys the stream; idempotent. */
    @Override
    void close();
  }

  /** A marker in a stream; complete once all work enqueued before its recording has finished. */
  interface Event extends AutoCloseable {
    /** Records the event at the current end of {@code stream} (re-recording moves it). */
    void record(Stream stream);

    /** True once the work before the last recording has finished (true if never recorded). */
    boolean isComplete();

    /** Blocks the calling thread until {@link #isComplete()}. */
    void synchronize();

    /** Destroys the event; idempotent. */
    @Override
    void close();
  }
}
