package dev.cortado.workspace;

import static dev.cortado.operator.TestOperators.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.net.Net;
import dev.cortado.operator.Blob;
import dev.cortado.operator.Defs;
import dev.cortado.operator.OperatorRegistry;
import dev.cortado.operator.OperatorRunException;
import dev.cortado.operator.Services;
import dev.cortado.operator.TestOperators;
import dev.cortado.runtime.DeviceTensors;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WorkspaceTest {
  static final OperatorRegistry REGISTRY = new OperatorRegistry(List.of(new TestOperators()));

  static Workspace workspace() {
    return new Workspace(REGISTRY, Services.none());
  }

  /** Counts its closes. */
  static final class Resource implements AutoCloseable {
    final AtomicInteger closes = new AtomicInteger();

    @Override
    public void close() {
      closes.incrementAndGet();
    }
  }

  @Test
  void blobsAreCreatedOnceAndHoldAnything() {
    try (Workspace ws = workspace()) {
      Blob a = ws.createBlob("a");
      assertThat(ws.createBlob("a")).isSameAs(a);
      assertThat(a.isEmpty()).isTrue();
      a.set("text");
      assertThat(a.get(String.class)).isEqualTo("text");
      assertThatThrownBy(() -> a.get(Tensor.class))
          .isInstanceOf(dev.cortado.operator.BlobException.class)
          .hasMessage("blob 'a' holds String, expected Tensor");
      assertThatThrownBy(() -> ws.blob("zz"))
          .hasMessageContaining("no blob named 'zz'; blobs: [a]");
      assertThat(ws.getBlob("zz")).isNull();
      assertThat(ws.hasBlob("a")).isTrue();
    }
  }

  @Test
  void replacingOrRemovingACloseableValueClosesIt() {
    try (Workspace ws = workspace()) {
      Resource r1 = new Resource();
      Resource r2 = new Resource();
      Blob b = ws.createBlob("r");
      b.set(r1);
      b.set(r1);
      assertThat(r1.closes).hasValue(0);
      b.set(r2);
      assertThat(r1.closes).hasValue(1);
      ws.removeBlob("r");
      assertThat(r2.closes).hasValue(1);
      assertThat(ws.removeBlob("r")).isFalse();
    }
  }

  @Test
  void closeClosesBlobValuesAndNetsOnceAndForAll() {
    Resource r = new Resource();
    Workspace ws = workspace();
    ws.createBlob("reader").set(r);
    ws.createNet(Defs.net("name: 'n' op { type: 'Closeable' arg { name: 'key' s: 'ws-close' } }"));
    ws.close();
    ws.close();
    assertThat(r.closes).hasValue(1);
    assertThat(TestOperators.CLOSED.get("ws-close")).hasValue(1);
    assertThat(ws.isClosed()).isTrue();
    assertThatThrownBy(() -> ws.createBlob("x")).hasMessage("the workspace is closed");
  }

  @Test
  void childSeesParentBlobsButKeepsItsOwn() {
    try (Workspace parent = workspace()) {
      parent.createBlob("p").set("parent");
      Workspace child = parent.createChild();
      assertThat(child.parent()).isSameAs(parent);
      assertThat(child.blob("p").get()).isEqualTo("parent");
      assertThat(child.createBlob("p")).isSameAs(parent.blob("p"));
      child.createBlob("c").set("child");
      assertThat(parent.hasBlob("c")).isFalse();
      Blob local = child.createLocalBlob("p");
      assertThat(local).isNotSameAs(parent.blob("p"));
      assertThat(child.blobNames()).containsExactly("c", "p");
      assertThat(child.localBlobNames()).containsExactly("c", "p");
      child.close();
      assertThat(parent.blob("p").get()).isEqualTo("parent");
    }
  }

  @Test
  void renameMovesTheValue() {
    try (Workspace ws = workspace()) {
      ws.createBlob("a").set("v");
      ws.createBlob("b");
      assertThatThrownBy(() -> ws.renameBlob("a", "b")).hasMessageContaining("exists");
      assertThatThrownBy(() -> ws.renameBlob("x", "y")).hasMessageContaining("no such local blob");
      Blob c = ws.renameBlob("a", "c");
      assertThat(c.get()).isEqualTo("v");
      assertThat(ws.hasBlob("a")).isFalse();
    }
  }

  @Test
  void netsByName() {
    try (Workspace ws = workspace()) {
      Net n =
          ws.createNet(
              Defs.net("name: 'n' op { type: 'Const' output: 'x' arg { name: 'value' i: 7 } }"));
      assertThat(ws.getNet("n")).isSameAs(n);
      assertThat(ws.netNames()).containsExactly("n");
      ws.runNet("n");
      assertThat(value(ws.blob("x").get())).isEqualTo(7);
      assertThatThrownBy(() -> ws.createNet(Defs.net("name: 'n'")))
          .hasMessageContaining("net 'n' already exists");
      assertThatThrownBy(() -> ws.runNet("m")).hasMessage("no net named 'm'; nets: [n]");
      assertThatThrownBy(() -> ws.createNet(Defs.net("op { type: 'Const' output: 'x' }")))
          .hasMessageContaining("needs a name");
      assertThat(ws.deleteNet("n")).isTrue();
      assertThat(ws.deleteNet("n")).isFalse();
    }
  }

  @Test
  void overwritingANetClosesTheOldOneFirst() {
    try (Workspace ws = workspace()) {
      String def = "name: 'n' op { type: 'Closeable' arg { name: 'key' s: 'overwrite' } }";
      ws.createNet(Defs.net(def));
      ws.createNet(Defs.net(def), true);
      assertThat(TestOperators.CLOSED.get("overwrite")).hasValue(1);
    }
  }

  @Test
  void runNetOnceAndRunOperatorOnce() {
    try (Workspace ws = workspace()) {
      ws.runNetOnce(
          Defs.net(
              "op { type: 'Const' output: 'x' arg { name: 'value' i: 3 } }"
                  + " op { type: 'AddTo' input: 'x' output: 'x' arg { name: 'add' i: 2 } }"));
      assertThat(value(ws.blob("x").get())).isEqualTo(5);
      ws.runOperatorOnce(Defs.op("type: 'AddTo' input: 'x' output: 'y' arg { name: 'add' i: 1 }"));
      assertThat(value(ws.blob("y").get())).isEqualTo(6);
      assertThat(ws.netNames()).isEmpty();
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      Defs.op("type: 'Fail' name: 'f' arg { name: 'why' s: 'now' }")))
          .isInstanceOf(OperatorRunException.class)
          .hasMessage("operator Fail (name 'f') failed: boom now");
    }
  }

  @Test
  void deviceTensorsPassHostTensorsAndNameOtherClasses() {
    Tensor t = Tensor.allocate(DataType.FLOAT, 2);
    assertThat(DeviceTensors.toHost(t)).isSameAs(t);
    assertThatThrownBy(() -> DeviceTensors.toHost("a string"))
        .hasMessageContaining("java.lang.String is not a tensor");
    assertThatThrownBy(() -> DeviceTensors.toHost(null)).hasMessageContaining("empty blob");
  }
}
