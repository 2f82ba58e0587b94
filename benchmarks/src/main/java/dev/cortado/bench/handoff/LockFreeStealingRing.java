package dev.cortado.bench.handoff;

import dev.cortado.prefetch.PrefetchException;
import dev.cortado.prefetch.internal.Prefetcher.Source;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The hand-off the prefetch operator used before the lock-and-conditions ring: a lock-free
 * single-producer/single-consumer ring with spin-yield-park waits, in which a consumer that needs a
 * batch nobody has started fills it itself (work stealing). Kept only as a benchmark baseline;
 * metrics, retained slots and the close bound are left out.
 *
 * @param <B> the batch slot type
 */
public final class LockFreeStealingRing<B> implements AutoCloseable {
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

  private static final System.Logger LOG = System.getLogger(LockFreeStealingRing.class.getName());
  private static final VarHandle CLAIMED;

  static {
    try {
      CLAIMED =
          MethodHandles.lookup().findVarHandle(LockFreeStealingRing.class, "claimed", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static final AtomicInteger THREAD_SEQ = new AtomicInteger();

  private final String owner;
  private final Source<B> source;
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
  private B held;
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

  /** A ring of {@code depth + 1} slots over {@code source}, with a producer thread. */
  public LockFreeStealingRing(String owner, Source<B> source, int depth) {
    this.producerThread = true;
    int extraSlots = 0;
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
    source.handOver(batch, onSlotFree);
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
    source.handOver(batch, onSlotFree);
    consumerFills = consumerFills + 1;
    produced = t + 1;
    return true;
  }

  private boolean slotFree(long index) {
    Object s = slots[(int) (index % slots.length)];
    @SuppressWarnings("unchecked")
    B b = (B) s;
    return s == null || source.isFree(b);
  }

  /** Inline mode: waits until a consumer that retained the slot's last batch releases it. */
  private void awaitInlineSlot(B batch, long t) {
    if (source.isFree(batch)) {
      return;
    }
    Thread me = Thread.currentThread();
    try {
      while (!source.isFree(batch)) {
        consumerWaiter = me;
        if (!source.isFree(batch)) {
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
    B h = held;
    if (h != null) {
      held = null;
      source.release(h);
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
   * The consumer already knows who it is (a net names its operator), so the message starts with the
   * batch and then repeats the cause's own message.
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
        source.handOver(batch, onSlotFree);
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

  /**
   * Stops the producer (see the class comment for the bound). Throws {@link PrefetchException} once
   * if the producer is stuck; the slots then stay with it and must not be freed.
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
          owner
              + ": the producer thread '"
              + thread.getName()
              + "' did not stop within "
              + STOP_BOUND_MILLIS
              + " ms (stuck in a read); batch "
              + produced
              + " in flight is lost"
              + (inFlight.isEmpty() ? "" : " (" + inFlight + ")")
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
    return "LockFreeStealingRing["
        + owner
        + ", depth "
        + depth
        + ", produced "
        + produced
        + ", taken "
        + taken
        + "]";
  }
}
