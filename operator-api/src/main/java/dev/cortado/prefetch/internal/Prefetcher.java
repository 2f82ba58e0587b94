package dev.cortado.prefetch.internal;

import dev.cortado.prefetch.PrefetchException;
import dev.cortado.prefetch.PrefetchMetrics;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
 * <p>Three counters carry it: {@code claimed} (batches someone started to fill), {@code produced}
 * (batches finished) and {@code taken} ({@code taken <= produced <= claimed <= produced + 1},
 * {@code produced <= taken + depth}). {@code taken} shares one word with {@code closed}, so that a
 * take and a close are ordered by one compare-and-set. Also: {@code failure} (set once, at batch
 * {@code produced}), {@code paced} (the consumer reads for itself; written by takes) and the
 * producer thread (started by the first take). Batch {@code p = produced} may be claimed when
 * {@code claimed == p}, {@code p < taken + depth}, no failure is set and its slot is free; the
 * producer claims only when not paced, or closed. A claim is a compare-and-set of {@code claimed}
 * from {@code p} to {@code p + 1}, so exactly one side fills each batch, in order.
 *
 * <pre>
 * producer   WAIT  -- batch may be claimed, !paced or closed: claim -> FILL
 *            WAIT  -- failure, or closed with nothing to claim and p == taken + depth --> EXIT
 *            FILL  -- fill returns: produced++ ----------------------------------------> WAIT
 *            FILL  -- fill throws: failure = e ----------------------------------------> EXIT
 * consumer   take: drops its last batch, updates paced, then
 *              produced > taken, not closed -> taken++ by compare-and-set (a close that won
 *                                               it makes the take throw "closed")
 *              produced == taken: failure -> throws it, on every later take too; closed ->
 *                throws "closed"; the batch may be claimed -> claims it, fills it, takes it
 *                (taken++ even if closed meanwhile: it was claimed first), then publishes it;
 *                else waits (starting the producer on the first take)
 * close      sets closed (one atomic or on the word of taken), joins the producer: it claims
 *            until produced == taken + depth, so after k takes exactly k + depth batches have
 *            been read whatever the schedule: the read-ahead that Caffe2's Finalize finishes and
 *            throws away.
 * </pre>
 *
 * <p>The lock and its two conditions serve waiting only: a side with nothing to do sets its {@code
 * waiting} flag under the lock, checks again and parks; a side that changes a counter reads the
 * other's flag after the change (both volatile, so one of the two sees the other) and signals under
 * the lock only if it is set. The hot path (claim, fill, publish; take) takes no lock and moves a
 * cache line each way per batch, as two bare counters would.
 *
 * <p>A side that finds nothing to do polls first, for up to {@code -Dcortado.prefetch.spin_ns}
 * (default 100 µs; 0 parks at once), unless its recent polls failed ({@link AdaptiveSpin}): on a
 * virtual machine a parked thread takes tens of microseconds to wake, as long as a small batch
 * takes to read, while a poll that succeeds costs well under one. A consumer waiting for a batch
 * that is being filled polls up to twice the recent fill time instead (at most ten times the
 * bound). A consumer that would wait for a batch nobody has started fills it itself: on a busy
 * machine the producer thread may not have run since the last take, and waiting for it costs a time
 * slice per batch (PERFORMANCE.md, section Prefetch, has the measurements). A consumer that comes
 * back for its next batch within {@value #QUICK_NANOS} ns twice in a row has nothing to overlap the
 * reads with, and every hand-off would only move the batch between cores: it is {@code paced}, and
 * reads its batches itself until two takes in a row come later than that. Close lets the producer
 * read ahead whether paced or not, so the read-ahead is unchanged. Depth 0 ({@code no_prefetch})
 * fills on the caller's thread, with the same failure rule. Close interrupts a producer still
 * running after {@value #STOP_GRACE_MILLIS} ms and gives up after {@value #STOP_BOUND_MILLIS} ms,
 * throwing a {@link PrefetchException} that names what was lost; so does a read-ahead cut short by
 * the interrupt. {@link #producerStopped()} then says whether the slots may be freed.
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

  /**
   * The closed bit of {@link TakerFields#word}; the number taken is the word shifted right once.
   */
  private static final long CLOSED = 1;

  private static final VarHandle WORD;
  private static final VarHandle CLAIMED;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      WORD = l.findVarHandle(TakerFields.class, "word", long.class);
      CLAIMED = l.findVarHandle(FillerFields.class, "claimed", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final String owner;
  private final Source<B> source;
  private final int depth;
  private final Object[] slots;

  /** A consumer back within this many nanoseconds after a take has no work to overlap. */
  static final long QUICK_NANOS = 2_000;

  private final AdaptiveSpin consumerSpin;
  private final AdaptiveSpin producerSpin;
  private final boolean ownThread;
  private final long quickNanos;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition ready = lock.newCondition();
  private final Condition room = lock.newCondition();
  private final Runnable onFree = this::slotFreed;
  private final BooleanSupplier consumerMayGo = this::consumerMayGo;
  private final BooleanSupplier producerMayGo = this::producerMayGo;

  /** What the filling side writes (and takes read), on cache lines of their own. */
  private final FillerSide f = new FillerSide();

  /** What takes and close write (and the producer reads), on cache lines of their own. */
  private final TakerSide t = new TakerSide();

  /** What only the consumer writes, on cache lines of their own. */
  private final ConsumerSide<B> c = new ConsumerSide<>();

  private volatile Throwable failure;
  private volatile Thread producer;
  private volatile boolean failureDelivered;

  // Guarded by lock.
  private boolean failedBeforeClose;
  private boolean interruptedByClose;

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
    long w = t.word;
    long n = w >>> 1;
    boolean pace = pace();
    long found = f.produced - n;
    if (found == 0 || (w & CLOSED) != 0) {
      return takeSlow(n, pace);
    }
    if (!WORD.compareAndSet(t, w, w + 2)) {
      throw closed(); // only close changes the word beside this thread
    }
    return deliver(n, found);
  }

  /**
   * Whether this take counts as paced: two takes in a row within {@code quickNanos} of the last
   * return make it so, two later than that undo it, so that one preempted take does not hand the
   * reading back. Only takes write {@code paced}; undoing it wakes a producer that waits.
   */
  private boolean pace() {
    long now = System.nanoTime();
    if (c.lastReturn != 0 && now - c.lastReturn < quickNanos) {
      c.quickTakes++;
      c.lateTakes = 0;
    } else {
      c.lateTakes++;
      c.quickTakes = 0;
    }
    boolean was = t.paced;
    boolean pace = was ? c.lateTakes < 2 : c.quickTakes >= 2;
    if (pace != was) {
      t.paced = pace;
      if (!pace) {
        wakeProducer();
      }
    }
    return pace;
  }

  /** Batch {@code n} is taken: hands it over and wakes a producer that this take gave room. */
  private B deliver(long n, long found) {
    c.occupancySum += found;
    c.maxOccupancy = Math.max(c.maxOccupancy, found);
    B batch = slot(n);
    source.handOver(batch, onFree);
    c.held = batch;
    wakeProducer();
    c.lastReturn = System.nanoTime();
    return batch;
  }

  /**
   * Batch {@code n} was not ready on arrival, or close has begun: throws, fills the batch here, or
   * waits for it.
   */
  private B takeSlow(long n, boolean pace) {
    boolean waited = false;
    long start = 0;
    try {
      while (true) {
        long w = t.word;
        if (f.produced > n) {
          if ((w & CLOSED) != 0) {
            throw closed();
          }
          if (WORD.compareAndSet(t, w, w + 2)) {
            return deliver(n, 0);
          }
          continue;
        }
        Throwable e = failure;
        if (e != null) {
          throw delivered(n, e);
        }
        if ((w & CLOSED) != 0) {
          throw closed();
        }
        if (f.claimed == n && slotFree(n) && CLAIMED.compareAndSet(f, n, n + 1)) {
          // The first take claims batch 0 before it starts the producer, which may then read
          // ahead from it.
          if (!startProducer()) {
            f.claimed = n; // closed before anything was read: nothing to fill
            throw closed();
          }
          return fillHere(n);
        }
        if (!startProducer()) {
          continue; // closed
        }
        if (!waited) {
          waited = true;
          start = System.nanoTime();
        }
        if (!consumerSpin.await(consumerMayGo, f.fillNanos)) {
          parkConsumer(n);
        }
      }
    } finally {
      if (waited) {
        c.waits++;
        c.waitNanos += System.nanoTime() - start;
      }
    }
  }

  /**
   * Fills batch {@code n}, claimed by this take, on the consumer's thread. The take counts before
   * the batch is published, even if close came meanwhile: a producer that sees the batch then also
   * sees the take, and reads ahead from it.
   */
  private B fillHere(long n) {
    B batch = slot(n);
    try {
      source.fill(batch);
    } catch (Throwable e) {
      record(e);
      throw delivered(n, e);
    }
    c.consumerFills++;
    WORD.getAndAdd(t, 2L);
    f.produced = n + 1;
    return deliver(n, 0);
  }

  /** Waits for the producer (or a close, a failure or a freed slot) under the lock. */
  private void parkConsumer(long n) {
    lock.lock();
    try {
      t.consumerWaiting = true;
      if (!consumerMayGo()) {
        consumerSpin.park(ready);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PrefetchException(owner + ": interrupted while waiting for batch " + n);
    } finally {
      t.consumerWaiting = false;
      lock.unlock();
    }
  }

  private B takeInline() {
    long w = t.word;
    long n = w >>> 1;
    B batch;
    lock.lock();
    try {
      throwIfFailedOrClosed(n);
      batch = slot(n);
      while (!source.isFree(batch)) {
        t.consumerWaiting = true;
        try {
          if (!source.isFree(batch)) {
            consumerSpin.park(ready);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new PrefetchException(
              owner + ": interrupted while waiting for a held batch slot for batch " + n);
        } finally {
          t.consumerWaiting = false;
        }
      }
    } finally {
      lock.unlock();
    }
    try {
      source.fill(batch);
    } catch (Throwable e) {
      record(e);
      throw delivered(n, e);
    }
    f.claimed = n + 1;
    f.produced = n + 1;
    WORD.getAndAdd(t, 2L);
    source.handOver(batch, onFree);
    c.held = batch;
    return batch;
  }

  /** Under the lock: the failure belongs to batch {@code n} once every batch before it is taken. */
  private void throwIfFailedOrClosed(long n) {
    Throwable e = failure;
    if (e != null && f.produced == n) {
      throw delivered(n, e);
    }
    if ((t.word & CLOSED) != 0) {
      throw closed();
    }
  }

  private PrefetchException closed() {
    return new PrefetchException(owner + ": closed");
  }

  /**
   * Starts the producer thread unless it runs or is not ours to start; false when close came first.
   */
  private boolean startProducer() {
    if (producer != null || !ownThread) {
      return true;
    }
    lock.lock();
    try {
      if ((t.word & CLOSED) != 0) {
        return false;
      }
      if (producer == null) {
        Thread thread =
            new Thread(
                this::produce, "cortado-prefetch-" + THREAD_SEQ.incrementAndGet() + " " + owner);
        thread.setDaemon(true);
        producer = thread;
        thread.start();
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** The consumer's view of the producer's failure at batch {@code n}. */
  private PrefetchException delivered(long n, Throwable e) {
    failureDelivered = true;
    return new PrefetchException("prefetching batch " + n + " failed: " + describe(e), e);
  }

  private static String describe(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isEmpty() ? e.toString() : m;
  }

  /**
   * Records the failure of batch {@code produced} (the one being filled; its claim stays, so nobody
   * fills it again): the producer stops and takes rethrow it once the batches before it are taken.
   */
  private void record(Throwable e) {
    lock.lock();
    try {
      if (failure == null) {
        failure = e;
        failedBeforeClose = (t.word & CLOSED) == 0;
      }
      ready.signalAll();
      room.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Gives the last taken batch back early; {@link #take()} does this implicitly. */
  public void release() {
    B h = c.held;
    if (h != null) {
      c.held = null;
      // Dropping the last reference runs onFree.
      source.release(h);
    }
  }

  /** A slot became free: it may be what a waiting side needs. */
  private void slotFreed() {
    wakeProducer();
    if (t.consumerWaiting && consumerMayGo()) {
      signal(ready);
    }
  }

  /** Wakes the producer if it waits and may now claim or must stop. */
  private void wakeProducer() {
    if (f.producerWaiting && producerMayGo()) {
      signal(room);
    }
  }

  private void signal(Condition condition) {
    lock.lock();
    try {
      condition.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private boolean consumerMayGo() {
    long w = t.word;
    long n = w >>> 1;
    return f.produced != n
        || failure != null
        || (w & CLOSED) != 0
        || (f.claimed == n && slotFree(n));
  }

  /** The producer may claim batch {@code p = produced}, or must stop. */
  private boolean producerMayGo() {
    long p = f.produced;
    return mayClaim(p) || mustStop(p);
  }

  /** Batch {@code p} ({@code produced}) is the producer's to claim now. */
  private boolean mayClaim(long p) {
    long w = t.word;
    return f.claimed == p
        && p - (w >>> 1) < depth
        && failure == null
        && (!t.paced || (w & CLOSED) != 0)
        && slotFree(p);
  }

  /** After a failure, or once closed with the read-ahead finished and nobody filling. */
  private boolean mustStop(long p) {
    long w = t.word;
    return failure != null || ((w & CLOSED) != 0 && f.claimed == p && p - (w >>> 1) >= depth);
  }

  private boolean slotFree(long index) {
    @SuppressWarnings("unchecked")
    B s = (B) slots[(int) (index % slots.length)];
    return s == null || source.isFree(s);
  }

  /** The producer loop: claims and fills batches while it may; returns when it must stop. */
  void produce() {
    try {
      while (true) {
        long p = f.produced;
        if (mayClaim(p)) {
          if (CLAIMED.compareAndSet(f, p, p + 1)) {
            fill(p);
          }
          continue;
        }
        if (mustStop(p)) {
          return;
        }
        if (!producerSpin.await(producerMayGo)) {
          parkProducer();
        }
      }
    } catch (InterruptedException e) {
      if ((t.word & CLOSED) == 0) {
        record(new PrefetchException(owner + ": the producer thread was interrupted"));
      }
    } catch (Throwable e) {
      record(e);
    }
  }

  /** Fills batch {@code p}, claimed by the producer, and publishes it. */
  private void fill(long p) throws Exception {
    long start = System.nanoTime();
    source.fill(slot(p));
    long d = System.nanoTime() - start;
    long m = f.fillNanos;
    f.fillNanos = m == 0 ? d : m + (d - m) / 4;
    f.producerFillNanos += d;
    f.produced = p + 1;
    if (t.consumerWaiting) {
      signal(ready);
    }
  }

  /** Waits under the lock until the producer may claim or must stop. */
  private void parkProducer() throws InterruptedException {
    lock.lock();
    try {
      f.producerWaiting = true;
      if (!producerMayGo()) {
        producerSpin.park(room);
      }
    } finally {
      f.producerWaiting = false;
      lock.unlock();
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
    return t.paced;
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
      long w = t.word;
      long taken = w >>> 1;
      long produced = f.produced;
      long discarded = (w & CLOSED) != 0 && producerStopped() ? produced - taken : 0;
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
          f.producerFillNanos);
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
      if ((t.word & CLOSED) != 0) {
        return;
      }
      WORD.getAndBitwiseOr(t, CLOSED);
      thread = producer;
      room.signalAll();
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
      long taken = t.word >>> 1;
      long produced = f.produced;
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
        + f.produced
        + ", taken "
        + (t.word >>> 1)
        + "]";
  }

  /** Keeps the fields below off the cache lines of whatever is allocated before them. */
  @SuppressWarnings("unused")
  private static class LeadingPad {
    long p0, p1, p2, p3, p4, p5, p6, p7;
  }

  /**
   * What the side that fills writes: the producer, or a consumer that fills a batch itself. Takes
   * read {@code produced} and {@code claimed}; each batch moves this line to the consumer's core
   * once.
   */
  private static class FillerFields extends LeadingPad {
    volatile long produced;
    volatile long claimed;
    volatile boolean producerWaiting;

    /**
     * A moving average of how long a fill on the producer thread takes, for a consumer that polls
     * while it fills; and their total. Written by the producer before it publishes a batch.
     */
    long fillNanos;

    long producerFillNanos;
  }

  @SuppressWarnings("unused")
  private static final class FillerSide extends FillerFields {
    long q0, q1, q2, q3, q4, q5, q6, q7;
  }

  /** What takes write (and close sets once); the producer reads them. */
  private static class TakerFields extends LeadingPad {
    /** The number of batches taken, shifted left once, or'ed with {@link #CLOSED}. */
    volatile long word;

    volatile boolean paced;
    volatile boolean consumerWaiting;
  }

  @SuppressWarnings("unused")
  private static final class TakerSide extends TakerFields {
    long q0, q1, q2, q3, q4, q5, q6, q7;
  }

  /** The consumer's own fields, which no other thread reads while it takes. */
  private static class ConsumerFields<B> extends LeadingPad {
    /** The batch the last take returned. */
    B held;

    /** When the last take returned, and how many takes in a row came quickly or late. */
    long lastReturn;

    int quickTakes;
    int lateTakes;

    // Read by metrics() (a snapshot) from any thread.
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
