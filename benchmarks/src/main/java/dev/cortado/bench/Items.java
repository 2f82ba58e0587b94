package dev.cortado.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Per-thread counters that JMH reports as rates next to the primary score: {@code records} gives
 * records (images) per second and {@code bytes} gives output bytes per second, whatever one
 * benchmark invocation covers (usually one batch).
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Items {
  /** Records read, decoded or batched. */
  public long records;

  /** Bytes of output tensors (or, for the raw reads, of values) produced. */
  public long bytes;

  @Setup(Level.Iteration)
  public void reset() {
    records = 0;
    bytes = 0;
  }

  void add(long records, long bytes) {
    this.records += records;
    this.bytes += bytes;
  }
}
