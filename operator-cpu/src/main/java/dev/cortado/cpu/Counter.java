package dev.cortado.cpu;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The value {@code CreateCounter} puts in a blob: Caffe2's thread-safe {@code Counter<int64_t>}.
 * Save and Load store it as a one-element INT64 tensor under the type {@link #BLOB_TYPE}.
 */
public final class Counter {
  /** The BlobProto {@code type} Caffe2 uses for counters. */
  public static final String BLOB_TYPE = "std::unique_ptr<Counter<int64_t>>";

  private final AtomicLong count;

  public Counter(long initialCount) {
    this.count = new AtomicLong(initialCount);
  }

  /** Decrements; true when the count was already at or below zero (the counter is done). */
  public boolean countDown() {
    return count.getAndDecrement() <= 0;
  }

  /** Increments and returns the count before the increment. */
  public long countUp() {
    return count.getAndIncrement();
  }

  /** The current count. */
  public long retrieve() {
    return count.get();
  }

  /** True when the count is at or below zero. */
  public boolean checkIfDone() {
    return count.get() <= 0;
  }

  /** Sets a new count and returns the previous one. */
  public long reset(long initialCount) {
    return count.getAndSet(initialCount);
  }

  @Override
  public String toString() {
    return "Counter[" + count.get() + "]";
  }
}
