package dev.cortado.cpu.input;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * A DALI-style local shuffle: it first holds {@code capacity} records; after that, every record
 * read takes the place of a randomly chosen held one, which is emitted. The choices come from a
 * {@link SplittableRandom} seeded with {@code seed}, so a given seed over the same reader order
 * always gives the same output order.
 */
final class ShuffleBuffer {
  private final int capacity;
  private final SplittableRandom random;
  private final byte[][] keys;
  private final byte[][] values;
  private final int[] keyLength;
  private final int[] valueLength;
  private int size;

  ShuffleBuffer(int capacity, long seed) {
    this.capacity = capacity;
    this.random = new SplittableRandom(seed);
    this.keys = new byte[capacity][];
    this.values = new byte[capacity][];
    this.keyLength = new int[capacity];
    this.valueLength = new int[capacity];
  }

  int capacity() {
    return capacity;
  }

  boolean isFull() {
    return size == capacity;
  }

  /** Holds one more record during the initial fill. */
  void add(ByteBuffer key, ByteBuffer value) {
    store(size++, key, value);
  }

  /** Emits a random held record into {@code out} and holds {@code key}/{@code value} instead. */
  void swap(ByteBuffer key, ByteBuffer value, Staging out) {
    int r = random.nextInt(capacity);
    out.add(keys[r], keyLength[r], values[r], valueLength[r]);
    store(r, key, value);
  }

  private void store(int i, ByteBuffer key, ByteBuffer value) {
    int k = key.remaining();
    int v = value.remaining();
    if (keys[i] == null || keys[i].length < k) {
      keys[i] = new byte[Math.max(k, 16)];
    }
    if (values[i] == null || values[i].length < v) {
      values[i] = new byte[Math.max(v, 64)];
    }
    key.get(key.position(), keys[i], 0, k);
    value.get(value.position(), values[i], 0, v);
    keyLength[i] = k;
    valueLength[i] = v;
  }
}
