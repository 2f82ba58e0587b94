package dev.cortado.memory;

import java.nio.ByteBuffer;

/**
 * Where a {@link BufferPool} gets its memory from: direct heap-external memory by default, pinned
 * host memory in the CUDA module.
 *
 * <p>An allocator is called only by its pool, under the pool's lock, so an implementation need not
 * be thread-safe. It must hand out buffers whose address is {@link
 * dev.cortado.tensor.Tensor#ALIGNMENT}-byte aligned and whose byte order is little-endian.
 */
public interface BufferAllocator {
  /** A short name for messages, such as {@code direct} or {@code cuda-pinned}. */
  String name();

  /**
   * A fresh buffer of exactly {@code bytes} capacity, position 0, limit {@code bytes},
   * little-endian, aligned.
   */
  ByteBuffer allocate(int bytes);

  /**
   * Gives back a buffer this allocator made. After the call nobody touches the buffer again; an
   * allocator of native memory frees it here.
   */
  void free(ByteBuffer buffer);
}
