package dev.cortado.plan;

import dev.cortado.net.Net;
import dev.cortado.operator.Blob;
import dev.cortado.proto.ExecutionStep;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.PlanDef;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@code PlanDef} with Caffe2's {@code ExecutionStep} semantics (§11 of
 * docs/caffe2-semantics.md): {@code num_iter}, nested and concurrent substeps, {@code
 * should_stop_blob}, {@code only_once}, periodic substeps ({@code run_every_ms}), {@code
 * report_net}/{@code report_interval}, {@code create_workspace} and {@code
 * num_concurrent_instances}.
 *
 * <p>Better than Caffe2: a failure in a concurrent substep is carried to the caller (the original
 * exception is the cause) instead of ending the process, and a failed plan always throws.
 */
public final class PlanExecutor {
  private static final Logger LOG = LoggerFactory.getLogger(PlanExecutor.class);

  /** Blob read by the workspace-id injection of {@code create_workspace}. */
  public static final String NODE_ID = "NODE_ID";

  /** Blob written into each created workspace when {@link #NODE_ID} is visible. */
  public static final String GLOBAL_WORKSPACE_ID = "GLOBAL_WORKSPACE_ID";

  private final PlanDef plan;
  private final Map<String, NetDefInfo> netDefs = new LinkedHashMap<>();
  private final AtomicInteger workspaceSequence = new AtomicInteger();

  private static final class NetDefInfo {
    final NetDef def;
    boolean needsOverride; // guarded by this

    NetDefInfo(NetDef def, boolean needsOverride) {
      this.def = def;
      this.needsOverride = needsOverride;
    }
  }

  private PlanExecutor(PlanDef plan) {
    this.plan = plan;
  }

  /** Runs every top-level step in order on {@code workspace}; throws when one fails. */
  public static void run(PlanDef plan, Workspace workspace) {
    PlanExecutor executor = new PlanExecutor(plan);
    if (plan.getExecutionStepCount() == 0) {
      LOG.warn("plan '{}' has no execution steps; nothing to run", plan.getName());
      return;
    }
    for (NetDef net : plan.getNetworkList()) {
      if (executor.netDefs.containsKey(net.getName())) {
        throw new PlanException(
            "plan '" + plan.getName() + "' contains two networks named '" + net.getName() + "'");
      }
      // A net that exists before the plan runs is rebuilt once, on first use, from the plan's def.
      executor.netDefs.put(net.getName(), new NetDefInfo(net, workspace.hasNet(net.getName())));
    }
    for (int i = 0; i < plan.getExecutionStepCount(); i++) {
      ExecutionStep step = plan.getExecutionStep(i);
      StepWrapper wrapper =
          executor.new StepWrapper(step, workspace, it -> true, pathOf(null, step, i));
      executor.execute(wrapper);
    }
  }

  private static String pathOf(String parent, ExecutionStep step, int index) {
    String own = step.getName().isEmpty() ? "#" + index : step.getName();
    return parent == null ? own : parent + "/" + own;
  }

  private String describe(String path) {
    return "plan '" + plan.getName() + "', step '" + path + "'";
  }

  /** Caffe2's ExecutionStepWrapper: compiled once, or on every run with create_workspace. */
  private final class StepWrapper {
    final ExecutionStep step;
    final Workspace workspace;
    final LongPredicate externalShouldContinue;
    final String path;
    final CompiledStep compiled;

    StepWrapper(
        ExecutionStep step,
        Workspace workspace,
        LongPredicate externalShouldContinue,
        String path) {
      this.step = step;
      this.workspace = workspace;
      this.externalShouldContinue = externalShouldContinue;
      this.path = path;
      this.compiled = step.getCreateWorkspace() ? null : new CompiledStep(this);
    }

    CompiledStep compile() {
      return compiled != null ? compiled : new CompiledStep(this);
    }
  }

  /** Caffe2's CompiledExecutionStep: nets created, substeps wrapped, continuation decided. */
  private final class CompiledStep implements AutoCloseable {
    final ExecutionStep step;
    final String path;
    final Workspace workspace;
    final Workspace ownedWorkspace;
    final List<StepWrapper> recurring = new ArrayList<>();
    final List<StepWrapper> periodic = new ArrayList<>();
    final List<Net> networks = new ArrayList<>();
    final Blob shouldStop;
    final Net reportNet;
    final AtomicBoolean gotFailure = new AtomicBoolean();
    final LongPredicate shouldContinue;

    CompiledStep(StepWrapper wrapper) {
      this.step = wrapper.step;
      this.path = wrapper.path;
      if (step.getCreateWorkspace()) {
        ownedWorkspace = wrapper.workspace.createChild();
        workspace = ownedWorkspace;
      } else {
        ownedWorkspace = null;
        workspace = wrapper.workspace;
      }
      try {
        if (ownedWorkspace != null) {
          injectWorkspaceId(ownedWorkspace);
        }
        if (step.getSubstepCount() > 0 && step.getNetworkCount() > 0) {
          throw error("an ExecutionStep has either substeps or networks, not both");
        }
        LongPredicate own = continuationTest();
        if (step.getSubstepCount() > 0) {
          boolean concurrent = step.getConcurrentSubsteps() && step.getSubstepCount() > 1;
          LongPredicate substepContinue =
              concurrent
                  ? it -> !gotFailure.get() && wrapper.externalShouldContinue.test(it)
                  : wrapper.externalShouldContinue;
          for (int i = 0; i < step.getSubstepCount(); i++) {
            ExecutionStep sub = step.getSubstep(i);
            StepWrapper w = new StepWrapper(sub, workspace, substepContinue, pathOf(path, sub, i));
            if (sub.hasRunEveryMs()) {
              periodic.add(w);
            } else {
              recurring.add(w);
            }
          }
        } else {
          for (String name : step.getNetworkList()) {
            networks.add(net(name));
          }
        }
        if (step.hasShouldStopBlob()) {
          shouldStop = workspace.getBlob(step.getShouldStopBlob());
          if (shouldStop == null) {
            throw error("should_stop_blob '" + step.getShouldStopBlob() + "' does not exist");
          }
        } else {
          shouldStop = null;
        }
        if (!step.getReportNet().isEmpty()) {
          if (!step.hasReportInterval()) {
            throw error("a report_interval must be provided if report_net is set");
          }
          reportNet = net(step.getReportNet());
        } else {
          reportNet = null;
        }
        shouldContinue = it -> wrapper.externalShouldContinue.test(it) && own.test(it);
      } catch (RuntimeException e) {
        close();
        throw e;
      }
    }

    private LongPredicate continuationTest() {
      if (step.hasShouldStopBlob()) {
        if (step.hasNumIter()) {
          throw error("must not specify num_iter if should_stop_blob is set");
        }
        boolean onlyOnce = step.hasOnlyOnce() && step.getOnlyOnce();
        return onlyOnce ? it -> it == 0 : it -> true;
      }
      if (step.hasOnlyOnce()) {
        throw error("only_once is only supported together with should_stop_blob");
      }
      long iterations = step.hasNumIter() ? step.getNumIter() : 1;
      return it -> it < iterations;
    }

    private Net net(String name) {
      NetDefInfo info = netDefs.get(name);
      if (info == null) {
        throw error("uses undefined net '" + name + "'; the plan defines " + netDefs.keySet());
      }
      synchronized (info) {
        if (info.needsOverride || workspace.getNet(name) == null) {
          try {
            workspace.createNet(info.def, true);
          } catch (RuntimeException e) {
            throw new PlanException(
                describe(path) + ": cannot create net '" + name + "': " + e.getMessage(), e);
          }
          info.needsOverride = false;
        }
        return workspace.getNet(name);
      }
    }

    private void injectWorkspaceId(Workspace ws) {
      Blob nodeId = ws.getBlob(NODE_ID);
      if (nodeId == null) {
        return;
      }
      Tensor t = nodeId.get(Tensor.class);
      if (t.dataType() != DataType.INT32 || t.numel() < 1) {
        throw error("blob " + NODE_ID + " must hold an int32 tensor, found " + t);
      }
      int node = t.data().getInt(0);
      int seq = workspaceSequence.getAndIncrement();
      if (seq >= (1 << 16)) {
        throw error("integer overflow while calculating " + GLOBAL_WORKSPACE_ID);
      }
      Tensor id = Tensor.allocate(DataType.INT32);
      id.data().putInt(0, seq + (node << 16));
      ws.createLocalBlob(GLOBAL_WORKSPACE_ID).set(id);
    }

    boolean stopRequested() {
      if (shouldStop == null) {
        return false;
      }
      Object v = shouldStop.get();
      if (v == null) {
        return false;
      }
      if (!(v instanceof Tensor t) || t.dataType() != DataType.BOOL || t.numel() != 1) {
        throw error(
            "should_stop_blob '"
                + step.getShouldStopBlob()
                + "' must hold a bool tensor of one"
                + " element, found "
                + shouldStop.describeValue());
      }
      return t.data().get(0) != 0;
    }

    PlanException error(String message) {
      return new PlanException(describe(path) + ": " + message);
    }

    @Override
    public void close() {
      if (ownedWorkspace != null) {
        ownedWorkspace.close();
      }
    }
  }

  private void execute(StepWrapper wrapper) {
    CompiledStep compiled = wrapper.compile();
    try (Reporter reporter = new Reporter()) {
      if (compiled.reportNet != null) {
        Net reportNet = compiled.reportNet;
        reporter.start(
            compiled.step.getReportInterval() * 1000L,
            reportNet::run,
            describe(compiled.path) + " report_net '" + reportNet.name() + "'");
      }
      for (StepWrapper p : compiled.periodic) {
        reporter.start(p.step.getRunEveryMs(), () -> execute(p), describe(p.path));
      }
      runIterations(compiled);
    } finally {
      if (compiled != wrapper.compiled) {
        compiled.close();
      }
    }
  }

  private void runIterations(CompiledStep compiled) {
    ExecutionStep step = compiled.step;
    if (step.getSubstepCount() > 0) {
      boolean sequential =
          (!step.getConcurrentSubsteps() || step.getSubstepCount() <= 1)
              && (!step.hasNumConcurrentInstances() || step.getNumConcurrentInstances() <= 1);
      for (long iter = 0; compiled.shouldContinue.test(iter); iter++) {
        if (sequential) {
          for (StepWrapper sub : compiled.recurring) {
            execute(sub);
            if (compiled.stopRequested()) {
              return;
            }
          }
        } else {
          runConcurrently(compiled);
          if (compiled.stopRequested()) {
            return;
          }
        }
      }
    } else {
      for (long iter = 0; compiled.shouldContinue.test(iter); iter++) {
        for (Net net : compiled.networks) {
          try {
            net.run();
          } catch (RuntimeException e) {
            throw new PlanException(describe(compiled.path) + ": " + e.getMessage(), e);
          }
          if (compiled.stopRequested()) {
            return;
          }
        }
      }
    }
  }

  /**
   * One iteration of concurrent substeps: {@code substeps x max(1, num_concurrent_instances)}
   * threads, thread t running substep {@code t mod substeps}. The first failure stops the others at
   * their next continuation test and is rethrown here once all threads have joined.
   */
  private void runConcurrently(CompiledStep compiled) {
    List<StepWrapper> subs = compiled.recurring;
    if (subs.isEmpty()) {
      return;
    }
    int instances =
        compiled.step.hasNumConcurrentInstances()
            ? Math.max(1, compiled.step.getNumConcurrentInstances())
            : 1;
    int numThreads = subs.size() * instances;
    AtomicInteger next = new AtomicInteger();
    Throwable[] first = new Throwable[1];
    List<Thread> threads = new ArrayList<>(numThreads);
    for (int t = 0; t < numThreads; t++) {
      Thread thread =
          new Thread(
              () -> {
                int id = next.getAndIncrement() % subs.size();
                if (compiled.gotFailure.get()) {
                  return;
                }
                try {
                  execute(subs.get(id));
                } catch (Throwable e) {
                  synchronized (first) {
                    if (first[0] == null) {
                      first[0] = e;
                    }
                  }
                  compiled.gotFailure.set(true);
                }
              },
              "cortado-step-" + compiled.path + "-" + t);
      thread.setDaemon(true);
      threads.add(thread);
    }
    threads.forEach(Thread::start);
    Threads.joinAll(threads);
    Throwable failure;
    synchronized (first) {
      failure = first[0];
    }
    if (failure == null) {
      return;
    }
    if (failure instanceof PlanException pe) {
      throw pe;
    }
    if (failure instanceof Error err) {
      throw err;
    }
    throw new PlanException(
        describe(compiled.path) + ": a concurrent substep failed: " + failure.getMessage(),
        failure);
  }
}
