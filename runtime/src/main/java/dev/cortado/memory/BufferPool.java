package dev.cortado.memory;

import dev.cortado.CortadoException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Owns off-heap batch memory: lends aligned buffers, takes them back for reuse, and knows at all
 * times how many bytes are lent, so that a warm pipeline allocates nothing per batch and a buffer
 * nobody gave back is reported with the name of who took it.
 *
 * <p>A request is served by the smallest free buffer whose capacity is between the size asked for
 * and twice that; otherwise the {@link BufferAllocator} makes a new one. Batches of one shape
 * therefore always find their own buffers again. All methods are thread-safe (one lock, held only
 * for list bookkeeping, never while memory is filled).
 *
 * <p>{@link #close()} is idempotent. It frees the idle buffers; if any are still lent it throws
 * {@link MemoryLeakException} naming each owner. A buffer released after close is freed at once.
 *
 * <p>Set the system property {@value #TRACK_SITES_PROPERTY} to {@code true} to also record the
 * stack of every acquire; a leak report then carries those stacks as suppressed exceptions.
 */
public final class BufferPool implements AutoCloseable {
  /** System property that turns on recording the acquiring stack of every lease. */
  public static final String TRACK_SITES_PROPERTY = "cortado.memory.trackAllocationSites";

  private final String name;
  private final BufferAllocator allocator;
  private final boolean trackSites;
  private final ArrayList<PooledBuffer> free = new ArrayList<>();
  private final ArrayList<PooledBuffer> all = new ArrayList<>();
  private long bytesLent;
  private long bytesHeld;
  private int buffersLent;
  private long allocations;
  private long acquisitions;
  private boolean closed;

  /** A pool drawing from {@code allocator}; {@code name} appears in every message. */
  public BufferPool(String name, BufferAllocator allocator) {
    this.name = Objects.requireNonNull(name, "name");
    this.allocator = Objects.requireNonNull(allocator, "allocator");
    this.trackSites = Boolean.getBoolean(TRACK_SITES_PROPERTY);
  }

  /** A pool of direct buffers ({@link DirectBufferAllocator}). */
  public static BufferPool direct(String name) {
    return new BufferPool(name, DirectBufferAllocator.INSTANCE);
  }

  public String name() {
    return name;
  }

  /** The allocator's name, such as {@code direct}. */
  public String allocatorName() {
    return allocator.name();
  }

  /**
   * Lends a buffer of {@code bytes} bytes (see {@link PooledBuffer#buffer()}), reusing an idle one
   * when one fits. The contents are whatever the last holder left; callers overwrite them.
   *
   * @param owner who takes it, for leak reports: an operator and what the buffer is for
   */
  public PooledBuffer acquire(int bytes, String owner) {
    if (bytes < 0) {
      throw new IllegalArgumentException("negative buffer size " + bytes + " for '" + owner + "'");
    }
    Throwable site = trackSites ? new Throwable("acquired by '" + owner + "'") : null;
    String thread = Thread.currentThread().getName();
    synchronized (this) {
      if (closed) {
        throw new CortadoException(
            "buffer pool '"
                + name
                + "' is closed; '"
                + owner
                + "' asked it for "
                + bytes
                + " bytes");
      }
      PooledBuffer chosen = takeBestFit(bytes);
      if (chosen == null) {
        ByteBuffer memory = allocator.allocate(bytes);
        if (memory.capacity() < bytes) {
          throw new CortadoException(
              "allocator '"
                  + allocator.name()
                  + "' of pool '"
                  + name
                  + "' returned "
                  + memory.capacity()
                  + " bytes, "
                  + bytes
                  + " were asked for");
        }
        chosen = new PooledBuffer(this, memory);
        all.add(chosen);
        allocations++;
        bytesHeld += memory.capacity();
      }
      chosen.lend(bytes, owner, thread, site);
      bytesLent += chosen.capacity();
      buffersLent++;
      acquisitions++;
      return chosen;
    }
  }

  private PooledBuffer takeBestFit(int bytes) {
    long ceiling = 2L * bytes;
    int best = -1;
    for (int i = 0; i < free.size(); i++) {
      int capacity = free.get(i).capacity();
      if (capacity >= bytes
          && capacity <= Math.max(ceiling, 64)
          && (best < 0 || capacity < free.get(best).capacity())) {
        best = i;
        if (capacity == bytes) {
          break;
        }
      }
    }
    if (best < 0) {
      return null;
    }
    // Swap-remove keeps removal O(1); order among idle buffers does not matter.
    PooledBuffer chosen = free.get(best);
    int last = free.size() - 1;
    free.set(best, free.get(last));
    free.remove(last);
    return chosen;
  }

  synchronized void release(PooledBuffer buffer) {
    if (!buffer.lent()) {
      throw new IllegalStateException(
          "buffer of "
              + buffer.capacity()
              + " bytes from pool '"
              + name
              + "' released twice (owner '"
              + buffer.owner()
              + "')");
    }
    buffer.unlend();
    bytesLent -= buffer.capacity();
    buffersLent--;
    if (closed) {
      forget(buffer);
    } else {
      free.add(buffer);
    }
  }

  private void forget(PooledBuffer buffer) {
    all.remove(buffer);
    bytesHeld -= buffer.capacity();
    allocator.free(buffer.memory());
  }

  /** Frees every idle buffer; lent ones stay lent. */
  public synchronized void trim() {
    for (PooledBuffer b : free) {
      forget(b);
    }
    free.clear();
  }

  /** Bytes (capacities) lent out right now. */
  public synchronized long bytesLent() {
    return bytesLent;
  }

  /** Buffers lent out right now. */
  public synchronized int buffersLent() {
    return buffersLent;
  }

  /** Bytes this pool holds from its allocator: lent plus idle. */
  public synchronized long bytesHeld() {
    return bytesHeld;
  }

  /** How many times the pool called its allocator since it was made; flat once warm. */
  public synchronized long allocations() {
    return allocations;
  }

  /** How many leases were handed out since the pool was made. */
  public synchronized long acquisitions() {
    return acquisitions;
  }

  public synchronized boolean isClosed() {
    return closed;
  }

  /**
   * Frees the idle buffers and closes the pool. Throws {@link MemoryLeakException} once, on the
   * first call, when buffers are still lent; they are freed when released later.
   */
  @Override
  public void close() {
    MemoryLeakException leak;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      trim();
      if (buffersLent == 0) {
        return;
      }
      leak = leakReport();
    }
    throw leak;
  }

  private MemoryLeakException leakReport() {
    Map<String, long[]> byOwner = new LinkedHashMap<>();
    ArrayList<Throwable> sites = new ArrayList<>();
    for (PooledBuffer b : all) {
      if (b.lent()) {
        String key = "'" + b.owner() + "' (thread " + b.thread() + ")";
        long[] counts = byOwner.computeIfAbsent(key, k -> new long[2]);
        counts[0]++;
        counts[1] += b.capacity();
        if (b.site() != null) {
          sites.add(b.site());
        }
      }
    }
    StringBuilder msg =
        new StringBuilder("buffer pool '")
            .append(name)
            .append("' closed with ")
            .append(buffersLent)
            .append(" buffer(s), ")
            .append(bytesLent)
            .append(" bytes, still lent: ");
    String sep = "";
    for (Map.Entry<String, long[]> e : byOwner.entrySet()) {
      msg.append(sep)
          .append(e.getKey())
          .append(" holds ")
          .append(e.getValue()[0])
          .append(" buffer(s), ")
          .append(e.getValue()[1])
          .append(" bytes");
      sep = "; ";
    }
    if (sites.isEmpty()) {
      msg.append(" (run with -D").append(TRACK_SITES_PROPERTY).append("=true for stacks)");
    }
    MemoryLeakException leak = new MemoryLeakException(msg.toString());
    sites.forEach(leak::addSuppressed);
    return leak;
  }

  @Override
  public synchronized String toString() {
    return "BufferPool["
        + name
        + ", "
        + allocator.name()
        + ", lent "
        + bytesLent
        + " B in "
        + buffersLent
        + ", held "
        + bytesHeld
        + " B]";
  }
}
