package dev.cortado.prefetch;

import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.prefetch.internal.Prefetcher;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The base of operators that produce batches ahead of the net, as Caffe2's {@code
 * PrefetchOperator}: {@link #prefetch} fills a batch on the producer side, {@link #copyPrefetched}
 * publishes it to the outputs on the consumer side ({@link #run()}).
 *
 * <p>Arguments read here: {@code no_prefetch} (bool, default false: fill inline on the caller's
 * thread) and {@code prefetch_depth} (int, default 1 as in Caffe2: batches read ahead). The
 * producer thread starts on the first {@link #run()}, not in the constructor, so subclass
 * constructors finish first. As in Caffe2, after k runs the reader has given out exactly {@code k +
 * prefetch_depth} batches once the operator is closed, whatever the thread schedule: close lets the
 * producer finish the read-ahead and throws it away.
 *
 * <p>A batch given to {@link #copyPrefetched} stays the subclass's until the next {@link #run()}; a
 * subclass that needs it longer (an asynchronous device copy) calls {@link PrefetchBatch#retain()}
 * and later {@link PrefetchBatch#release()}, and asks for extra slots in the constructor.
 *
 * <p>{@link #close()} is idempotent: it stops the producer (finishing and discarding a batch in
 * flight, as Caffe2's {@code Finalize}), then calls {@link #closeBatches} with every slot so the
 * subclass frees their buffers. A producer stuck past the bound is reported by a {@link
 * PrefetchException}; its slots are then left alone. The DB reader belongs to the input blob and is
 * closed later by the workspace, after its nets, hence never under a reading producer.
 *
 * @param <B> the batch slot type
 */
public abstract class PrefetchOperator<B extends PrefetchBatch> implements Operator {
  /** Argument: fill batches inline on the calling thread. */
  public static final String NO_PREFETCH = "no_prefetch";

  /** Argument: how many batches the producer reads ahead. */
  public static final String PREFETCH_DEPTH = "prefetch_depth";

  /** The default of {@link #PREFETCH_DEPTH}: Caffe2's one batch ahead. */
  public static final int DEFAULT_PREFETCH_DEPTH = Prefetcher.DEFAULT_DEPTH;

  protected final OperatorContext ctx;
  private final Prefetcher<B> prefetcher;
  private boolean closed;

  /** Reads the prefetch arguments; no thread is started here. */
  protected PrefetchOperator(OperatorContext ctx) {
    this(ctx, 0);
  }

  /**
   * @param extraSlots batch slots beyond the default for subclasses that retain batches past the
   *     next run (an asynchronous device copy needs 1)
   */
  protected PrefetchOperator(OperatorContext ctx, int extraSlots) {
    this.ctx = ctx;
    boolean noPrefetch = ctx.args().getBool(NO_PREFETCH, false);
    int depth = ctx.args().getInt(PREFETCH_DEPTH, DEFAULT_PREFETCH_DEPTH);
    if (depth < 1) {
      throw ctx.args()
          .error(PREFETCH_DEPTH, "must be >= 1 (use no_prefetch=1 for none), got " + depth);
    }
    BatchSource<B> source =
        new BatchSource<>() {
          @Override
          public B newBatch() {
            return PrefetchOperator.this.newBatch();
          }

          @Override
          public void fill(B batch) throws Exception {
            prefetch(batch);
          }

          @Override
          public String describeInFlight() {
            return PrefetchOperator.this.describeInFlight();
          }
        };
    this.prefetcher = new Prefetcher<>(ctx.describe(), source, noPrefetch ? 0 : depth, extraSlots);
  }

  /** A new, empty batch slot. */
  protected abstract B newBatch();

  /**
   * Producer side: fills {@code batch} with the next batch. Runs on the producer thread (or the
   * caller's with {@code no_prefetch}); an exception reaches {@link #run()} as the cause of a
   * {@link PrefetchException}, after the batches finished before it. Never runs concurrently with
   * itself, and each call sees everything the previous one wrote.
   */
  protected abstract void prefetch(B batch) throws Exception;

  /** Consumer side: exposes or moves {@code batch} into the output blobs. */
  protected abstract void copyPrefetched(B batch);

  /**
   * What the batch being filled has consumed so far, for the message about a stuck producer. Called
   * from another thread.
   */
  protected String describeInFlight() {
    return "";
  }

  /** Frees the slots' resources; called once by {@link #close()} after the producer stopped. */
  protected void closeBatches(List<B> batches) {}

  /** Adds subclass counters to {@link #metrics()}. */
  protected void addMetrics(Map<String, Number> metrics) {}

  /** Takes the next batch (waiting for the producer if needed) and publishes it. */
  @Override
  public void run() {
    copyPrefetched(prefetcher.take());
  }

  /** True when {@code no_prefetch} is set. */
  public final boolean isInline() {
    return prefetcher.depth() == 0;
  }

  /** The read-ahead depth; 0 with {@code no_prefetch}. */
  public final int depth() {
    return prefetcher.depth();
  }

  /** The prefetch engine's counters. */
  public final PrefetchMetrics prefetchMetrics() {
    return prefetcher.metrics();
  }

  /**
   * Counters for {@code run-net --stats}, in a stable order: {@code batches} (taken by runs),
   * {@code batches_produced}, {@code batches_discarded}, {@code consumer_waits}, {@code
   * consumer_wait_ns}, {@code queue_occupancy_mean}, {@code queue_occupancy_max}, {@code
   * consumer_fills} (batches filled on the caller's thread: all of them with {@code no_prefetch},
   * else those a run filled while the producer had stepped aside), {@code producer_fill_ns_mean}
   * (the mean time of a fill on the producer thread), {@code prefetch_depth}, then the subclass's.
   */
  @Override
  public Map<String, Number> metrics() {
    PrefetchMetrics m = prefetcher.metrics();
    Map<String, Number> out = new LinkedHashMap<>();
    out.put("batches", m.batchesTaken());
    out.put("batches_produced", m.batchesProduced());
    out.put("batches_discarded", m.batchesDiscarded());
    out.put("consumer_waits", m.waits());
    out.put("consumer_wait_ns", m.waitNanos());
    out.put("queue_occupancy_mean", m.meanOccupancy());
    out.put("queue_occupancy_max", m.maxOccupancy());
    out.put("consumer_fills", m.consumerFills());
    out.put("producer_fill_ns_mean", m.meanProducerFillNanos());
    out.put("prefetch_depth", m.depth());
    addMetrics(out);
    return out;
  }

  /** Stops the producer, then frees the slots; idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    PrefetchException stuck = null;
    try {
      prefetcher.close();
    } catch (PrefetchException e) {
      stuck = e;
    }
    if (prefetcher.producerStopped()) {
      closeBatches(prefetcher.batches());
    }
    if (stuck != null) {
      throw stuck;
    }
  }
}
