package dev.cortado.prefetch;

/**
 * A snapshot of a {@link PrefetchOperator}'s prefetch counters, for {@code run-net --stats} and
 * benchmarks.
 *
 * @param depth the {@code prefetch_depth} (0 with {@code no_prefetch})
 * @param batchesProduced batches the producer finished and queued (or filled inline)
 * @param batchesTaken batches the consumer took
 * @param batchesDiscarded finished batches thrown away at close (ready ones never taken, and the
 *     one in flight)
 * @param waits takes that found no batch ready and had to wait
 * @param waitNanos total time the consumer waited for the producer
 * @param occupancySum the sum, over takes, of the ready batches each take found when it arrived (0
 *     when it had to wait), so the mean queue occupancy is {@code occupancySum / batchesTaken}
 * @param maxOccupancy the most ready batches one take found on arrival
 * @param consumerFills batches filled on the consumer's thread: all of them with {@code
 *     no_prefetch}; with a producer, those a take filled because nobody had started them
 * @param producerFillNanos the total time of the fills on the producer thread: compared with the
 *     time of a fill on the consumer's thread alone, it shows how much the reader slows down while
 *     the consumer works on another core (caches, memory bandwidth, and on a virtual machine cores
 *     that are not the cores they appear to be)
 */
public record PrefetchMetrics(
    int depth,
    long batchesProduced,
    long batchesTaken,
    long batchesDiscarded,
    long waits,
    long waitNanos,
    long occupancySum,
    long maxOccupancy,
    long consumerFills,
    long producerFillNanos) {

  /** Batches filled on the producer thread: those produced that the consumer did not fill. */
  public long producerFills() {
    return batchesProduced - consumerFills;
  }

  /** Mean ready batches found per take; 0 before the first take. */
  public double meanOccupancy() {
    return batchesTaken == 0 ? 0.0 : (double) occupancySum / batchesTaken;
  }

  /** Mean time of a fill on the producer thread, in nanoseconds; 0 before the first. */
  public double meanProducerFillNanos() {
    long fills = producerFills();
    return fills == 0 ? 0.0 : (double) producerFillNanos / fills;
  }
}
