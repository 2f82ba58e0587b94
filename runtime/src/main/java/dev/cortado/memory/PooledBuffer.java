package dev.cortado.memory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One block of pooled memory and its current lease: who holds it and how many of its bytes they
 * asked for. The same object is handed out again after {@link #release()}, so leasing allocates
 * nothing once the pool is warm.
 */
public final class PooledBuffer {
  private final BufferPool pool;
  private final ByteBuffer memory;
  private ByteBuffer view;
  private int size = -1;
  // Written under the pool's lock; volatile so buffer() can check it without taking the lock.
  private volatile boolean lent;
  private String owner;
  private String thread;
  private Throwable site;

  PooledBuffer(BufferPool pool, ByteBuffer memory) {
    this.pool = pool;
    this.memory = memory;
  }

  /**
   * The leased bytes: a little-endian view with position 0 and limit = the size asked for. The view
   * is shared by every call during one lease, so use absolute gets and puts or {@code duplicate()}
   * it before moving its position.
   */
  public ByteBuffer buffer() {
    checkLent();
    return view;
  }

  /** The bytes asked for in this lease. */
  public int size() {
    return size;
  }

  /** The bytes this block really holds (at least {@link #size()}). */
  public int capacity() {
    return memory.capacity();
  }

  /** Who leased it, as given to {@link BufferPool#acquire}. */
  public String owner() {
    return owner;
  }

  /** True between {@link BufferPool#acquire} and {@link #release()}. */
  public boolean isLent() {
    return lent;
  }

  /** Returns the buffer to its pool; its bytes may be handed to someone else right after. */
  public void release() {
    pool.release(this);
  }

  ByteBuffer memory() {
    return memory;
  }

  // The methods below run under the pool's lock.

  boolean lent() {
    return lent;
  }

  void lend(int bytes, String newOwner, String newThread, Throwable newSite) {
    if (bytes != size) {
      ByteBuffer v = memory.duplicate().clear();
      v.limit(bytes);
      view = v.slice().order(ByteOrder.LITTLE_ENDIAN);
      size = bytes;
    }
    lent = true;
    owner = newOwner;
    thread = newThread;
    site = newSite;
  }

  void unlend() {
    lent = false;
    site = null;
  }

  String thread() {
    return thread;
  }

  Throwable site() {
    return site;
  }

  private void checkLent() {
    if (!isLent()) {
      throw new IllegalStateException(
          "buffer of "
              + capacity()
              + " bytes from pool '"
              + pool.name()
              + "' (last owner '"
              + owner
              + "') is not lent; it was released");
    }
  }
}
