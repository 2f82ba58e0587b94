package dev.cortado.cpu.input;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.cortado.db.DbReader;
import dev.cortado.net.Net;
import dev.cortado.proto.Argument;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.workspace.Workspace;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** last_batch=drop|pad: epoch-exact reading, an epoch being one cycle of the reader's shard. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // a hang guard, not a timing assertion
class LastBatchTest {
  private static CortadoRuntime runtime;
  private Workspace ws;

  @BeforeAll
  static void runtime() {
    runtime = CortadoRuntime.create();
  }

  @AfterEach
  void close() {
    if (ws != null) {
      ws.close();
    }
  }

  private static Argument arg(String name, long value) {
    return Argument.newBuilder().setName(name).setI(value).build();
  }

  private Net net(
      int records, int shards, int shard, String lastBatch, int batch, int depth, int threads) {
    ws = runtime.newWorkspace();
    ws.createBlob("reader").set(new DbReader(Records.indexedDb(records), shards, shard));
    return ws.createNet(
        NetDef.newBuilder()
            .setName("read")
            .addOp(
                OperatorDef.newBuilder()
                    .setType("TensorProtosDBInput")
                    .addInput("reader")
                    .addOutput("index")
                    .addOutput("pair")
                    .addArg(arg("batch_size", batch))
                    .addArg(arg("no_prefetch", depth == 0 ? 1 : 0))
                    .addArg(arg("prefetch_depth", Math.max(depth, 1)))
                    .addArg(arg("decode_threads", threads))
                    .addArg(
                        Argument.newBuilder()
                            .setName("last_batch")
                            .setS(ByteString.copyFromUtf8(lastBatch))))
            .build());
  }

  private long[] run(Net net) {
    net.run();
    return Records.indices(ws.blob("index").tensor());
  }

  @ParameterizedTest(name = "depth {0}, threads {1}")
  @CsvSource({"1, 1", "0, 1", "4, 4"})
  void dropSkipsThePartialBatchAtEachEpochEnd(int depth, int threads) {
    Net net = net(10, 1, 0, "drop", 4, depth, threads);
    for (int epoch = 0; epoch < 3; epoch++) {
      assertThat(run(net)).containsExactly(0, 1, 2, 3);
      assertThat(run(net)).containsExactly(4, 5, 6, 7);
    }
    TensorProtosDbInput op = (TensorProtosDbInput) ws.getNet("read").operators().get(0);
    assertThat(op.metrics().get("records_dropped").longValue()).isGreaterThanOrEqualTo(4);
  }

  @ParameterizedTest(name = "depth {0}, threads {1}")
  @CsvSource({"1, 1", "0, 1", "4, 4"})
  void padRepeatsTheEpochsLastRecord(int depth, int threads) {
    Net net = net(10, 1, 0, "pad", 4, depth, threads);
    for (int epoch = 0; epoch < 3; epoch++) {
      assertThat(run(net)).containsExactly(0, 1, 2, 3);
      assertThat(run(net)).containsExactly(4, 5, 6, 7);
      assertThat(run(net)).containsExactly(8, 9, 9, 9);
      float[] pair = new float[8];
      ws.blob("pair").tensor().data().asFloatBuffer().get(pair);
      assertThat(pair).containsExactly(8, -8, 9, -9, 9, -9, 9, -9);
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"drop", "pad"})
  void anEpochIsOneCycleOfTheShard(String mode) {
    // 10 records, 3 shards, shard 0: 0, 3, 6, 9, then again.
    Net net = net(10, 3, 0, mode, 3, 1, 1);
    for (int epoch = 0; epoch < 3; epoch++) {
      assertThat(run(net)).containsExactly(0, 3, 6);
      if (mode.equals("pad")) {
        assertThat(run(net)).containsExactly(9, 9, 9);
      }
    }
  }

  @ParameterizedTest(name = "depth {0}")
  @CsvSource({"1", "0"})
  void dropWithAnEpochShorterThanTheBatchIsAnError(int depth) {
    Net net = net(3, 1, 0, "drop", 4, depth, 1);
    assertThatThrownBy(net::run)
        .hasMessageContaining("last_batch=drop")
        .hasMessageContaining("holds only 3 records, fewer than batch_size 4");
  }

  @ParameterizedTest(name = "depth {0}")
  @CsvSource({"1", "0"})
  void padWithAnEpochShorterThanTheBatchPadsEveryBatch(int depth) {
    Net net = net(3, 1, 0, "pad", 4, depth, 1);
    for (int i = 0; i < 3; i++) {
      assertThat(run(net)).containsExactly(0, 1, 2, 2);
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"drop", "pad"})
  void cannotBeCombinedWithShuffle(String mode) {
    ws = runtime.newWorkspace();
    ws.createBlob("reader").set(new DbReader(Records.indexedDb(3), 1, 0));
    assertThatThrownBy(
            () ->
                ws.createNet(
                    NetDef.newBuilder()
                        .setName("read")
                        .addOp(
                            OperatorDef.newBuilder()
                                .setType("TensorProtosDBInput")
                                .addInput("reader")
                                .addOutput("index")
                                .addOutput("pair")
                                .addArg(arg("batch_size", 2))
                                .addArg(arg("shuffle_buffer", 8))
                                .addArg(
                                    Argument.newBuilder()
                                        .setName("last_batch")
                                        .setS(ByteString.copyFromUtf8(mode))))
                        .build()))
        .hasMessageContaining("cannot be combined with shuffle_buffer");
  }
}
