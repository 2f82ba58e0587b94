package dev.cortado.plan;

import static dev.cortado.operator.TestOperators.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.operator.Defs;
import dev.cortado.operator.OperatorRegistry;
import dev.cortado.operator.OperatorRunException;
import dev.cortado.operator.Services;
import dev.cortado.operator.TestOperators;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class PlanTest {
  static final OperatorRegistry REGISTRY = new OperatorRegistry(List.of(new TestOperators()));

  /** Nets every plan below can use: init sets x = 0, inc adds 1, check sets stop = x >= 3. */
  static final String NETS =
      "network { name: 'init' op { type: 'Const' output: 'x' } }"
          + " network { name: 'inc' op { type: 'AddTo' input: 'x' output: 'x' arg { name: 'add' i: 1 } } }"
          + " network { name: 'check' op { type: 'AtLeast' input: 'x' output: 'stop'"
          + "   arg { name: 'than' i: 3 } } }"
          + " network { name: 'fail' op { type: 'Fail' name: 'f' arg { name: 'why' s: 'on purpose' } } }";

  static Workspace workspace() {
    Workspace ws = new Workspace(REGISTRY, Services.none());
    ws.createBlob("stop");
    return ws;
  }

  static long x(Workspace ws) {
    return value(ws.blob("x").get());
  }

  static void run(Workspace ws, String steps) {
    PlanExecutor.run(Defs.plan("name: 'p' " + NETS + " " + steps), ws);
  }

  @Test
  void numIterRunsTheNetsThatOften() {
    try (Workspace ws = workspace()) {
      run(
          ws,
          "execution_step { network: 'init' }"
              + " execution_step { name: 'loop' network: 'inc' num_iter: 5 }"
              + " execution_step { name: 'none' network: 'inc' num_iter: 0 }");
      assertThat(x(ws)).isEqualTo(5);
    }
  }

  @Test
  void nestedSequentialSubsteps() {
    try (Workspace ws = workspace()) {
      run(
          ws,
          "execution_step { network: 'init' }"
              + " execution_step { name: 'outer' num_iter: 2"
              + "   substep { name: 'a' network: 'inc' num_iter: 3 }"
              + "   substep { name: 'b' substep { network: 'inc' network: 'inc' } } }");
      assertThat(x(ws)).isEqualTo(2 * (3 + 2));
    }
  }

  @Test
  void stepWithNeitherSubstepsNorNetworksJustCountsIterations() {
    try (Workspace ws = workspace()) {
      run(ws, "execution_step { network: 'init' } execution_step { name: 'empty' num_iter: 3 }");
      assertThat(x(ws)).isZero();
    }
  }

  @Test
  void shouldStopBlobEndsTheStepAfterTheNetThatSetIt() {
    try (Workspace ws = workspace()) {
      run(
          ws,
          "execution_step { network: 'init' }"
              + " execution_step { name: 'until' should_stop_blob: 'stop' network: 'inc'"
              + "   network: 'check' network: 'inc' }");
      // Iterations: x=1, check false, x=2; x=3, check true -> stop before the second inc.
      assertThat(x(ws)).isEqualTo(3);
    }
  }

  @Test
  void shouldStopBlobEndsSequentialSubsteps() {
    try (Workspace ws = workspace()) {
      run(
          ws,
          "execution_step { network: 'init' }"
              + " execution_step { name: 'until' should_stop_blob: 'stop'"
              + "   substep { network: 'inc' } substep { network: 'check' } substep { network: 'inc' } }");
      assertThat(x(ws)).isEqualTo(3);
    }
  }

  @Test
  void onlyOnceRunsOneIteration() {
    try (Workspace ws = workspace()) {
      run(
          ws,
          "execution_step { network: 'init' }"
              + " execution_step { name: 'once' should_stop_blob: 'stop' only_once: true network: 'inc' }");
      assertThat(x(ws)).isEqualTo(1);
    }
  }

  @Test
  void malformedStepsAreErrorsNamingTheStep() {
    try (Workspace ws = workspace()) {
      assertThatThrownBy(
              () ->
                  run(
                      ws,
                      "execution_step { name: 's' should_stop_blob: 'stop'"
                          + " num_iter: 2 network: 'inc' }"))
          .isInstanceOf(PlanException.class)
          .hasMessage("plan 'p', step 's': must not specify num_iter if should_stop_blob is set");
      assertThatThrownBy(
              () -> run(ws, "execution_step { name: 's' only_once: false network: 'inc' }"))
          .hasMessage(
              "plan 'p', step 's': only_once is only supported together with should_stop_blob");
      assertThatThrownBy(
              () ->
                  run(
                      ws,
                      "execution_step { name: 's' network: 'inc'"
                          + " substep { network: 'inc' } }"))
          .hasMessageContaining("either substeps or networks, not both");
      assertThatThrownBy(
              () -> run(ws, "execution_step { name: 'o' substep { name: 'i' network: 'nope' } }"))
          .hasMessageStartingWith("plan 'p', step 'o/i': uses undefined net 'nope'");
      assertThatThrownBy(
              () ->
                  run(
                      ws,
                      "execution_step { name: 's' should_stop_blob: 'ghost'"
                          + " network: 'init' }"))
          .hasMessage("plan 'p', step 's': should_stop_blob 'ghost' does not exist");
      assertThatThrownBy(
              () -> run(ws, "execution_step { name: 's' report_net: 'inc' network: 'inc' }"))
          .hasMessageContaining("a report_interval must be provided if report_net is set");
      assertThatThrownBy(
              () ->
                  PlanExecutor.run(
                      Defs.plan(
                          "name: 'd' network { name: 'n' }"
                              + " network { name: 'n' } execution_step { network: 'n' }"),
                      ws))
          .hasMessage("plan 'd' contains two networks named 'n'");
    }
  }

  @Test
  void netConstructionErrorsNameTheStep() {
    try (Workspace ws = workspace()) {
      assertThatThrownBy(() -> run(ws, "execution_step { name: 's' network: 'inc' }"))
          .isInstanceOf(PlanException.class)
          .hasMessage(
              "plan 'p', step 's': cannot create net 'inc': operator AddTo (index 0) in net"
                  + " 'inc': input 0 'x' does not exist in the workspace (Caffe2: Encountered a"
                  + " non-existing input blob)");
    }
  }

  @Test
  void shouldStopBlobOfTheWrongTypeIsAnError() {
    try (Workspace ws = workspace()) {
      run(ws, "execution_step { network: 'init' }");
      assertThatThrownBy(
              () ->
                  run(ws, "execution_step { name: 's' should_stop_blob: 'x'" + " network: 'inc' }"))
          .hasMessageContaining(
              "should_stop_blob 'x' must hold a bool tensor of one element, found"
                  + " Tensor[int64 []]");
    }
  }

  @Test
  void failingNetFailsThePlanWithStepNetAndOperator() {
    try (Workspace ws = workspace()) {
      assertThatThrownBy(
              () ->
                  run(
                      ws,
                      "execution_step { name: 'outer'"
                          + " substep { name: 'bad' network: 'fail' } }"))
          .isInstanceOf(PlanException.class)
          .hasMessage(
              "plan 'p', step 'outer/bad': net 'fail': operator Fail (index 0, name 'f')"
                  + " failed: boom on purpose")
          .hasCauseInstanceOf(OperatorRunException.class);
    }
  }

  @Test
  void concurrentSubstepsRunAtTheSameTime() {
    TestOperators.BARRIERS.put("plan-concurrent", new CyclicBarrier(2));
    try (Workspace ws = workspace()) {
      PlanExecutor.run(
          Defs.plan(
              "name: 'c'"
                  + " network { name: 'left' op { type: 'Await' output: 'l' arg { name: 'barrier' s: 'plan-concurrent' } } }"
                  + " network { name: 'right' op { type: 'Await' output: 'r' arg { name: 'barrier' s: 'plan-concurrent' } } }"
                  + " execution_step { name: 'both' concurrent_substeps: true num_iter: 3"
                  + "   substep { network: 'left' } substep { network: 'right' } }"),
          ws);
      assertThat(value(ws.blob("l").get())).isEqualTo(1);
    }
  }

  @Test
  void concurrentInstancesMultiplyTheThreads() {
    TestOperators.BARRIERS.put("plan-instances", new CyclicBarrier(3));
    try (Workspace ws = workspace()) {
      PlanExecutor.run(
          Defs.plan(
              "name: 'i'"
                  + " network { name: 'w' op { type: 'Await' name: 'w' arg { name: 'barrier' s: 'plan-instances' }"
                  + "   arg { name: 'log' s: 'plan-instances' } } }"
                  + " execution_step { name: 'many' num_concurrent_instances: 3"
                  + "   substep { name: 'one' create_workspace: true network: 'w' } }"),
          ws);
      assertThat(TestOperators.log("plan-instances")).hasSize(3);
    }
  }

  @Test
  void concurrentFailureReachesTheCallerAndStopsTheOtherSubsteps() {
    try (Workspace ws = workspace()) {
      ws.createBlob("never");
      assertThatThrownBy(
              () ->
                  run(
                      ws,
                      "execution_step { network: 'init' }"
                          + " execution_step { name: 'par' concurrent_substeps: true"
                          + "   substep { name: 'forever' should_stop_blob: 'never' network: 'inc' }"
                          + "   substep { name: 'bad' network: 'fail' } }"))
          .isInstanceOf(PlanException.class)
          .hasMessageStartingWith("plan 'p', step 'par/bad': net 'fail': operator Fail")
          .hasRootCauseMessage("operator Fail (index 0, name 'f') in net 'fail': boom on purpose");
    }
  }

  @Test
  void periodicSubstepRunsWhileTheStepRunsAndOnceAfter() {
    try (Workspace ws = workspace()) {
      ws.createBlob("done");
      PlanExecutor.run(
          Defs.plan(
              "name: 'r'"
                  + " network { name: 'spin' op { type: 'Log' arg { name: 'log' s: 'spin' } } }"
                  + " network { name: 'finish' op { type: 'SetBool' output: 'done' arg { name: 'value' i: 1 } }"
                  + "   op { type: 'Log' name: 'tick' arg { name: 'log' s: 'periodic' } } }"
                  + " execution_step { name: 'outer'"
                  + "   substep { name: 'work' should_stop_blob: 'done' network: 'spin' }"
                  + "   substep { name: 'timer' run_every_ms: 2 network: 'finish' } }"),
          ws);
      // 'work' only ends because 'timer' ran during the step; it runs once more at the end.
      assertThat(TestOperators.log("periodic").size()).isGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void reportNetRunsAtTheEndOfTheStep() {
    try (Workspace ws = workspace()) {
      PlanExecutor.run(
          Defs.plan(
              "name: 'rep' "
                  + NETS
                  + " network { name: 'report' op { type: 'Log' name: 'r' arg { name: 'log' s: 'report' } } }"
                  + " execution_step { network: 'init' }"
                  + " execution_step { name: 's' report_net: 'report' report_interval: 300 network: 'inc' num_iter: 2 }"),
          ws);
      assertThat(TestOperators.log("report")).containsExactly("r");
      assertThat(x(ws)).isEqualTo(2);
    }
  }

  @Test
  void reportFailuresAreLoggedNotThrown() {
    try (Workspace ws = workspace()) {
      run(
          ws,
          "execution_step { network: 'init' }"
              + " execution_step { name: 's' report_net: 'fail' report_interval: 300 network: 'inc' }");
      assertThat(x(ws)).isEqualTo(1);
    }
  }

  @Test
  void createWorkspaceGivesEachRunAFreshChild() {
    try (Workspace ws = workspace()) {
      Tensor nodeId = Tensor.allocate(DataType.INT32);
      nodeId.data().putInt(0, 2);
      ws.createBlob("NODE_ID").set(nodeId);
      ws.createBlob("gid");
      PlanExecutor.run(
          Defs.plan(
              "name: 'cw' "
                  + NETS
                  + " network { name: 'scratch' op { type: 'AddTo' input: 'x' output: 'tmp' }"
                  + "   op { type: 'Keep' input: 'GLOBAL_WORKSPACE_ID' output: 'gid' }"
                  + "   op { type: 'Closeable' arg { name: 'key' s: 'create_workspace' } } }"
                  + " execution_step { network: 'init' }"
                  + " execution_step { name: 'outer' num_iter: 2"
                  + "   substep { name: 'child' create_workspace: true network: 'scratch' } }"),
          ws);
      assertThat(ws.hasBlob("tmp")).isFalse();
      assertThat(ws.hasNet("scratch")).isFalse();
      // The net was built (and closed with its workspace) once per run of the step.
      assertThat(TestOperators.CLOSED.get("create_workspace")).hasValue(2);
      Tensor gid = (Tensor) ws.blob("gid").get();
      assertThat(gid.data().getInt(0)).isEqualTo((2 << 16) + 1);
    }
  }

  @Test
  void netsAreCreatedOnceAndPreexistingOnesAreRebuiltFromThePlan() {
    try (Workspace ws = workspace()) {
      ws.createBlob("x").set(TestOperators.int64(0));
      ws.createNet(
          Defs.net(
              "name: 'inc' op { type: 'AddTo' input: 'x' output: 'x' arg { name: 'add' i: 100 } }"));
      run(ws, "execution_step { network: 'init' } execution_step { network: 'inc' num_iter: 2 }");
      assertThat(x(ws)).isEqualTo(2);
      // Created in the workspace by the plan and reused afterwards.
      ws.runNet("inc");
      assertThat(x(ws)).isEqualTo(3);
    }
  }

  @Test
  void planWithoutStepsDoesNothing() {
    try (Workspace ws = workspace()) {
      PlanExecutor.run(Defs.plan("name: 'empty' " + NETS), ws);
      assertThat(ws.hasBlob("x")).isFalse();
    }
  }
}
