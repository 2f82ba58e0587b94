package dev.cortado.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every record of every shared dataset (minidb copies): both decoders agree byte for byte, each
 * record's tensors hash as expectations.json says, and every batch of every minidb run (batch sizes
 * 1, 7, 64; unsharded and 3 shards) assembled by {@link BatchAssembler} hashes as expected.
 */
class DatasetDecodeTest {
  static List<String> datasets() {
    return TestData.DATASETS;
  }

  @ParameterizedTest
  @MethodSource("datasets")
  void bothDecodersAgreeOnEveryRecord(String dataset) {
    List<TestData.Record> records = TestData.records(dataset);
    JsonObject exp = TestData.expectations(dataset);
    assertThat(records).hasSize(exp.get("num_records").getAsInt());
    Differential diff = new Differential();
    for (TestData.Record r : records) {
      assertThat(diff.check(r.value())).as(r.keyString()).isEqualTo(Differential.Outcome.ACCEPTED);
    }
  }

  @ParameterizedTest
  @MethodSource("datasets")
  void eachRecordHashesAsExpectedWithBothDecoders(String dataset) {
    List<TestData.Record> records = TestData.records(dataset);
    JsonObject run = minidbRun(dataset, 1, 1, 0);
    TensorProtosDecoder decoder = new TensorProtosDecoder();
    int checked = 0;
    for (JsonElement batch : run.getAsJsonArray("batches")) {
      int index = batch.getAsJsonObject().getAsJsonArray("records").get(0).getAsInt();
      TestData.Record r = records.get(index);
      List<Tensor> ref = TensorProtoCodec.decodeRecord(ByteBuffer.wrap(r.value()), r.keyString());
      List<Tensor> str = decoder.decode(ByteBuffer.wrap(r.value()), r.keyString());
      var outputs = batch.getAsJsonObject().getAsJsonArray("outputs");
      assertThat(ref).hasSize(outputs.size());
      for (int j = 0; j < outputs.size(); j++) {
        JsonObject o = outputs.get(j).getAsJsonObject();
        long[] shape = TestData.longs(o.get("shape"));
        for (Tensor t : List.of(ref.get(j), str.get(j))) {
          assertThat(t.dataType().name())
              .as("record %d output %d", index, j)
              .isEqualTo(o.get("dtype").getAsString());
          assertThat(Shapes.prepend(1, t.dims())).isEqualTo(shape);
          assertThat(TensorDigest.sha256Hex(t))
              .as("record %d output %d", index, j)
              .isEqualTo(o.get("sha256").getAsString());
        }
      }
      checked++;
    }
    assertThat(checked).isGreaterThanOrEqualTo(records.size());
  }

  @ParameterizedTest
  @MethodSource("datasets")
  void everyMinidbRunAssemblesToTheExpectedBatches(String dataset) {
    List<TestData.Record> records = TestData.records(dataset);
    int batches = 0;
    for (JsonObject run : minidbRuns(dataset)) {
      for (JsonElement be : run.getAsJsonArray("batches")) {
        JsonObject batch = be.getAsJsonObject();
        List<ByteBuffer> values = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (JsonElement i : batch.getAsJsonArray("records")) {
          TestData.Record r = records.get(i.getAsInt());
          values.add(ByteBuffer.wrap(r.value()));
          keys.add(r.keyString());
        }
        var outputs = batch.getAsJsonArray("outputs");
        List<Tensor> got = BatchAssembler.assemble(values, keys, outputs.size());
        for (int j = 0; j < outputs.size(); j++) {
          JsonObject o = outputs.get(j).getAsJsonObject();
          Tensor t = got.get(j);
          assertThat(t.dataType().name()).isEqualTo(o.get("dtype").getAsString());
          assertThat(t.dims()).isEqualTo(TestData.longs(o.get("shape")));
          assertThat(TensorDigest.sha256Hex(t))
              .as("%s batch %s output %d", dataset, batch.get("records"), j)
              .isEqualTo(o.get("sha256").getAsString());
        }
        batches++;
      }
    }
    assertThat(batches).isPositive();
  }

  static List<JsonObject> minidbRuns(String dataset) {
    JsonObject exp = TestData.expectations(dataset);
    for (JsonElement g : exp.getAsJsonArray("groups")) {
      for (JsonElement db : g.getAsJsonObject().getAsJsonArray("dbs")) {
        if (db.getAsJsonObject().get("backend").getAsString().equals("minidb")) {
          List<JsonObject> runs = new ArrayList<>();
          g.getAsJsonObject().getAsJsonArray("runs").forEach(r -> runs.add(r.getAsJsonObject()));
          return runs;
        }
      }
    }
    throw new AssertionError(dataset + " has no minidb group");
  }

  static JsonObject minidbRun(String dataset, int batchSize, int shards, int shard) {
    for (JsonObject run : minidbRuns(dataset)) {
      if (run.get("batch_size").getAsInt() == batchSize
          && run.get("num_shards").getAsInt() == shards
          && run.get("shard_id").getAsInt() == shard) {
        return run;
      }
    }
    throw new AssertionError(dataset + " has no run " + batchSize + "/" + shards + "/" + shard);
  }
}
