package dev.cortado.prefetch;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The prefetch engine: a producer thread fills batch slots from a {@link BatchSource} ahead of a
 * single consumer, through a bounded single-producer/single-consumer ring.
 *
 * <p><b>Read-ahead.</b> The producer starts a batch only while fewer than {@code depth} finished
 * batches wait to be taken. So after the consumer's k-th {@link #take()} the producer has read
 * exactly {@code k + depth} batches once it catches up, and at any moment at most {@code depth}
 * batches are ready or in flight together. At depth 1 this is Caffe2's single-slot protocol: the
 * producer starts batch k+1 as soon as batch k is taken and is always exactly one batch ahead.
 *
 * <p><b>Slots.</b> A batch returned by {@link #take()} belongs to the consumer until {@link
 * #release()} or the next {@link #take()}, which drops that reference; once a slot holds no
 * reference (see {@link PrefetchBatch#retain()}) the producer refills it. Slots are used in ring
 * order, {@code max(depth, 1) + 1 + extraSlots} of them at most, made lazily; a producer that
 * finds its next slot still referenced waits for it rather than making another.
 *
 * <p><b>Hand-off.</b> Counters are volatile and a waiting side first spins, then yields, then
 * parks (see {@link Backoff}), so a busy pipeline hands a batch over without a lock or a system
 * call; a parked side is woken with one {@link LockSupport#unpark}. The consumer polls through
 * a wait expected to be short: twice the producer's recent time per batch when that is at most
 * {@value #MAX_POLL_NANOS} ns (so small batches never pay for a wake-up); for slower batches it
 * parks after {@value #MIN_POLL_NANOS} ns, where a wake-up costs little and polling would take a
 * core from the producer's decode threads. The producer, waiting for room, polls {@value
 * #MIN_POLL_NANOS} ns.
 *
 * <p><b>Work stealing.</b> Batch k is filled by whoever claims it first. The producer claims it
 * as soon as there is room; a consumer that needs batch k while nobody has claimed it yet (the
 * producer thread has not been scheduled since the last take, as happens on an oversubscribed
 * machine) fills it itself instead of waiting. Claims are exclusive and made one after the other,
 * so fills never overlap and the read-ahead above stays exact; only the thread differs.
 *
 * <p><b>Failure.</b> Whatever the producer throws is kept at the position of the batch it was
 * filling; the consumer first takes every batch finished before it, then gets a {@link
 * PrefetchException} with the original as its cause, and the same again on every later take. The
 * producer stops at the failure. Nothing is logged, except once at close for a failure that never
 * reached a consumer.
 *
 * <p><b>Inline.</b> With depth 0 ({@code no_prefetch}) there is no thread: {@link #take()} fills
 * the batch on the caller's thread; failures are sticky in the same way.
 *
 * <p><b>Close.</b> {@link #close()} is idempotent. The producer finishes a batch in flight and
 * throws it away (its records are consumed from the reader, as in Caffe2), then exits. If it has
 * not stopped after {@value #STOP_GRACE_MILLIS} ms it is interrupted; if it is still running after
 * {@value #STOP_BOUND_MILLIS} ms in total, close throws a {@link PrefetchException} saying what the
 * stuck batch had consumed. {@link #producerStopped()} tells the owner whether it may free the
 * slots and close the reader.
 *
 * @param <B> the batch slot type
 */
public final class Prefetcher<B extends PrefetchBatch> implements AutoCloseable {
  /** Caffe2's depth: one batch ahead. */
  public static final int DEFAULT_DEPTH = 1;

  /** How long close waits for a batch in flight to finish before interrupting the producer. */
  public static final long STOP_GRACE_MILLIS = 750;

  /** The bound on close: after this the producer counts as stuck. */
  public static final long STOP_BOUND_MILLIS = 1000;

  /** The shortest time a waiting side polls before it parks. */
  static final long MIN_POLL_NANOS = 50_000;

  /** The longest time the consumer polls before it parks. */
  static final long MAX_POLL_NANOS = 500_000;

  private static final System.Logger LOG = System.getLogger(Prefetcher.class.getName());
  private static final VarHandle CLAIMED;

  static {
    try {
      CLAIMED = MethodHandles.lookup().findVarHandle(Prefetcher.class, "claimed", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
  private static final AtomicInteger THREAD_SEQ = new AtomicInteger();

  private final String owner;
  private final BatchSource<B> source;
  private final int depth;
  private final Object[] slots;
  private final Object lifecycle = new Object();
  private final Runnable onSlotFree = this::wakeBoth;
  private final boolean producerThread;

  /** Batches claimed for filling (by the producer or a stealing consumer); CAS only. */
  private volatile long claimed;

  // Written by whoever filled the batch (the producer, a stealing consumer, the inline filler).
  private volatile long produced;
  private volatile boolean producerWaiting;
  private volatile long failedAt = -1;
  private volatile Throwable failure;
  private volatile long discardedInFlight;
  /** Moving average of the producer's time per batch, for the consumer's poll budget. */
  private volatile long fillNanos;
  private final Backoff producerBackoff = new Backoff();

  // Written by the consumer.
  private volatile long taken;
  private volatile Thread consumerWaiter;
  private volatile boolean failureDelivered;
  private PrefetchBatch held;
  private volatile long waits;
  private volatile long waitNanos;
  private volatile long occupancySum;
  private volatile long maxOccupancy;
  private volatile long consumerFills;
  private final Backoff consumerBackoff = new Backoff();

  // Lifecycle, guarded by `lifecycle`; `closing` is read by both sides without the lock.
  private volatile boolean closing;
  private boolean closed;
  // Volatile so the hot path can read it without the lock; written under the lock.
  private volatile Thread producer;
  private boolean stuck;

  /** A prefetcher with no extra slots; see {@link #Prefetcher(String, BatchSource, int, int)}. */
  public Prefetcher(String owner, BatchSource<B> source, int depth) {
    this(owner, source, depth, 0);
  }

  /**
   * A prefetcher over {@code source}.
   *
   * @param owner names the user in thread names and messages, such as {@code TensorProtosDBInput
   *     'data' (op #0 in net 'train')}
   * @param depth batches ahead; 0 fills inline on the caller's thread ({@code no_prefetch})
   * @param extraSlots slots beyond {@code max(depth, 1) + 1} for consumers that {@link
   *     PrefetchBatch#retain()} a batch past the next take (1 for an asynchronous device copy)
   */
  public Prefetcher(String owner, BatchSource<B> source, int depth, int extraSlots) {
    this(owner, source, depth, extraSlots, true);
  }

  /**
   * With {@code producerThread} false no producer is ever started, so every take with depth > 0
   * takes over its batch: the one way to exercise stealing deterministically (tests only).
   */
  Prefetcher(String owner, BatchSource<B> source, int depth, int extraSlots,
      boolean producerThread) {
    this.producerThread = producerThread;
    if (depth < 0) {
      throw new IllegalArgumentException("prefetch depth must be >= 0, got " + depth);
    }
    if (extraSlots < 0) {
      throw new IllegalArgumentException("extra slots must be >= 0, got " + extraSlots);
    }
    this.owner = Objects.requireNonNull(owner, "owner");
    this.source = Objects.requireNonNull(source, "source");
    this.depth = depth;
    this.slots = new Object[Math.max(depth, 1) + 1 + extraSlots];
  }

  /** The depth asked for; 0 means inline. */
  public int depth() {
    return depth;
  }

  /**
   * The next batch, in order. Releases the batch taken before. Starts the producer on the first
   * call. Throws {@link PrefetchException} when the producer failed at this batch (with the
   * original cause) or the prefetcher is closed.
   */
  public B take() {
    if (depth == 0) {
      return takeInline();
    }
    long t = taken;
    throwIfFailedAt(t);
    if (closing) {
      throw new PrefetchException(owner + ": closed");
    }
    releaseInternal();
    // Occupancy is what this take found on arrival: 0 when it has to wait.
    long ready = Math.max(0, produced - t);
    if (ready == 0) {
      startProducerIfNeeded();
      if (!trySteal(t)) {
        wakeProducer();
        awaitBatch(t);
      }
    }
    occupancySum += ready;
    if (ready > maxOccupancy) {
      maxOccupancy = ready;
    }
    @SuppressWarnings("unchecked")
    B batch = (B) slots[(int) (t % slots.length)];
    held = batch;
    taken = t + 1;
    wakeProducer();
    return batch;
  }

  private B takeInline() {
    long t = taken;
    throwIfFailedAt(t);
    if (closing) {
      throw new PrefetchException(owner + ": closed");
    }
    releaseInternal();
    B batch = slot(t);
    awaitInlineSlot(batch, t);
    try {
      source.fill(batch);
    } catch (Throwable e) {
      failedAt = t;
      failure = e;
      failureDelivered = true;
      throw failed(t, e);
    }
    batch.handOver(onSlotFree);
    held = batch;
    produced = t + 1;
    taken = t + 1;
    return batch;
  }

  /**
   * Fills batch {@code t} on the consumer's thread if nobody has claimed it yet and its slot is
   * free; true when it did. A failure is recorded at {@code t} (so the producer stops and later
   * takes fail the same way) and thrown.
   */
  private boolean trySteal(long t) {
    if (claimed != t || !slotFree(t) || !CLAIMED.compareAndSet(this, t, t + 1)) {
      return false;
    }
    B batch = slot(t);
    try {
      source.fill(batch);
    } catch (Throwable e) {
      failedAt = t;
      failure = e;
      failureDelivered = true;
      wakeProducer();
      throw failed(t, e);
    }
    batch.handOver(onSlotFree);
    consumerFills = consumerFills + 1;
    produced = t + 1;
    return true;
  }

  private boolean slotFree(long index) {
    Object s = slots[(int) (index % slots.length)];
    return s == null || ((PrefetchBatch) s).isFree();
  }

  /** Inline mode: waits until a consumer that retained the slot's last batch releases it. */
  private void awaitInlineSlot(B batch, long t) {
    if (batch.isFree()) {
      return;
    }
    Thread me = Thread.currentThread();
    try {
      while (!batch.isFree()) {
        consumerWaiter = me;
        if (!batch.isFree()) {
          LockSupport.park(this);
          if (Thread.interrupted()) {
            me.interrupt();
            throw new PrefetchException(
                owner + ": interrupted while waiting for a retained batch slot for batch " + t);
          }
        }
      }
    } finally {
      consumerWaiter = null;
    }
  }

  /** Gives the last taken batch back early; {@link #take()} does this implicitly. */
  public void release() {
    releaseInternal();
    if (depth > 0) {
      wakeProducer();
    }
  }

  private void releaseInternal() {
    PrefetchBatch h = held;
    if (h != null) {
      held = null;
      h.release();
    }
  }

  private void throwIfFailedAt(long t) {
    Throwable f = failure;
    if (f != null && failedAt == t) {
      failureDelivered = true;
      throw failed(t, f);
    }
  }

  /**
   * The consumer already knows who it is (a net names its operator), so the message starts with
   * the batch and then repeats the cause's own message.
   */
  private PrefetchException failed(long t, Throwable f) {
    return new PrefetchException("prefetching batch " + t + " failed: " + describe(f), f);
  }

  private static String describe(Throwable f) {
    String m = f.getMessage();
    return m == null || m.isEmpty() ? f.toString() : m;
  }

  private void startProducerIfNeeded() {
    if (producer != null || !producerThread) {
      return;
    }
    synchronized (lifecycle) {
      if (producer != null || closing) {
        return;
      }
      Thread thread = new Thread(this::produceLoop, threadName());
      thread.setDaemon(true);
      producer = thread;
      thread.start();
    }
  }

  private String threadName() {
    return "cortado-prefetch-" + THREAD_SEQ.incrementAndGet() + " " + owner;
  }

  private void awaitBatch(long t) {
    long start = System.nanoTime();
    waits++;
    Thread me = Thread.currentThread();
    Backoff backoff = consumerBackoff;
    long expected = 2 * fillNanos;
    backoff.reset(expected > MAX_POLL_NANOS ? MIN_POLL_NANOS : Math.max(MIN_POLL_NANOS, expected));
    try {
      while (produced <= t) {
        throwIfFailedAt(t);
        if (closing) {
          throw new PrefetchException(owner + ": closed while waiting for batch " + t);
        }
        if (trySteal(t)) {
          return;
        }
        if (backoff.pause()) {
          continue;
        }
        consumerWaiter = me;
        // Park unless a steal became possible (nobody claimed batch t and its slot is free).
        if (produced <= t && failure == null && !closing && !(claimed == t && slotFree(t))) {
          // The timeout only guards against a producer that died without a failure marker,
          // which the loop below cannot cause; it is not part of the hand-off.
          LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(100));
          if (Thread.interrupted()) {
            me.interrupt();
            throw new PrefetchException(owner + ": interrupted while waiting for batch " + t);
          }
          checkProducerAlive(t);
        }
        consumerWaiter = null;
      }
    } finally {
      consumerWaiter = null;
      waitNanos += System.nanoTime() - start;
    }
  }

  private void checkProducerAlive(long t) {
    Thread p = producer;
    if (p != null && !p.isAlive() && produced <= t && failure == null && !closing) {
      throw new PrefetchException(
          owner + ": the producer thread ended without a batch or an error at batch " + t);
    }
  }

  private void wakeProducer() {
    if (producerWaiting) {
      Thread p = producer;
      if (p != null) {
        LockSupport.unpark(p);
      }
    }
  }

  private void wakeBoth() {
    wakeProducer();
    wakeConsumer();
  }

  private void wakeConsumer() {
    Thread c = consumerWaiter;
    if (c != null) {
      LockSupport.unpark(c);
    }
  }

  /** Room for the producer to claim the next batch: none in flight, the queue and slot free. */
  private boolean hasRoom() {
    long p = produced;
    return claimed == p && p - taken < depth && slotFree(p);
  }

  private void produceLoop() {
    try {
      while (awaitRoom()) {
        long p = produced;
        if (!CLAIMED.compareAndSet(this, p, p + 1)) {
          continue; // the consumer took this one; wait for room again
        }
        B batch = slot(p);
        long start = System.nanoTime();
        try {
          source.fill(batch);
        } catch (Throwable e) {
          if (closing) {
            // Interrupted or cut off by close: nobody will take this batch.
            return;
          }
          failedAt = p;
          failure = e;
          return;
        }
        if (closing) {
          discardedInFlight = discardedInFlight + 1;
          return;
        }
        batch.handOver(onSlotFree);
        long took = System.nanoTime() - start;
        long avg = fillNanos;
        fillNanos = avg == 0 ? took : avg + (took - avg) / 8;
        produced = p + 1;
        wakeConsumer();
      }
    } finally {
      wakeConsumer();
    }
  }

  /** Waits until a slot is free and the queue has room; false when closing. */
  private boolean awaitRoom() {
    Backoff backoff = producerBackoff;
    backoff.reset(MIN_POLL_NANOS);
    while (true) {
      if (closing || failure != null) {
        return false;
      }
      if (hasRoom()) {
        return true;
      }
      if (backoff.pause()) {
        continue;
      }
      producerWaiting = true;
      if (!closing && failure == null && !hasRoom()) {
        LockSupport.park(this);
        if (Thread.interrupted() && !closing) {
          producerWaiting = false;
          failedAt = produced;
          failure = new PrefetchException(owner + ": the producer thread was interrupted");
          return false;
        }
      }
      producerWaiting = false;
    }
  }

  @SuppressWarnings("unchecked")
  private B slot(long index) {
    int i = (int) (index % slots.length);
    Object s = slots[i];
    if (s == null) {
      s = Objects.requireNonNull(source.newBatch(), "BatchSource.newBatch() returned null");
      slots[i] = s;
    }
    return (B) s;
  }

  /**
   * The slots made so far. Only safe to touch after {@link #close()} when {@link
   * #producerStopped()}.
   */
  public List<B> batches() {
    List<B> out = new ArrayList<>();
    for (Object s : slots) {
      if (s != null) {
        @SuppressWarnings("unchecked")
        B b = (B) s;
        out.add(b);
      }
    }
    return out;
  }

  /** True when no producer thread runs: never started, or closed and joined. */
  public boolean producerStopped() {
    synchronized (lifecycle) {
      return producer == null || !producer.isAlive();
    }
  }

  /** True once {@link #close()} was called. */
  public boolean isClosed() {
    synchronized (lifecycle) {
      return closed;
    }
  }

  /** A snapshot of the counters; callable from any thread. */
  public PrefetchMetrics metrics() {
    long p = produced;
    long t = taken;
    long discarded = closing ? Math.max(0, p - t) + discardedInFlight : 0;
    return new PrefetchMetrics(depth, p, t, discarded, waits, waitNanos, occupancySum,
        maxOccupancy, depth == 0 ? t : consumerFills);
  }

  /**
   * Stops the producer (see the class comment for the bound). Throws {@link PrefetchException}
   * once if the producer is stuck; the slots then stay with it and must not be freed.
   */
  @Override
  public void close() {
    Thread thread;
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      closing = true;
      thread = producer;
    }
    wakeConsumer();
    boolean interrupted = false;
    if (thread != null) {
      LockSupport.unpark(thread);
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_BOUND_MILLIS);
      interrupted |= join(thread, TimeUnit.MILLISECONDS.toNanos(STOP_GRACE_MILLIS));
      if (thread.isAlive()) {
        thread.interrupt();
        interrupted |= join(thread, deadline - System.nanoTime());
      }
      if (thread.isAlive()) {
        synchronized (lifecycle) {
          stuck = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    Throwable f = failure;
    if (f != null && !failureDelivered) {
      LOG.log(
          System.Logger.Level.WARNING,
          "{0}: closed before the producer''s failure at batch {1} was taken: {2}",
          owner,
          failedAt,
          describe(f));
    }
    if (isStuck()) {
      String inFlight = source.describeInFlight();
      throw new PrefetchException(
          owner + ": the producer thread '" + thread.getName() + "' did not stop within "
              + STOP_BOUND_MILLIS + " ms (stuck in a read); batch " + produced
              + " in flight is lost" + (inFlight.isEmpty() ? "" : " (" + inFlight + ")")
              + "; its buffers stay with the thread and the reader must not be closed under it");
    }
  }

  private boolean isStuck() {
    synchronized (lifecycle) {
      return stuck;
    }
  }

  /** Joins for up to {@code nanos}; returns true if this thread was interrupted meanwhile. */
  private static boolean join(Thread thread, long nanos) {
    boolean interrupted = false;
    long deadline = System.nanoTime() + nanos;
    while (thread.isAlive()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      try {
        TimeUnit.NANOSECONDS.timedJoin(thread, left);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    return interrupted;
  }

  @Override
  public String toString() {
    return "Prefetcher[" + owner + ", depth " + depth + ", produced " + produced + ", taken "
        + taken + "]";
  }
}
