package dev.cortado.memory;

import dev.cortado.tensor.Tensor;
import java.nio.ByteBuffer;

/**
 * The default allocator: {@link Tensor#ALIGNMENT}-byte aligned direct buffers from {@link
 * Tensor#allocateAligned}.
 *
 * <p>{@link #free} does nothing: an aligned slice cannot be freed explicitly, so the garbage
 * collector reclaims the memory once the pool and every tensor over it are gone. That also makes a
 * buffer that a caller still holds after a leak report safe to read.
 */
public final class DirectBufferAllocator implements BufferAllocator {
  /** The one instance; the allocator has no state. */
  public static final DirectBufferAllocator INSTANCE = new DirectBufferAllocator();

  private DirectBufferAllocator() {}

  @Override
  public String name() {
    return "direct";
  }

  @Override
  public ByteBuffer allocate(int bytes) {
    return Tensor.allocateAligned(bytes);
  }

  @Override
  public void free(ByteBuffer buffer) {
    // Reclaimed by the garbage collector; see the class comment.
  }
}
