package dev.cortado.net;

import static dev.cortado.operator.TestOperators.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.operator.Defs;
import dev.cortado.operator.OperatorRegistry;
import dev.cortado.operator.OperatorRunException;
import dev.cortado.operator.Services;
import dev.cortado.operator.TestOperators;
import dev.cortado.proto.NetDef;
import dev.cortado.workspace.Workspace;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NetTest {
  static final OperatorRegistry REGISTRY = new OperatorRegistry(List.of(new TestOperators()));

  static Workspace workspace() {
    return new Workspace(REGISTRY, Services.none());
  }

  /** Two independent chains that meet in a final sum; every op writes fresh blobs. */
  static String branches(String type) {
    return "name: 'b' type: '"
        + type
        + "' num_workers: 4"
        + " op { type: 'Const' output: 'a' arg { name: 'value' i: 1 } }"
        + " op { type: 'Const' output: 'b' arg { name: 'value' i: 10 } }"
        + " op { type: 'AddTo' input: 'a' output: 'a2' arg { name: 'add' i: 2 } }"
        + " op { type: 'AddTo' input: 'b' output: 'b2' arg { name: 'add' i: 20 } }"
        + " op { type: 'AddTo' input: 'a2' input: 'b2' output: 'sum' }"
        + " op { type: 'AddTo' input: 'sum' output: 'sum' arg { name: 'add' i: 100 } }";
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "simple",
        "async_simple",
        "rnn",
        "dag",
        "async_scheduling",
        "async_polling",
        "async_dag",
        "prof_dag"
      })
  void everyNetTypeGivesTheSameBlobs(String type) {
    try (Workspace ws = workspace()) {
      Net net = ws.createNet(Defs.net(branches(type)));
      assertThat(net.type()).isEqualTo(type);
      for (int i = 0; i < 3; i++) {
        net.run();
      }
      assertThat(value(ws.blob("sum").get())).isEqualTo(1 + 2 + 10 + 20 + 100);
      assertThat(value(ws.blob("a2").get())).isEqualTo(3);
    }
  }

  @Test
  @Timeout(30)
  void dagRunsIndependentBranchesConcurrently() {
    // Each Await waits at a barrier of two parties: both must be running at the same time or
    // the barrier breaks (after 20 s) and the op fails. A sequential executor cannot pass.
    TestOperators.BARRIERS.put("overlap", new CyclicBarrier(2));
    try (Workspace ws = workspace()) {
      ws.createNet(
          Defs.net(
              "name: 'd' type: 'dag' num_workers: 2"
                  + " op { type: 'Await' output: 'x' arg { name: 'barrier' s: 'overlap' } }"
                  + " op { type: 'Await' output: 'y' arg { name: 'barrier' s: 'overlap' } }"
                  + " op { type: 'AddTo' input: 'x' input: 'y' output: 'z' }"));
      ws.runNet("d");
      ws.runNet("d");
      assertThat(value(ws.blob("z").get())).isEqualTo(2);
    }
  }

  @Test
  void dependenciesFollowBlobNamesAndControlInputs() {
    NetDef def =
        Defs.net(
            "op { input: 'x' output: 'y' }" // 0 reads x
                + " op { output: 'x' }" // 1 writes x: WAR on 0
                + " op { output: 'x' }" // 2 WAW on 1
                + " op { input: 'x' output: 'z' }" // 3 RAW on 2
                + " op { output: 'w' control_input: 'y' }" // 4 control on 0
                + " op { output: 'v' }"); // 5 independent
    List<Set<Integer>> deps = DagNet.dependencies(def);
    assertThat(deps.get(0)).isEmpty();
    assertThat(deps.get(1)).containsExactly(0);
    assertThat(deps.get(2)).containsExactly(1);
    assertThat(deps.get(3)).containsExactly(2);
    assertThat(deps.get(4)).containsExactly(0);
    assertThat(deps.get(5)).isEmpty();
  }

  @Test
  void dagKeepsReadWriteOrderBetweenDependentOps() {
    try (Workspace ws = workspace()) {
      ws.createBlob("seed");
      ws.createNet(
          Defs.net(
              "name: 'o' type: 'dag' num_workers: 4"
                  + " op { type: 'Log' name: 'first' output: 'x' arg { name: 'log' s: 'order' } }"
                  + " op { type: 'Log' name: 'second' input: 'x' output: 'y' arg { name: 'log' s: 'order' } }"
                  + " op { type: 'Log' name: 'third' output: 'x' control_input: 'y'"
                  + "      arg { name: 'log' s: 'order' } }"));
      for (int i = 0; i < 20; i++) {
        ws.runNet("o");
      }
      List<String> log = TestOperators.log("order");
      for (int i = 0; i < 20; i++) {
        assertThat(log.subList(3 * i, 3 * i + 3)).containsExactly("first", "second", "third");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"simple", "dag"})
  void failingOperatorStopsTheNetNamingNetOperatorAndCause(String type) {
    try (Workspace ws = workspace()) {
      ws.createNet(
          Defs.net(
              "name: 'train' type: '"
                  + type
                  + "' num_workers: 1"
                  + " op { type: 'Const' output: 'a' }"
                  + " op { type: 'Fail' name: 'bad' input: 'a' output: 'b' arg { name: 'why' s: 'here' } }"
                  + " op { type: 'Log' name: 'after' input: 'b' output: 'c' arg { name: 'log' s: 'fail-"
                  + type
                  + "' } }"));
      assertThatThrownBy(() -> ws.runNet("train"))
          .isInstanceOf(OperatorRunException.class)
          .hasMessage("net 'train': operator Fail (index 1, name 'bad') failed: boom here")
          .hasCauseInstanceOf(dev.cortado.operator.OperatorException.class);
      assertThat(TestOperators.log("fail-" + type)).isEmpty();
    }
  }

  @Test
  @Timeout(30)
  void dagDoesNotHangWhenAPrefetchingInputFeedsLaterOps() {
    try (Workspace ws = workspace()) {
      ws.createNet(
          Defs.net(
              "name: 'p' type: 'async_scheduling' num_workers: 1"
                  + " op { type: 'Producer' output: 'batch' }"
                  + " op { type: 'AddTo' input: 'batch' output: 'x' arg { name: 'add' i: 1 } }"
                  + " op { type: 'AddTo' input: 'batch' output: 'y' arg { name: 'add' i: 2 } }"));
      for (int i = 0; i < 50; i++) {
        ws.runNet("p");
        assertThat(value(ws.blob("x").get())).isEqualTo(i + 1);
        assertThat(value(ws.blob("y").get())).isEqualTo(i + 2);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"simple", "dag"})
  @Timeout(30)
  void closingANetUnblocksARunInProgress(String type) throws Exception {
    String key = "block-" + type;
    try (Workspace ws = workspace()) {
      Net net =
          ws.createNet(
              Defs.net(
                  "name: 'blk' type: '"
                      + type
                      + "'"
                      + " op { type: 'Block' arg { name: 'key' s: '"
                      + key
                      + "' } }"));
      java.util.concurrent.CompletableFuture<Throwable> outcome =
          new java.util.concurrent.CompletableFuture<>();
      Thread runner =
          new Thread(
              () -> {
                try {
                  net.run();
                  outcome.complete(null);
                } catch (Throwable t) {
                  outcome.complete(t);
                }
              });
      runner.start();
      while (TestOperators.log(key).isEmpty()) {
        Thread.onSpinWait();
      }
      net.close();
      assertThat(outcome.get())
          .isInstanceOf(OperatorRunException.class)
          .hasMessageContaining("closed while running");
      runner.join();
    }
  }

  @Test
  void deviceOptionIsInheritedOnlyByOpsWithoutOne() {
    try (Workspace ws = workspace()) {
      Net net =
          ws.createNet(
              Defs.net(
                  "name: 'dev' device_option { device_type: 0 random_seed: 7 }"
                      + " op { type: 'Const' output: 'a' }"
                      + " op { type: 'Const' output: 'b' device_option { device_id: 3 } }"));
      assertThat(net.def().getOp(0).getDeviceOption().getRandomSeed()).isEqualTo(7);
      assertThat(net.def().getOp(1).getDeviceOption().getRandomSeed()).isZero();
      assertThat(net.def().getOp(1).getDeviceOption().getDeviceId()).isEqualTo(3);
    }
  }

  @Test
  void nodeNameMustBeEmpty() {
    try (Workspace ws = workspace()) {
      assertThatThrownBy(
              () ->
                  ws.createNet(
                      Defs.net(
                          "name: 'n'"
                              + " op { type: 'Const' output: 'a' device_option { node_name: 'host1' } }")))
          .isInstanceOf(NetException.class)
          .hasMessageContaining("node_name 'host1'");
    }
  }

  @Test
  void externalInputsAreChecked() {
    try (Workspace ws = workspace()) {
      ws.createBlob("data");
      ws.createNet(
          Defs.net(
              "name: 'ok' external_input: 'data'"
                  + " op { type: 'AddTo' input: 'data' output: 'x' }"
                  + " op { type: 'AddTo' input: 'x' output: 'y' } external_output: 'y'"));
      assertThatThrownBy(
              () ->
                  ws.createNet(
                      Defs.net(
                          "name: 'bad' external_input: 'data'"
                              + " op { type: 'AddTo' input: 'x' output: 'y' }"
                              + " op { type: 'Const' output: 'x' }")))
          .isInstanceOf(NetException.class)
          .hasMessage(
              "net 'bad': source for input 'x' of operator AddTo (index 0) is unknown: it is"
                  + " neither an external_input nor an output of an earlier operator");
      assertThatThrownBy(
              () ->
                  ws.createNet(
                      Defs.net(
                          "name: 'out'"
                              + " op { type: 'Const' output: 'x' } external_output: 'nope'")))
          .hasMessageContaining("external_output 'nope' is neither an external_input nor produced");
    }
  }

  @Test
  void unknownNetTypeAndBadWorkerCountsAreErrors() {
    try (Workspace ws = workspace()) {
      assertThatThrownBy(() -> ws.createNet(Defs.net("name: 'u' type: 'fancy'")))
          .isInstanceOf(NetException.class)
          .hasMessageStartingWith("net 'u': unknown net type 'fancy'; known: [async_dag,");
      assertThatThrownBy(() -> ws.createNet(Defs.net("name: 'w' type: 'dag' num_workers: 0")))
          .hasMessageContaining("num_workers must be > 0 for a dag net, found 0");
      Net n =
          ws.createNet(
              Defs.net(
                  "name: 'a' type: 'async_scheduling' num_workers: 0"
                      + " op { type: 'Const' output: 'x' }"));
      assertThat(((DagNet) n).numWorkers()).isPositive();
      Net d = ws.createNet(Defs.net("name: 'd3' type: 'dag' num_workers: 3"));
      assertThat(((DagNet) d).numWorkers()).isEqualTo(3);
      d.run();
    }
  }

  @Test
  void constructionFailureClosesTheOperatorsBuiltSoFar() {
    try (Workspace ws = workspace()) {
      assertThatThrownBy(
              () ->
                  ws.createNet(
                      Defs.net(
                          "name: 'half'"
                              + " op { type: 'Closeable' arg { name: 'key' s: 'half' } }"
                              + " op { type: 'NoSuchOp' }")))
          .hasMessageContaining("unknown operator type 'NoSuchOp'");
      assertThat(TestOperators.CLOSED.get("half")).hasValue(1);
      assertThat(ws.hasNet("half")).isFalse();
    }
  }

  @Test
  void closedNetRefusesToRunAndClosesOperatorsOnce() {
    try (Workspace ws = workspace()) {
      Net n =
          ws.createNet(
              Defs.net(
                  "name: 'c' type: 'dag'"
                      + " op { type: 'Closeable' arg { name: 'key' s: 'dagclose' } }"));
      n.run();
      n.close();
      n.close();
      assertThat(TestOperators.CLOSED.get("dagclose")).hasValue(1);
      assertThatThrownBy(n::run).hasMessage("net 'c' is closed");
      assertThat(n.operators()).hasSize(1);
    }
  }

  @Test
  void duplicateNetArgumentsAreAnError() {
    try (Workspace ws = workspace()) {
      assertThatThrownBy(
              () ->
                  ws.createNet(
                      Defs.net("name: 'dup'" + " arg { name: 'a' i: 1 } arg { name: 'a' i: 1 }")))
          .hasMessage("net 'dup': argument 'a' is given twice");
    }
  }

  @Test
  void knownTypes() {
    assertThat(Nets.knownTypes())
        .contains("simple", "dag", "async_scheduling", "rnn")
        .doesNotContain("");
  }
}
