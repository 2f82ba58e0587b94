package dev.cortado.cpu;

import static dev.cortado.cpu.CpuTesting.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.TextFormat;
import dev.cortado.plan.PlanExecutor;
import dev.cortado.proto.Argument;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.proto.PlanDef;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorDigest;
import dev.cortado.workspace.Workspace;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The examples/ graphs run and give the batches the shared expectations list; simple and dag nets
 * give identical digests.
 */
class ExamplesTest {
  static final Path EXAMPLES = Path.of("").toAbsolutePath().getParent().resolve("examples");
  static final Path FMNIST = Path.of(System.getProperty("cortado.testdata")).resolve("fmnist-mini");

  static <T extends com.google.protobuf.Message> T read(
      String file, com.google.protobuf.Message.Builder b) throws IOException {
    TextFormat.merge(Files.readString(EXAMPLES.resolve(file)), b);
    @SuppressWarnings("unchecked")
    T t = (T) b.build();
    return t;
  }

  /** Points every CreateDB at the shared fmnist-mini minidb by absolute path. */
  static NetDef withAbsoluteDb(NetDef net) {
    NetDef.Builder b = net.toBuilder();
    for (OperatorDef.Builder op : b.getOpBuilderList()) {
      if (op.getType().equals("CreateDB")) {
        for (Argument.Builder a : op.getArgBuilderList()) {
          if (a.getName().equals("db")) {
            assertThat(a.getS().toStringUtf8())
                .isEqualTo("testdata/fmnist-mini/fmnist-mini.minidb");
            a.setS(
                com.google.protobuf.ByteString.copyFromUtf8(
                    FMNIST.resolve("fmnist-mini.minidb").toString()));
          }
        }
      }
    }
    return b.build();
  }

  /**
   * sha256 of output {@code out} of the unsharded batch-size-64 run's batches, from
   * expectations.json.
   */
  static List<String> expectedDigests(int out) throws IOException {
    JsonObject root =
        JsonParser.parseString(Files.readString(FMNIST.resolve("expectations.json")))
            .getAsJsonObject();
    for (var g : root.getAsJsonArray("groups")) {
      for (var r : g.getAsJsonObject().getAsJsonArray("runs")) {
        JsonObject run = r.getAsJsonObject();
        if (run.get("batch_size").getAsInt() == 64 && run.get("num_shards").getAsInt() == 1) {
          List<String> digests = new ArrayList<>();
          JsonArray batches = run.getAsJsonArray("batches");
          for (var batch : batches) {
            digests.add(
                batch
                    .getAsJsonObject()
                    .getAsJsonArray("outputs")
                    .get(out)
                    .getAsJsonObject()
                    .get("sha256")
                    .getAsString());
          }
          return digests;
        }
      }
    }
    throw new AssertionError("no batch_size 64 run in expectations.json");
  }

  @Test
  void mnistInputPlanRunsTheTutorialPipeline() throws IOException {
    PlanDef plan = read("mnist-input-plan.pbtxt", PlanDef.newBuilder());
    PlanDef.Builder b = plan.toBuilder();
    b.setNetwork(0, withAbsoluteDb(plan.getNetwork(0)));
    List<String> images = expectedDigests(0);
    List<String> labels = expectedDigests(1);
    try (Workspace ws = workspace()) {
      PlanExecutor.run(b.build(), ws);
      // 8 runs of 64 over 256 records: the last batch is batch 7 = batch 3 of the cycle.
      Tensor uint8 = ws.blob("data_uint8").tensor();
      assertThat(TensorDigest.sha256Hex(uint8)).isEqualTo(images.get(3));
      assertThat(TensorDigest.sha256Hex(ws.blob("label").tensor())).isEqualTo(labels.get(3));
      Tensor data = ws.blob("data").tensor();
      assertThat(data.dataType()).isEqualTo(DataType.FLOAT);
      assertThat(data.dims()).containsExactly(64, 1, 28, 28);
      ByteBuffer px = uint8.data();
      ByteBuffer f = data.data();
      for (int i = 0; i < data.numel(); i++) {
        assertThat(f.getFloat(i * 4)).isEqualTo((px.get(i) & 0xFF) * 0.00390625f);
      }
    }
  }

  @Test
  void readNetsGiveTheExpectedBatchesWithSimpleAndDagExecutors() throws IOException {
    NetDef init = withAbsoluteDb(read("read-init.pbtxt", NetDef.newBuilder()));
    NetDef readNet = read("read-net.pbtxt", NetDef.newBuilder());
    List<String> images = expectedDigests(0);
    List<String> labels = expectedDigests(1);
    for (String type : List.of("simple", "dag")) {
      try (Workspace ws = workspace()) {
        ws.runNetOnce(init);
        ws.createNet(readNet.toBuilder().setType(type).setNumWorkers(2).build());
        for (int r = 0; r < images.size(); r++) {
          ws.runNet("read");
          assertThat(TensorDigest.sha256Hex(ws.blob("image").tensor()))
              .as(type + " run " + r)
              .isEqualTo(images.get(r));
          assertThat(TensorDigest.sha256Hex(ws.blob("label").tensor())).isEqualTo(labels.get(r));
        }
      }
    }
  }

  @Test
  void simpleAndDagGiveIdenticalDigestsOnIndependentBranches() {
    String branches =
        " op { type: 'GivenTensorFill' output: 'a' arg { name: 'shape' ints: 4 }"
            + "   arg { name: 'values' floats: 1 floats: 2 floats: 3 floats: 4 } }"
            + " op { type: 'ConstantFill' output: 'b' arg { name: 'shape' ints: 4 } arg { name: 'value' f: 0.5 } }"
            + " op { type: 'Scale' input: 'a' output: 'a2' arg { name: 'scale' f: 3 } }"
            + " op { type: 'Mul' input: 'b' input: 'b' output: 'b2' }"
            + " op { type: 'Cast' input: 'a2' output: 'a3' arg { name: 'to' i: 10 } }"
            + " op { type: 'Add' input: 'a2' input: 'b2' output: 's' }"
            + " op { type: 'Sum' input: 's' input: 'a2' input: 'b' output: 's' }"
            + " op { type: 'StopGradient' input: 's' output: 'out' }";
    List<String> digests = new ArrayList<>();
    for (String type : List.of("simple", "dag", "async_scheduling")) {
      try (Workspace ws = workspace()) {
        ws.createNet(net("name: 'n' type: '" + type + "' num_workers: 3" + branches));
        ws.runNet("n");
        ws.runNet("n");
        digests.add(
            TensorDigest.sha256Hex(ws.blob("out").tensor())
                + "/"
                + TensorDigest.sha256Hex(ws.blob("a3").tensor()));
      }
    }
    assertThat(digests).hasSize(3).containsOnly(digests.get(0));
    try (Workspace ws = workspace()) {
      ws.createNet(net("name: 'n'" + branches));
      ws.runNet("n");
      assertThat(floatsOf(ws.blob("out").tensor())).containsExactly(6.75f, 12.75f, 18.75f, 24.75f);
    }
  }
}
