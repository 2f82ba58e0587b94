package dev.cortado.cuda;

import dev.cortado.memory.BufferAllocator;
import dev.cortado.memory.MemoryLeakException;
import java.nio.ByteBuffer;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * A {@link BufferAllocator} of page-locked host memory ({@code cudaHostAlloc}, portable), so that
 * host-to-device copies from it run asynchronously at full bus speed. It owns what it lends: it
 * counts buffers and bytes, and {@link #close()} frees whatever is still out and reports it.
 */
public final class PinnedHostAllocator implements BufferAllocator, AutoCloseable {
  private final CopyEngine engine;
  private final int deviceId;
  private final String owner;
  private final Map<ByteBuffer, Integer> out = new IdentityHashMap<>();
  private long bytesOut;
  private long peakBytes;
  private long allocations;
  private long frees;
  private boolean closed;

  /** An allocator for {@code owner} (named in leak reports) that pins through {@code engine}. */
  public PinnedHostAllocator(CopyEngine engine, int deviceId, String owner) {
    this.engine = engine;
    this.deviceId = deviceId;
    this.owner = owner;
  }

  @Override
  public String name() {
    return "cuda-pinned";
  }

  @Override
  public synchronized ByteBuffer allocate(int bytes) {
    if (closed) {
      throw new IllegalStateException(
          "pinned allocator of " + owner + " is closed; cannot allocate " + bytes + " bytes");
    }
    if (bytes < 0) {
      throw new IllegalArgumentException("negative allocation of " + bytes + " bytes");
    }
    ByteBuffer b = engine.allocatePinned(deviceId, bytes);
    out.put(b, bytes);
    bytesOut += bytes;
    peakBytes = Math.max(peakBytes, bytesOut);
    allocations++;
    return b;
  }

  @Override
  public synchronized void free(ByteBuffer buffer) {
    Integer bytes = out.remove(buffer);
    if (bytes == null) {
      throw new IllegalArgumentException(
          "pinned allocator of "
              + owner
              + ": a buffer of "
              + buffer.capacity()
              + " bytes was not allocated here or was freed already");
    }
    bytesOut -= bytes;
    frees++;
    engine.freePinned(buffer);
  }

  /** Bytes lent and not yet freed. */
  public synchronized long bytesOutstanding() {
    return bytesOut;
  }

  /** Buffers lent and not yet freed. */
  public synchronized int buffersOutstanding() {
    return out.size();
  }

  /** The most bytes ever out at once. */
  public synchronized long peakBytes() {
    return peakBytes;
  }

  /** How many buffers were allocated in total (constant once a pool above it is warm). */
  public synchronized long allocations() {
    return allocations;
  }

  /** How many buffers were freed in total. */
  public synchronized long frees() {
    return frees;
  }

  /**
   * Frees every buffer still out; idempotent. Throws {@link MemoryLeakException} naming the owner,
   * count and bytes when some were still out, after freeing them (their users must not touch them
   * again).
   */
  @Override
  public void close() {
    int leaked;
    long leakedBytes;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      leaked = out.size();
      leakedBytes = bytesOut;
      for (ByteBuffer b : out.keySet()) {
        engine.freePinned(b);
      }
      frees += leaked;
      out.clear();
      bytesOut = 0;
    }
    if (leaked > 0) {
      throw new MemoryLeakException(
          "pinned allocator of "
              + owner
              + " closed with "
              + leaked
              + " buffer(s), "
              + leakedBytes
              + " bytes still out; freed them");
    }
  }
}
