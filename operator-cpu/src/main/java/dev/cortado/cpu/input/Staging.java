package dev.cortado.cpu.input;

import dev.cortado.db.Keys;
import dev.cortado.memory.BufferPool;
import dev.cortado.memory.PooledBuffer;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Raw records of one batch copied out of the reader, so that they can be decoded after the reader's
 * lock is released (by several workers, or after a shuffle). One pooled block holds all keys and
 * values back to back; it grows by doubling during warm-up and is then reused as is.
 */
final class Staging implements AutoCloseable {
  private static final int MIN_BLOCK = 64 * 1024;

  private final BufferPool pool;
  private final String owner;
  private final ByteBuffer[] views;
  private PooledBuffer block;
  private ByteBuffer data;
  private int used;
  private int count;
  private int[] keyStart = new int[16];
  private int[] keyLength = new int[16];
  private int[] valueStart = new int[16];
  private int[] valueLength = new int[16];

  /**
   * @param workers how many threads read values at once (one view each)
   */
  Staging(BufferPool pool, String owner, int workers) {
    this.pool = pool;
    this.owner = owner;
    this.views = new ByteBuffer[workers];
  }

  void reset() {
    used = 0;
    count = 0;
  }

  int count() {
    return count;
  }

  /** Copies one record in; the source buffers are read from position to limit, not moved. */
  void add(ByteBuffer key, ByteBuffer value) {
    int k = key.remaining();
    int v = value.remaining();
    int at = reserve(k, v);
    data.put(at, key, key.position(), k);
    data.put(at + k, value, value.position(), v);
  }

  /** Copies one record in from arrays. */
  void add(byte[] key, int keyLen, byte[] value, int valueLen) {
    int at = reserve(keyLen, valueLen);
    data.put(at, key, 0, keyLen);
    data.put(at + keyLen, value, 0, valueLen);
  }

  private int reserve(int k, int v) {
    long need = (long) used + k + v;
    if (data == null || need > data.capacity()) {
      grow(need);
    }
    if (count == keyStart.length) {
      int n = count * 2;
      keyStart = Arrays.copyOf(keyStart, n);
      keyLength = Arrays.copyOf(keyLength, n);
      valueStart = Arrays.copyOf(valueStart, n);
      valueLength = Arrays.copyOf(valueLength, n);
    }
    int at = used;
    keyStart[count] = at;
    keyLength[count] = k;
    valueStart[count] = at + k;
    valueLength[count] = v;
    count++;
    used = at + k + v;
    return at;
  }

  private void grow(long need) {
    long capacity = Math.max(MIN_BLOCK, data == null ? 0 : 2L * data.capacity());
    while (capacity < need) {
      capacity *= 2;
    }
    if (capacity > Integer.MAX_VALUE - 64) {
      capacity = Integer.MAX_VALUE - 64;
      if (need > capacity) {
        throw new IllegalStateException(
            "the records of one batch need "
                + need
                + " bytes of staging, more than 2 GiB; "
                + "lower batch_size");
      }
    }
    PooledBuffer bigger = pool.acquire((int) capacity, owner);
    ByteBuffer next = bigger.buffer();
    if (used > 0) {
      next.put(0, data, 0, used);
    }
    if (block != null) {
      block.release();
    }
    block = bigger;
    data = next;
    Arrays.fill(views, null);
  }

  /**
   * Record {@code j}'s value as worker {@code worker}'s view: position and limit bracket it. The
   * view is the worker's own and valid until its next call.
   */
  ByteBuffer value(int worker, int j) {
    ByteBuffer view = views[worker];
    if (view == null) {
      view = data.duplicate();
      views[worker] = view;
    }
    view.clear();
    view.position(valueStart[j]).limit(valueStart[j] + valueLength[j]);
    return view;
  }

  /** Record {@code j}'s key as messages show it. */
  String describeKey(int j) {
    return Keys.describe(data.slice(keyStart[j], keyLength[j]));
  }

  @Override
  public void close() {
    if (block != null) {
      block.release();
      block = null;
      data = null;
    }
  }
}
