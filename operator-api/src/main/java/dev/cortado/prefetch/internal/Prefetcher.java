package dev.cortado.prefetch.internal;

import dev.cortado.prefetch.PrefetchException;
import dev.cortado.prefetch.PrefetchMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The hand-off between one producer thread and one consumer: a ring of reusable batch slots that
 * the producer fills in order, at most {@code depth} ahead of the consumer.
 *
 * <p>State, guarded by {@code lock}: {@code produced} and {@code taken} (batches finished and
 * taken; {@code taken <= produced <= taken + depth}), {@code failure} (set once, at batch {@code
 * produced}), {@code closing} (set once), {@code filling} (someone fills batch {@code produced}),
 * {@code producer} (started by the first take) and {@code paced} (the consumer reads for itself;
 * set and cleared by takes). There is room when {@code produced < taken + depth}, nobody is
 * filling, no failure is set and the slot of batch {@code produced} is free; the producer may use
 * it when it is not paced, or closing.
 *
 * <pre>
 * producer   WAIT  -- room, !paced or closing: filling = true -> FILL  (what may enable it signals)
 *            WAIT  -- no room, closing or failure ---> EXIT   (close signals room)
 *            FILL  -- fill returns: produced++ ------> WAIT   (signals ready)
 *            FILL  -- fill throws: failure = e ------> EXIT   (signals ready)
 * consumer   take: drops its last batch, starts the producer if there is none, sets paced
 *            (signals room when it clears it), then
 *            while produced == taken, no failure, not closing:
 *              room (the producer has not claimed it) -> fills it itself, as FILL above
 *              else clears paced (signals room), waits    (publish signals ready)
 *            produced > taken   -> batch taken, taken++ (signals room)
 *            failure, produced == taken -> throws it, on every later take too
 *            closing            -> throws "closed"
 * close      closing = true (signals both), joins the producer; the producer keeps filling while
 *            it has room, so after k takes exactly k + depth batches have been read whatever the
 *            schedule: the read-ahead that Caffe2's Finalize finishes and throws away.
 * </pre>
 *
 * <p>A side that finds nothing to do polls first, for up to {@code -Dcortado.prefetch.spin_ns}
 * (default 100 µs; 0 parks at once), unless its recent polls failed ({@link AdaptiveSpin}): on a
 * virtual machine a parked thread takes tens of microseconds to wake, as long as a small batch
 * takes to read, while a poll that succeeds costs well under one. A consumer waiting for a batch
 * that is being filled polls up to twice the recent fill time instead (at most ten times the
 * bound), so that batches slower to fill than the bound are still handed over without a wake-up;
 * one that nobody has claimed although there is room it fills at once (below). The hot path takes
 * the lock by trying it a few times before parking on it, and a released slot wakes the producer
 * only when it waits for room. A consumer that would wait for a batch nobody has started fills it
 * itself: on a busy machine the producer thread may not have run since the last take, and waiting
 * for it costs a time slice per batch (PERFORMANCE.md, section Prefetch, has the measurements). A
 * consumer that comes back for its next batch within {@value #QUICK_NANOS} ns twice in a row has
 * nothing to overlap the reads with, and every hand-off would only move the batch between cores: it
 * is {@code paced}, and reads its batches itself until two takes in a row come later than that (or
 * its next slot is still held elsewhere). Fills never overlap and happen in order, and close lets
 * the producer read ahead whether paced or not, so the read-ahead is unchanged. Depth 0 ({@code
 * no_prefetch}) fills on the caller's thread, with the same failure rule. Close interrupts a
 * producer still running after {@value #STOP_GRACE_MILLIS} ms and gives up after {@value
 * #STOP_BOUND_MILLIS} ms, throwing a {@link PrefetchException} that names what was lost; so does a
 * read-ahead cut short by the interrupt. {@link #producerStopped()} then says whether the slots may
 * be freed.
 *
 * @param <B> the batch slot type
 */
public final class Prefetcher<B> implements AutoCloseable {
  /** Caffe2's depth: one batch ahead. */
  public static final int DEFAULT_DEPTH = 1;

  /** How long close waits for the read-ahead before interrupting the producer. */
  public static final long STOP_GRACE_MILLIS = 750;

  /** The bound on close: after this the producer counts as stuck. */
  public static final long STOP_BOUND_MILLIS = 1000;

  /** How long a side polls before it waits on its condition, unless the property says. */
  static final long DEFAULT_SPIN_NANOS = 100_000;

  /** What a prefetcher fills and how it learns that a slot is free again. */
  public interface Source<B> {
    /** A new empty slot; called at most {@code max(depth, 1) + 1 + extraSlots} times, lazily. */
    B newBatch();

    /** Fills {@code batch} with the next batch; one call at a time, each sees the last's writes. */
    void fill(B batch) throws Exception;

    /** What a fill in progress has consumed so far; called from another thread. */
    String describeInFlight();

    /** False while someone still holds {@code batch} (it must not be refilled). */
    boolean isFree(B batch);

    /** {@code batch} goes to the consumer; {@code onFree} must run once it is free again. */
    void handOver(B batch, Runnable onFree);

    /** The consumer drops its reference to {@code batch} (others may still hold it). */
    void release(B batch);
  }

  private static final System.Logger LOG = System.getLogger(Prefetcher.class.getName());
  private static final AtomicInteger THREAD_SEQ = new AtomicInteger();

  private final String owner;
  private final Source<B> source;
  private final int depth;
  private final Object[] slots;

  /** A consumer back within this many nanoseconds after a take has no work to overlap. */
  static final long QUICK_NANOS = 2_000;

  /** How often {@link #lockHot} tries the lock before it parks on it. */
  private static final int LOCK_TRIES = 200;

  private final AdaptiveSpin consumerSpin;
  private final AdaptiveSpin producerSpin;
  private final boolean ownThread;
  private final long quickNanos;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition ready = lock.newCondition();
  private final Condition room = lock.newCondition();
  private final Runnable onFree = this::signalRoom;
  private final BooleanSupplier consumerMayGo = this::consumerMayGo;
  private final BooleanSupplier producerMayGo = this::producerMayGo;

  // Guarded by lock; volatile where a side polls them before it locks.
  private volatile long produced;
  private volatile long taken;
  private volatile Throwable failure;
  private volatile boolean closing;
  private volatile Thread producer;
  private volatile boolean filling;
  private volatile boolean producerWaiting;
  private volatile boolean paced;

  /**
   * A moving average of how long a fill on the producer thread takes, for the consumer that polls
   * while it fills. The consumer's own fills are not timed: a paced consumer fills every batch, and
   * its clock reads would be most of what pacing costs.
   */
  private volatile long fillNanos;

  /** The total time of the producer thread's fills; written and read under the lock. */
  private long producerFillNanos;

  private boolean failureDelivered;
  private boolean failedBeforeClose;
  private boolean interruptedByClose;

  /** What only the consumer writes, on cache lines of its own. */
  private final ConsumerSide<B> c = new ConsumerSide<>();

  /**
   * @param owner names the user in thread names and messages, such as {@code TensorProtosDBInput
   *     'data' (op #0 in net 'train')}
   * @param depth batches ahead; 0 fills inline on the caller's thread ({@code no_prefetch})
   * @param extraSlots slots beyond {@code max(depth, 1) + 1} for a consumer that holds a batch past
   *     the next take (1 for an asynchronous device copy)
   */
  public Prefetcher(String owner, Source<B> source, int depth, int extraSlots) {
    this(owner, source, depth, extraSlots, true);
  }

  /**
   * With {@code ownThread} false no thread is started: the caller runs {@link #produce()} on a
   * thread of its own (the concurrency stress tests drive both sides this way).
   */
  Prefetcher(String owner, Source<B> source, int depth, int extraSlots, boolean ownThread) {
    this(
        owner,
        source,
        depth,
        extraSlots,
        ownThread,
        Long.getLong("cortado.prefetch.quick_ns", QUICK_NANOS));
  }

  /** With {@code quickNanos} in place of {@link #QUICK_NANOS} (tests make pacing certain). */
  Prefetcher(
      String owner,
      Source<B> source,
      int depth,
      int extraSlots,
      boolean ownThread,
      long quickNanos) {
    this.ownThread = ownThread;
    this.quickNanos = quickNanos;
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
    long spinNanos = Long.getLong("cortado.prefetch.spin_ns", DEFAULT_SPIN_NANOS);
    this.consumerSpin = new AdaptiveSpin(spinNanos);
    this.producerSpin = new AdaptiveSpin(spinNanos);
  }

  /** The depth asked for; 0 means inline. */
  public int depth() {
    return depth;
  }

  /**
   * The next batch, in order; drops the batch taken before. Starts the producer on the first call.
   * Throws {@link PrefetchException} when the producer failed at this batch (with the original
   * cause) or the prefetcher is closed.
   */
  public B take() {
    release();
    if (depth == 0) {
      return takeInline();
    }
    long t = taken;
    long now = System.nanoTime();
    if (c.lastReturn != 0 && now - c.lastReturn < quickNanos) {
      c.quickTakes++;
      c.lateTakes = 0;
    } else {
      c.lateTakes++;
      c.quickTakes = 0;
    }
    // Two in a row either way, so that one preempted take does not hand the reading back. Only
    // takes write paced, so this thread reads its own last decision.
    boolean pace = paced ? c.lateTakes < 2 : c.quickTakes >= 2;
    // Poll while someone fills the batch, or while it cannot be filled here (no room). A batch
    // that nobody has claimed although there is room means a producer that is parked or was not
    // scheduled: filling it here at once costs one fill, where polling for the producer first
    // would add up to two fill times and, on a machine slow to wake threads, repeat every batch.
    if (produced == t && (producer != null || !ownThread) && (filling || (!pace && !hasRoom()))) {
      consumerSpin.await(consumerMayGo, fillNanos);
    }
    lockHot();
    try {
      if (pace != paced) {
        paced = pace;
        if (!pace) {
          room.signal();
        }
      }
      throwIfFailedOrClosed(t);
      long found = produced - t;
      if (found == 0) {
        startProducer();
        awaitBatch(t);
      }
      c.occupancySum += found;
      c.maxOccupancy = Math.max(c.maxOccupancy, found);
      B batch = handOver(t);
      // Last before the unlock: a polling producer sees the room and goes for the lock at once.
      taken = t + 1;
      signalRoomLocked();
      return batch;
    } finally {
      lock.unlock();
      c.lastReturn = System.nanoTime();
    }
  }

  /**
   * Under the lock: wakes the producer if it may fill now. A wake-up that finds no room costs the
   * waker a system call and the producer a trip through the lock for nothing; whatever later makes
   * the room signals then.
   */
  private void signalRoomLocked() {
    if (producerMayFill() && hasRoom()) {
      room.signal();
    }
  }

  /**
   * The producer fills only while the consumer does not read for itself, or to read ahead at close.
   */
  private boolean producerMayFill() {
    return !paced || closing;
  }

  private B takeInline() {
    long t = taken;
    B batch;
    lock.lock();
    try {
      throwIfFailedOrClosed(t);
      batch = slot(t);
      while (!source.isFree(batch)) {
        await(room, consumerSpin, "a held batch slot for batch ", t);
      }
    } finally {
      lock.unlock();
    }
    try {
      source.fill(batch);
    } catch (Throwable e) {
      record(e);
      throw delivered(t, e);
    }
    lock.lock();
    try {
      produced = t + 1;
      taken = t + 1;
      return handOver(t);
    } finally {
      lock.unlock();
    }
  }

  /** Under the lock. */
  private B handOver(long t) {
    B batch = slot(t);
    source.handOver(batch, onFree);
    c.held = batch;
    return batch;
  }

  /** Under the lock. */
  private void startProducer() {
    if (producer == null && ownThread) {
      Thread thread =
          new Thread(
              this::produce, "cortado-prefetch-" + THREAD_SEQ.incrementAndGet() + " " + owner);
      thread.setDaemon(true);
      producer = thread;
      thread.start();
    }
  }

  /** Under the lock: batch {@code t} is ready after this, filled here if nobody claimed it. */
  private void awaitBatch(long t) {
    boolean waited = false;
    long start = 0;
    try {
      while (produced == t) {
        if (hasRoom()) {
          fillHere(t);
          return;
        }
        if (paced) {
          // The slot is still held (or the producer fills): a paced producer would never fill
          // it, so hand the reading back to the producer, which a freed slot wakes.
          paced = false;
          c.quickTakes = 0;
          room.signal();
        }
        if (!waited) {
          waited = true;
          start = System.nanoTime();
        }
        await(ready, consumerSpin, "batch ", t);
        throwIfFailedOrClosed(t);
      }
    } finally {
      if (waited) {
        c.waits++;
        c.waitNanos += System.nanoTime() - start;
      }
    }
  }

  /** Under the lock, which it releases while it fills batch {@code t} on the consumer's thread. */
  private void fillHere(long t) {
    filling = true;
    B batch = slot(t);
    lock.unlock();
    Throwable failed = null;
    try {
      source.fill(batch);
    } catch (Throwable e) {
      failed = e;
    } finally {
      lockHot();
    }
    filling = false;
    if (failed != null) {
      record(failed);
      throw delivered(t, failed);
    }
    c.consumerFills++;
    produced = t + 1;
    signalRoomLocked();
  }

  /** Under the lock: a producer fill that began at {@code start} has finished; returns its time. */
  private long timed(long start) {
    long d = System.nanoTime() - start;
    long f = fillNanos;
    fillNanos = f == 0 ? d : f + (d - f) / 4;
    return d;
  }

  /**
   * Takes the lock on the hand-off's hot path. Every critical section is a few field updates, so a
   * holder lets go within a microsecond: trying again for a little while is cheaper than parking on
   * the lock, which costs both sides a system call.
   */
  private void lockHot() {
    for (int i = 0; i < LOCK_TRIES; i++) {
      if (lock.tryLock()) {
        return;
      }
      Thread.onSpinWait();
    }
    lock.lock();
  }

  /**
   * Under the lock: waits on {@code condition}. {@code what} and {@code t} name what it waits for
   * in the message of an interrupted wait, which is built only then, not on every wait.
   */
  private void await(Condition condition, AdaptiveSpin spin, String what, long t) {
    try {
      spin.park(condition);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PrefetchException(owner + ": interrupted while waiting for " + what + t);
    }
  }

  /** Under the lock: the failure belongs to batch {@code t} once every batch before it is taken. */
  private void throwIfFailedOrClosed(long t) {
    Throwable f = failure;
    if (f != null && produced == t) {
      throw delivered(t, f);
    }
    if (closing) {
      throw new PrefetchException(owner + ": closed");
    }
  }

  /** The consumer's view of the producer's failure at batch {@code t}. */
  private PrefetchException delivered(long t, Throwable f) {
    failureDelivered = true;
    return new PrefetchException("prefetching batch " + t + " failed: " + describe(f), f);
  }

  private static String describe(Throwable f) {
    String m = f.getMessage();
    return m == null || m.isEmpty() ? f.toString() : m;
  }

  /**
   * Records the failure of batch {@code produced} (the one being filled): the producer stops and
   * takes rethrow it once the batches before it are taken.
   */
  private void record(Throwable e) {
    lock.lock();
    try {
      if (failure == null) {
        failure = e;
        failedBeforeClose = !closing;
      }
      filling = false;
      ready.signal();
    } finally {
      lock.unlock();
    }
  }

  /** Gives the last taken batch back early; {@link #take()} does this implicitly. */
  public void release() {
    B h = c.held;
    if (h != null) {
      c.held = null;
      // Dropping the last reference runs onFree, which signals room.
      source.release(h);
    }
  }

  /**
   * A released slot may be the room the producer waits for; the lock is taken only when it waits
   * (it sets {@code producerWaiting} before it checks for room, and the release frees the slot
   * before it reads the flag, so one of the two sees the other), may use it, and the slot is its
   * room (a slot released before the take that moves {@code taken} is not yet: that take signals):
   * a paced producer is woken by the take that clears {@code paced} or by close, which find the
   * slot free.
   */
  private void signalRoom() {
    if (!producerWaiting || !producerMayFill() || !hasRoom()) {
      return;
    }
    lockHot();
    try {
      room.signal();
    } finally {
      lock.unlock();
    }
  }

  private boolean consumerMayGo() {
    return produced != taken || failure != null || closing;
  }

  private boolean producerMayGo() {
    return (hasRoom() && producerMayFill()) || failure != null || closing;
  }

  private boolean hasRoom() {
    long p = produced;
    if (failure != null || filling || p - taken >= depth) {
      return false;
    }
    @SuppressWarnings("unchecked")
    B s = (B) slots[(int) (p % slots.length)];
    return s == null || source.isFree(s);
  }

  /**
   * Under the lock, when the producer may not fill: waits for one signal, unless it must stop
   * (false). {@code producerWaiting} is set before the check, so a slot released meanwhile signals.
   */
  private boolean awaitRoom() throws InterruptedException {
    producerWaiting = true;
    try {
      if (!hasRoom() || !producerMayFill()) {
        // While the consumer fills a batch, its take may still make room for the read-ahead.
        if (failure != null || (closing && !filling)) {
          return false;
        }
        producerSpin.park(room);
      }
      return true;
    } finally {
      producerWaiting = false;
    }
  }

  /** The producer loop: fills batches while there is room; returns when it must stop. */
  void produce() {
    try {
      while (true) {
        if (!hasRoom() || paced) {
          producerSpin.await(producerMayGo);
        }
        long p;
        lockHot();
        try {
          if (!hasRoom() || !producerMayFill()) {
            if (!awaitRoom()) {
              return;
            }
            // Woken: poll before parking again. The consumer that woke it is active, and if it is
            // filling a batch itself it makes room within a fill time.
            continue;
          }
          p = produced;
          filling = true;
        } finally {
          lock.unlock();
        }
        long start = System.nanoTime();
        source.fill(slot(p));
        lockHot();
        try {
          producerFillNanos += timed(start);
          filling = false;
          produced = p + 1;
          ready.signal();
        } finally {
          lock.unlock();
        }
      }
    } catch (InterruptedException e) {
      if (!closing) {
        record(new PrefetchException(owner + ": the producer thread was interrupted"));
      }
    } catch (Throwable e) {
      record(e);
    }
  }

  @SuppressWarnings("unchecked")
  private B slot(long index) {
    int i = (int) (index % slots.length);
    Object s = slots[i];
    if (s == null) {
      s = Objects.requireNonNull(source.newBatch(), "newBatch() returned null");
      slots[i] = s;
    }
    return (B) s;
  }

  /** The slots made so far; touch them only after {@link #close()} if {@link #producerStopped}. */
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

  /** True while the consumer reads its batches itself (see the class comment); for tests. */
  boolean paced() {
    return paced;
  }

  /** True when no producer thread runs: never started, or closed and joined. */
  public boolean producerStopped() {
    Thread p = producer;
    return p == null || !p.isAlive();
  }

  /** A snapshot of the counters; callable from any thread. */
  public PrefetchMetrics metrics() {
    lock.lock();
    try {
      long discarded = closing && producerStopped() ? produced - taken : 0;
      return new PrefetchMetrics(
          depth,
          produced,
          taken,
          discarded,
          c.waits,
          c.waitNanos,
          c.occupancySum,
          c.maxOccupancy,
          depth == 0 ? taken : c.consumerFills,
          producerFillNanos);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Lets the producer finish the read-ahead, then stops it (see the class comment for the bound).
   * Idempotent. Throws {@link PrefetchException} once if the producer is stuck or the read-ahead
   * was cut short; when it is stuck the slots stay with it and must not be freed.
   */
  @Override
  public void close() {
    Thread thread;
    lock.lock();
    try {
      if (closing) {
        return;
      }
      closing = true;
      thread = producer;
      room.signal();
      ready.signalAll();
    } finally {
      lock.unlock();
    }
    if (thread == null) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_BOUND_MILLIS);
    boolean interrupted = join(thread, TimeUnit.MILLISECONDS.toNanos(STOP_GRACE_MILLIS));
    if (thread.isAlive()) {
      lock.lock();
      try {
        interruptedByClose = true;
      } finally {
        lock.unlock();
      }
      thread.interrupt();
      interrupted |= join(thread, deadline - System.nanoTime());
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    String lost = lostAtClose(thread);
    if (lost != null) {
      throw new PrefetchException(lost);
    }
  }

  /** What close could not do, or null; logs a failure no take saw. */
  private String lostAtClose(Thread thread) {
    String inFlight = source.describeInFlight();
    lock.lock();
    try {
      if (failure != null && failedBeforeClose && !failureDelivered) {
        LOG.log(
            System.Logger.Level.WARNING,
            "{0}: closed before the producer''s failure at batch {1} was taken: {2}",
            owner,
            produced,
            describe(failure));
      }
      boolean stuck = thread.isAlive();
      if (!stuck && (!interruptedByClose || failedBeforeClose || produced == taken + depth)) {
        if (failure != null && !failedBeforeClose) {
          LOG.log(
              System.Logger.Level.WARNING,
              "{0}: reading ahead batch {1} at close failed: {2}",
              owner,
              produced,
              describe(failure));
        }
        return null;
      }
      return owner
          + ": the producer thread '"
          + thread.getName()
          + "' "
          + (stuck
              ? "did not stop within " + STOP_BOUND_MILLIS + " ms (stuck in a read)"
              : "was interrupted after " + STOP_GRACE_MILLIS + " ms")
          + "; after "
          + taken
          + " runs it had finished "
          + produced
          + " of the "
          + (taken + depth)
          + " batches that the read-ahead reads, and batch "
          + produced
          + " is lost"
          + (inFlight.isEmpty() ? "" : " (" + inFlight + ")")
          + (stuck
              ? "; its buffers stay with the thread and the reader must not be closed under it"
              : "; the reader is not at the position Caffe2 would leave it at");
    } finally {
      lock.unlock();
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
    return "Prefetcher["
        + owner
        + ", depth "
        + depth
        + ", produced "
        + produced
        + ", taken "
        + taken
        + "]";
  }

  /** Keeps the fields below off the cache lines of whatever is allocated before them. */
  @SuppressWarnings("unused")
  private static class LeadingPad {
    long p0, p1, p2, p3, p4, p5, p6, p7;
  }

  /**
   * The consumer's own fields. The producer polls the prefetcher's fields on the other core, so a
   * consumer write that shared their cache line would cost a transfer of the line each time.
   */
  private static class ConsumerFields<B> extends LeadingPad {
    /** The batch the last take returned. */
    B held;

    /** When the last take returned, and how many takes in a row came quickly or late. */
    long lastReturn;

    int quickTakes;
    int lateTakes;

    // Written under the lock; read by metrics() under it.
    long consumerFills;
    long waits;
    long waitNanos;
    long occupancySum;
    long maxOccupancy;
  }

  @SuppressWarnings("unused")
  private static final class ConsumerSide<B> extends ConsumerFields<B> {
    long q0, q1, q2, q3, q4, q5, q6, q7;
  }
}
