package dev.cortado.prefetch.internal;

import dev.cortado.memory.CacheLinePad;
import dev.cortado.prefetch.PrefetchException;
import dev.cortado.prefetch.PrefetchMetrics;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The hand-off between one producer thread and one consumer: a ring of reusable batch slots filled
 * in order, at most {@code depth} ahead of the consumer.
 *
 * <p>State: {@code produced} (batches filled), the consumer's word ({@code taken}, batches taken,
 * with the bits {@code paced} and {@code closed}; {@code taken <= produced <= taken + depth}),
 * {@code failure} (set once, at batch {@code produced}) and {@code filler}, who may fill batch
 * {@code produced}: {@code PRODUCER} (the producer thread, running), {@code IDLE} (nobody: the
 * producer is parked, about to park or not started) or {@code CONSUMER} (a take fills it on its own
 * thread). Only the producer moves {@code filler} out of {@code PRODUCER}, only the consumer out of
 * {@code CONSUMER}, and both leave {@code IDLE} by a compare-and-set, so fills never overlap. There
 * is room when {@code produced < taken + depth} and the slot of batch {@code produced} is free.
 *
 * <pre>
 * producer  PRODUCER, room, !paced or closed -- fills batch produced, produced++, wakes consumer
 *           PRODUCER, paced or a poll for room failed ----------------------> IDLE, parks
 *           IDLE, room and (!paced or closed) -------------------------------> PRODUCER (CAS)
 *           failure, or closed and no room -----------------------------------> exits
 *           a fill throws: failure = e ---------------------------------------> exits
 * consumer  take t: drops its last batch; sets or clears paced (with a CAS of its word), then
 *           produced > t ------------------ the batch; taken = t + 1 (a CAS, failing once closed)
 *           produced == t, failure --------------------- throws it, on every later take too
 *           produced == t, IDLE, slot free -- CONSUMER (CAS), fills, produced++, taken++, IDLE
 *             (gives the claim back if produced or closed moved meanwhile; the first take
 *             claims batch 0 before it starts the producer thread)
 *           produced == t otherwise -------- polls, then parks, until one of the above
 *           closed ----------------------------------------------------- throws "closed"
 * close     sets closed (a CAS of the consumer's word: taken is final once filler is not
 *           CONSUMER), wakes both sides and joins the producer, which fills while it has room
 *           (deciding only when filler is not CONSUMER): after k takes exactly k + depth
 *           batches have been read whatever the schedule (Caffe2's read-ahead, thrown away).
 * </pre>
 *
 * <p>A side that changes what the other may wait for (produced, taken, paced, filler, a freed slot,
 * failure, closed) then reads whether the other is parked and wakes it; a side that parks says so
 * first and checks again, and every one of these fields is volatile, so one of the two sees the
 * other. On the hot path, a batch costs what two spinning counters cost: the producer writes {@code
 * produced} on a cache line of its own, the consumer writes its word on another, and nothing else
 * moves between the cores (PERFORMANCE.md, section Prefetch).
 *
 * <p>A side that finds nothing to do polls first, for up to {@code -Dcortado.prefetch.spin_ns}
 * (default 100 µs; 0 parks at once), unless its recent polls failed ({@link AdaptiveSpin}): on a
 * virtual machine a parked thread takes tens of microseconds to wake, as long as a small batch
 * takes to read. A consumer waiting for a batch being filled polls up to twice the recent fill time
 * instead (at most ten times the bound). A take that finds its batch unfilled and nobody filling it
 * (a producer parked or not yet started) fills it itself: waiting for the producer would cost a
 * wake-up, on a busy machine a time slice, per batch. A consumer that comes back for its next batch
 * within {@value #QUICK_NANOS} ns twice in a row has nothing to overlap the reads with: it is
 * {@code paced}, and reads its batches itself (the producer steps aside and parks) until two takes
 * in a row come later than that, or its next slot is still held elsewhere. Close lets the producer
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

  /** How long a side polls before it parks, unless the property says. */
  static final long DEFAULT_SPIN_NANOS = 100_000;

  /** What a prefetcher fills and how it learns that a slot is free again. */
  public interface Source<B> {
    /** A new empty slot; called at most {@code max(depth, 1) + 1 + extraSlots} times, lazily. */
    B newBatch();

    /** Fills {@code batch} with the next batch; one call at a time, each sees the last's writes. */
    void fill(B batch) throws Exception;

    /** What a fill in progress has consumed so far; called from another thread. */
    String describeInFlight();

    /**
     * False while someone still holds {@code batch} (it must not be refilled). Asked only about a
     * slot whose batch the consumer has dropped, or that was never handed over.
     */
    boolean isFree(B batch);

    /** {@code batch} goes to the consumer; {@code onFree} must run once it is free again. */
    void handOver(B batch, Runnable onFree);

    /** The consumer drops its reference to {@code batch} (others may still hold it). */
    void release(B batch);
  }

  private static final System.Logger LOG = System.getLogger(Prefetcher.class.getName());
  private static final AtomicInteger THREAD_SEQ = new AtomicInteger();

  /** A consumer back within this many nanoseconds after a take has no work to overlap. */
  static final long QUICK_NANOS = 2_000;

  // The values of filler.
  private static final int IDLE = 0;
  private static final int PRODUCER = 1;
  private static final int CONSUMER = 2;

  // The low bits of the consumer's word; taken is the word shifted right by TAKEN_SHIFT.
  private static final long CLOSED = 1;
  private static final long PACED = 2;
  private static final int TAKEN_SHIFT = 2;
  private static final long ONE_TAKEN = 1L << TAKEN_SHIFT;

  private static final VarHandle WORD;
  private static final VarHandle FILLER;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      WORD = lookup.findVarHandle(ConsumerLine.class, "word", long.class);
      FILLER = lookup.findVarHandle(ProducerLine.class, "filler", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final String owner;
  private final Source<B> source;
  private final int depth;
  private final Object[] slots;
  private final AdaptiveSpin consumerSpin;
  private final AdaptiveSpin producerSpin;
  private final boolean ownThread;
  private final long quickNanos;
  private final Runnable onFree = this::slotFreed;
  private final BooleanSupplier consumerMayGo = this::consumerMayGo;
  private final BooleanSupplier producerShouldLook = this::producerShouldLook;

  /** What the filler writes, on cache lines of its own. */
  private final ProducerLine p = new ProducerLine();

  /** What takes and close write, on cache lines of their own. */
  private final ConsumerLine w = new ConsumerLine();

  /** What only the consumer reads and writes. */
  private final ConsumerSide<B> c = new ConsumerSide<>();

  /** The thread this prefetcher started; set once, under {@code this}. */
  private volatile Thread producer;

  // Written under this (rarely: a failure, close); failureDelivered by the consumer.
  private boolean failedBeforeClose;
  private volatile boolean failureDelivered;
  private volatile boolean interruptedByClose;

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
    long word = w.word;
    if ((word & CLOSED) != 0) {
      throw closed();
    }
    long t = word >>> TAKEN_SHIFT;
    long now = System.nanoTime();
    if (c.lastReturn != 0 && now - c.lastReturn < quickNanos) {
      c.quickTakes++;
      c.lateTakes = 0;
    } else {
      c.lateTakes++;
      c.quickTakes = 0;
    }
    // Two in a row either way, so that one preempted take does not hand the reading back.
    boolean wasPaced = (word & PACED) != 0;
    boolean pace = wasPaced ? c.lateTakes < 2 : c.quickTakes >= 2;
    if (pace != wasPaced) {
      setPaced(pace);
    }
    long found = p.produced - t;
    c.occupancySum += found;
    c.maxOccupancy = Math.max(c.maxOccupancy, found);
    if (found > 0 || !awaitBatch(t, pace)) {
      // Only close changes the word beside takes: a failed compare-and-set means closed.
      word = w.word;
      if (!WORD.compareAndSet(w, word & ~CLOSED, (word & ~CLOSED) + ONE_TAKEN)) {
        throw closed();
      }
      wakeProducer();
    }
    B batch = handOver(t);
    c.lastReturn = System.nanoTime();
    return batch;
  }

  /** Sets or clears the paced bit; throws when closed. Clearing it may let the producer fill. */
  private void setPaced(boolean pace) {
    long word = w.word;
    long next = pace ? word | PACED : word & ~PACED;
    if ((word & CLOSED) != 0 || !WORD.compareAndSet(w, word, next)) {
      throw closed();
    }
    if (!pace) {
      c.quickTakes = 0;
      wakeProducer();
    }
  }

  private B takeInline() {
    long word = w.word;
    if ((word & CLOSED) != 0) {
      throw closed();
    }
    long t = word >>> TAKEN_SHIFT;
    Throwable f = p.failure;
    if (f != null) {
      throw delivered(t, f);
    }
    B batch = slot(t);
    if (!source.isFree(batch)) {
      parkConsumer(() -> source.isFree(batch) || (w.word & CLOSED) != 0, "a held batch slot ", t);
      if ((w.word & CLOSED) != 0) {
        throw closed();
      }
    }
    try {
      source.fill(batch);
    } catch (Throwable e) {
      record(e);
      throw delivered(t, e);
    }
    p.produced = t + 1;
    if (!WORD.compareAndSet(w, word, word + ONE_TAKEN)) {
      throw closed();
    }
    return handOver(t);
  }

  private B handOver(long t) {
    B batch = slot(t);
    source.handOver(batch, onFree);
    c.held = batch;
    return batch;
  }

  /**
   * Starts the producer thread unless there is one; false when the prefetcher was closed before one
   * started. Close reads {@code producer} under the same monitor after it sets closed, so it joins
   * every thread started.
   */
  private boolean startProducer() {
    if (producer != null || !ownThread) {
      return true;
    }
    synchronized (this) {
      if (producer != null) {
        return true;
      }
      if ((w.word & CLOSED) != 0) {
        return false;
      }
      Thread thread =
          new Thread(
              this::produce, "cortado-prefetch-" + THREAD_SEQ.incrementAndGet() + " " + owner);
      thread.setDaemon(true);
      producer = thread;
      thread.start();
      return true;
    }
  }

  /**
   * Returns once batch {@code t} is filled: true when it filled and took it here (nobody filled it
   * and its slot was free), false when the producer filled it. Throws the failure at batch {@code
   * t}, or "closed".
   */
  private boolean awaitBatch(long t, boolean pace) {
    boolean waited = false;
    long start = 0;
    try {
      while (p.produced == t) {
        Throwable f = p.failure;
        if (f != null) {
          throw delivered(t, f);
        }
        if ((w.word & CLOSED) != 0) {
          throw closed();
        }
        if (p.filler == IDLE) {
          if (slotFree(t)) {
            if (fillHereIfClaimed(t)) {
              return true;
            }
            continue;
          }
          if (pace) {
            // The slot is held elsewhere: hand the reading back to the producer, which the
            // release wakes.
            pace = false;
            setPaced(false);
          }
        }
        if (!startProducer()) {
          throw closed();
        }
        if (!waited) {
          waited = true;
          start = System.nanoTime();
        }
        if (!consumerSpin.await(consumerMayGo, p.fillNanos)) {
          parkConsumer(consumerMayGo, "batch ", t);
        }
      }
      return false;
    } finally {
      if (waited) {
        c.waits++;
        c.waitNanos += System.nanoTime() - start;
      }
    }
  }

  /**
   * Claims batch {@code t} (nobody fills it and its slot is free), then fills and takes it here;
   * false when the claim fails or the producer filled the batch and stepped aside since the caller
   * looked, throws "closed" when a close came first (it may have let the producer decide the
   * read-ahead already). The first take claims batch 0 before it starts the producer, so it always
   * fills it, while the thread starts.
   */
  private boolean fillHereIfClaimed(long t) {
    if (!FILLER.compareAndSet(p, IDLE, CONSUMER)) {
      return false;
    }
    boolean filled = p.produced != t;
    if (filled || (w.word & CLOSED) != 0 || !startProducer()) {
      giveBackClaim();
      if (filled) {
        return false;
      }
      throw closed();
    }
    fillHere(t);
    return true;
  }

  /**
   * Fills and takes batch {@code t} on the consumer's thread, {@code filler} being {@code
   * CONSUMER}. The take counts even if close came during the fill: {@code taken} moves before
   * {@code filler} returns to {@code IDLE}, and the producer decides on the read-ahead only then.
   */
  private void fillHere(long t) {
    try {
      source.fill(slot(t));
    } catch (Throwable e) {
      record(e);
      giveBackClaim();
      throw delivered(t, e);
    }
    c.consumerFills++;
    p.produced = t + 1;
    WORD.getAndAdd(w, ONE_TAKEN);
    giveBackClaim();
  }

  /** The consumer is done with its claim: nobody fills now, and the producer may take over. */
  private void giveBackClaim() {
    p.filler = IDLE;
    wakeProducer();
  }

  /**
   * Parks the consumer until {@code done}; {@code what} and {@code t} name what it waits for in the
   * message of an interrupted wait.
   */
  private void parkConsumer(BooleanSupplier done, String what, long t) {
    w.thread = Thread.currentThread();
    w.parked = true;
    try {
      long start = System.nanoTime();
      while (!done.getAsBoolean()) {
        LockSupport.park(this);
        if (Thread.interrupted()) {
          Thread.currentThread().interrupt();
          throw new PrefetchException(owner + ": interrupted while waiting for " + what + t);
        }
      }
      consumerSpin.wokeAfter(System.nanoTime() - start);
    } finally {
      w.parked = false;
    }
  }

  private PrefetchException closed() {
    return new PrefetchException(owner + ": closed");
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
   * Records the failure of batch {@code produced} (the one being filled), unless one is recorded:
   * nobody fills after it, and takes rethrow it once the batches before it are taken.
   */
  private void record(Throwable e) {
    synchronized (this) {
      if (p.failure == null) {
        failedBeforeClose = (w.word & CLOSED) == 0;
        p.failure = e;
      }
    }
    wakeConsumer();
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

  /** A slot is free again: the producer may fill it, or (inline) the consumer waits for it. */
  private void slotFreed() {
    wakeProducer();
    wakeConsumer();
  }

  /** Wakes the producer if it stepped aside and may now fill, or must stop. */
  private void wakeProducer() {
    if (p.filler == IDLE && producerMayGo()) {
      Thread thread = p.thread;
      if (thread != null) {
        LockSupport.unpark(thread);
      }
    }
  }

  private void wakeConsumer() {
    if (w.parked) {
      LockSupport.unpark(w.thread);
    }
  }

  private boolean consumerMayGo() {
    long t = w.word >>> TAKEN_SHIFT;
    return p.produced != t
        || p.failure != null
        || (w.word & CLOSED) != 0
        || (p.filler == IDLE && slotFree(t));
  }

  /** True when the producer may fill, or must stop. */
  private boolean producerMayGo() {
    long word = w.word;
    return p.failure != null || (word & CLOSED) != 0 || mayFill(p.produced, word);
  }

  /** The producer may fill batch {@code produced}: room, and the consumer not paced or closed. */
  private boolean mayFill(long produced, long word) {
    return ((word & CLOSED) != 0 || (word & PACED) == 0) && hasRoom(produced, word);
  }

  /** What the producer polls for while it has no room: room, or a reason to stop or step aside. */
  private boolean producerShouldLook() {
    return (w.word & (CLOSED | PACED)) != 0 || producerMayGo();
  }

  /** Room for batch {@code produced}: the consumer is close enough, and the slot's batch free. */
  private boolean hasRoom(long produced, long word) {
    return produced - (word >>> TAKEN_SHIFT) < depth && slotFree(produced);
  }

  private boolean slotFree(long index) {
    @SuppressWarnings("unchecked")
    B s = (B) slots[(int) (index % slots.length)];
    return s == null || source.isFree(s);
  }

  /** The producer loop: fills batches while there is room; returns when it must stop. */
  void produce() {
    p.thread = Thread.currentThread();
    try {
      while (true) {
        if (p.filler != PRODUCER && !claim()) {
          return;
        }
        long word = w.word;
        long produced = p.produced;
        if (p.failure != null) {
          return;
        }
        if (mayFill(produced, word)) {
          fill(produced);
        } else if ((word & CLOSED) != 0) {
          return;
        } else if ((word & PACED) != 0 || !producerSpin.await(producerShouldLook)) {
          // Step aside: a paced consumer fills for itself, and a slow one is not worth a core.
          p.filler = IDLE;
          wakeConsumer();
        }
      }
    } catch (InterruptedException e) {
      if ((w.word & CLOSED) == 0) {
        record(new PrefetchException(owner + ": the producer thread was interrupted"));
      }
    } catch (Throwable e) {
      record(e);
    }
  }

  /**
   * Takes {@code filler} from {@code IDLE} to {@code PRODUCER} once the producer may fill, parking
   * until then; false when it must stop (a failure, or closed with the read-ahead done).
   */
  private boolean claim() throws InterruptedException {
    long start = System.nanoTime();
    while (true) {
      if (p.filler == IDLE) {
        if (p.failure != null) {
          return false;
        }
        long word = w.word;
        if (mayFill(p.produced, word)) {
          if (FILLER.compareAndSet(p, IDLE, PRODUCER)) {
            producerSpin.wokeAfter(System.nanoTime() - start);
            return true;
          }
          continue;
        }
        if ((word & CLOSED) != 0) {
          return false;
        }
      }
      // IDLE and nothing to do, or the consumer fills: it wakes this thread when it is done.
      LockSupport.park(this);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
  }

  /** Fills batch {@code index} on the producer thread and publishes it. */
  private void fill(long index) throws Exception {
    long start = System.nanoTime();
    source.fill(slot(index));
    long d = System.nanoTime() - start;
    // Plain writes, published by the write of produced after them.
    long f = p.fillNanos;
    p.fillNanos = f == 0 ? d : f + (d - f) / 4;
    p.fillNanosTotal += d;
    p.produced = index + 1;
    wakeConsumer();
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
    return (w.word & PACED) != 0;
  }

  /** True when no producer thread runs: never started, or closed and joined. */
  public boolean producerStopped() {
    Thread t = producer;
    return t == null || !t.isAlive();
  }

  /**
   * A snapshot of the counters. The consumer's counters are exact on the consumer's thread or after
   * close; from another thread they may lag by a take.
   */
  public PrefetchMetrics metrics() {
    long produced = p.produced;
    long word = w.word;
    long taken = word >>> TAKEN_SHIFT;
    long discarded = (word & CLOSED) != 0 && producerStopped() ? produced - taken : 0;
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
        p.fillNanosTotal);
  }

  /**
   * Lets the producer finish the read-ahead, then stops it (see the class comment for the bound).
   * Idempotent. Throws {@link PrefetchException} once if the producer is stuck or the read-ahead
   * was cut short; when it is stuck the slots stay with it and must not be freed.
   */
  @Override
  public void close() {
    long word;
    do {
      word = w.word;
      if ((word & CLOSED) != 0) {
        return;
      }
    } while (!WORD.compareAndSet(w, word, word | CLOSED));
    wakeConsumer();
    Thread running = p.thread;
    if (running != null) {
      LockSupport.unpark(running);
    }
    Thread thread;
    synchronized (this) {
      thread = producer;
    }
    if (thread == null) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_BOUND_MILLIS);
    boolean interrupted = join(thread, TimeUnit.MILLISECONDS.toNanos(STOP_GRACE_MILLIS));
    if (thread.isAlive()) {
      interruptedByClose = true;
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
    long produced = p.produced;
    long taken = w.word >>> TAKEN_SHIFT;
    Throwable failure = p.failure;
    boolean failedEarly;
    synchronized (this) {
      failedEarly = failedBeforeClose;
    }
    if (failure != null && failedEarly && !failureDelivered) {
      LOG.log(
          System.Logger.Level.WARNING,
          "{0}: closed before the producer''s failure at batch {1} was taken: {2}",
          owner,
          produced,
          describe(failure));
    }
    boolean stuck = thread.isAlive();
    if (!stuck && (!interruptedByClose || failedEarly || produced == taken + depth)) {
      if (failure != null && !failedEarly) {
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
        + p.produced
        + ", taken "
        + (w.word >>> TAKEN_SHIFT)
        + "]";
  }

  /** What the filler writes: the consumer reads it once a take, the producer every batch. */
  private static class ProducerFields extends CacheLinePad {
    /** Batches filled. */
    volatile long produced;

    /** Who may fill batch {@code produced}: {@code IDLE}, {@code PRODUCER} or {@code CONSUMER}. */
    volatile int filler;

    /** Set once, at batch {@code produced}. */
    volatile Throwable failure;

    /** The producer thread, once it runs. */
    volatile Thread thread;

    /**
     * A moving average of the producer's fills, for the consumer that polls while it fills, and
     * their total; written before {@code produced}, which publishes them.
     */
    long fillNanos;

    long fillNanosTotal;
  }

  @SuppressWarnings("unused")
  private static final class ProducerLine extends ProducerFields {
    long q0, q1, q2, q3, q4, q5, q6, q7;
  }

  /** What takes and close write: the producer polls it. */
  private static class ConsumerLineFields extends CacheLinePad {
    /** {@code taken << 2 | paced << 1 | closed}; only close changes it beside takes. */
    volatile long word;

    /** The consumer is parked (or about to park) waiting; {@code thread} is the one to wake. */
    volatile boolean parked;

    volatile Thread thread;
  }

  @SuppressWarnings("unused")
  private static final class ConsumerLine extends ConsumerLineFields {
    long q0, q1, q2, q3, q4, q5, q6, q7;
  }

  /**
   * The consumer's own fields, read and written by takes only (and by {@link #metrics()}), on cache
   * lines that the producer never reads.
   */
  private static class ConsumerFields<B> extends CacheLinePad {
    /** The batch the last take returned. */
    B held;

    /** When the last take returned, and how many takes in a row came quickly or late. */
    long lastReturn;

    int quickTakes;
    int lateTakes;

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
