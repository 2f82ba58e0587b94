package dev.cortado.net;

import dev.cortado.operator.BlobScope;
import dev.cortado.operator.OperatorRegistry;
import dev.cortado.operator.OperatorRunException;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The parallel net behind {@code dag}, {@code async_scheduling}, {@code async_polling}, {@code
 * async_dag} and {@code prof_dag}: operators run on a bounded pool of {@code num_workers} threads
 * as soon as every operator they depend on has finished. Dependencies follow blob names in NetDef
 * order: read-after-write, write-after-write, write-after-read and {@code control_input}, so the
 * blobs are the same as with {@code simple}.
 *
 * <p>An operator that blocks inside {@code run()} (a prefetching input waiting for its producer)
 * only holds its own worker; producers run on their own threads, so nothing waits on the pool. The
 * first failure stops scheduling; running operators finish, then it is thrown.
 */
final class DagNet extends AbstractNet {
  private static final AtomicInteger POOL_IDS = new AtomicInteger();

  private final int[][] children;
  private final int[] parentCounts;
  private final int[] roots;
  private final int numWorkers;
  private final Object poolLock = new Object();
  private ThreadPoolExecutor pool; // guarded by poolLock

  DagNet(NetDef def, OperatorRegistry registry, BlobScope scope, int numWorkers) {
    super(def, registry, scope);
    this.numWorkers = numWorkers;
    int n = this.def.getOpCount();
    List<Set<Integer>> parents = dependencies(this.def);
    List<List<Integer>> kids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      kids.add(new ArrayList<>());
    }
    parentCounts = new int[n];
    List<Integer> rootList = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      parentCounts[i] = parents.get(i).size();
      for (int p : parents.get(i)) {
        kids.get(p).add(i);
      }
      if (parentCounts[i] == 0) {
        rootList.add(i);
      }
    }
    children = new int[n][];
    for (int i = 0; i < n; i++) {
      children[i] = kids.get(i).stream().mapToInt(Integer::intValue).toArray();
    }
    roots = rootList.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The number of worker threads this net runs on. */
  int numWorkers() {
    return numWorkers;
  }

  /** For each operator, the earlier operators it must wait for. */
  static List<Set<Integer>> dependencies(NetDef def) {
    Map<String, Integer> lastWriter = new HashMap<>();
    Map<String, List<Integer>> readersSinceWrite = new HashMap<>();
    List<Set<Integer>> parents = new ArrayList<>();
    for (int i = 0; i < def.getOpCount(); i++) {
      OperatorDef op = def.getOp(i);
      Set<Integer> deps = new LinkedHashSet<>();
      for (String in : op.getInputList()) {
        Integer w = lastWriter.get(in);
        if (w != null) {
          deps.add(w); // read after write
        }
      }
      for (String c : op.getControlInputList()) {
        Integer w = lastWriter.get(c);
        if (w != null) {
          deps.add(w);
        }
      }
      for (String out : op.getOutputList()) {
        Integer w = lastWriter.get(out);
        if (w != null) {
          deps.add(w); // write after write
        }
        deps.addAll(readersSinceWrite.getOrDefault(out, List.of())); // write after read
      }
      deps.remove(i);
      parents.add(deps);
      for (String in : op.getInputList()) {
        readersSinceWrite.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
      }
      for (String out : op.getOutputList()) {
        lastWriter.put(out, i);
        readersSinceWrite.remove(out);
      }
    }
    return parents;
  }

  @Override
  public synchronized void run() {
    checkOpen();
    if (operators.isEmpty()) {
      return;
    }
    Execution execution = new Execution(pool());
    execution.start();
    execution.await();
  }

  private ThreadPoolExecutor pool() {
    synchronized (poolLock) {
      return poolLocked();
    }
  }

  private ThreadPoolExecutor poolLocked() {
    if (pool == null) {
      int threads = Math.max(1, Math.min(numWorkers, operators.size()));
      String prefix =
          "cortado-"
              + describe(name()).replace(' ', '-').replace("'", "")
              + "-"
              + POOL_IDS.incrementAndGet()
              + "-worker-";
      AtomicInteger ids = new AtomicInteger();
      ThreadFactory factory =
          r -> {
            Thread t = new Thread(r, prefix + ids.incrementAndGet());
            t.setDaemon(true);
            return t;
          };
      pool =
          new ThreadPoolExecutor(
              threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), factory);
      pool.allowCoreThreadTimeOut(true);
    }
    return pool;
  }

  /**
   * Closes the operators (which unblocks one waiting in {@code run()}, such as a prefetching input)
   * and stops the pool. It does not wait for a run in progress on another thread.
   */
  @Override
  public void close() {
    ThreadPoolExecutor p;
    synchronized (poolLock) {
      p = pool;
    }
    try {
      super.close();
    } finally {
      if (p != null) {
        p.shutdown();
      }
    }
  }

  /** One run: counts down each operator's unfinished parents and schedules it at zero. */
  private final class Execution {
    private final ThreadPoolExecutor executor;
    private final AtomicIntegerArray pending;
    private int outstanding; // guarded by this
    private Throwable failure; // guarded by this
    private int failedIndex = -1; // guarded by this
    private boolean rejected; // guarded by this: the pool was shut down by close()

    Execution(ThreadPoolExecutor executor) {
      this.executor = executor;
      this.pending = new AtomicIntegerArray(parentCounts);
    }

    void start() {
      synchronized (this) {
        outstanding = roots.length;
      }
      for (int r : roots) {
        execute(r);
      }
    }

    private void execute(int i) {
      try {
        executor.execute(() -> runOne(i));
      } catch (RejectedExecutionException e) {
        synchronized (this) {
          rejected = failure == null;
        }
        finish(i, new NetException(describe(name()) + " was closed while running", e), List.of());
      }
    }

    private void runOne(int i) {
      Throwable error = null;
      if (!failed()) {
        try {
          operators.get(i).run();
        } catch (Throwable t) {
          error = t;
        }
      }
      List<Integer> ready = new ArrayList<>();
      if (error == null) {
        for (int c : children[i]) {
          if (pending.decrementAndGet(c) == 0) {
            ready.add(c);
          }
        }
      }
      finish(i, error, ready);
    }

    private void finish(int i, Throwable error, List<Integer> ready) {
      List<Integer> toRun = new ArrayList<>();
      synchronized (this) {
        if (error != null && failure == null) {
          failure = error;
          failedIndex = i;
        }
        if (failure == null) {
          outstanding += ready.size();
          toRun.addAll(ready);
        }
        outstanding--;
        if (outstanding == 0) {
          notifyAll();
        }
      }
      for (int c : toRun) {
        execute(c);
      }
    }

    private synchronized boolean failed() {
      return failure != null;
    }

    void await() {
      boolean interrupted = false;
      synchronized (this) {
        while (outstanding > 0) {
          try {
            wait();
          } catch (InterruptedException e) {
            // Keep waiting: the operators in flight touch blobs the caller will read next.
            interrupted = true;
          }
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      Throwable f;
      int index;
      boolean closedWhileRunning;
      synchronized (this) {
        f = failure;
        index = failedIndex;
        closedWhileRunning = rejected;
      }
      if (f == null) {
        return;
      }
      if (f instanceof Error err) {
        throw err;
      }
      if (closedWhileRunning) {
        throw (NetException) f;
      }
      OperatorRunException wrapped = failure(index, f);
      throw wrapped;
    }
  }
}
