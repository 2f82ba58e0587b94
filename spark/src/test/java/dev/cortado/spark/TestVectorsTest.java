package dev.cortado.spark;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.cortado.db.testkit.FixtureFiles;
import dev.cortado.db.testkit.TestData;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every shared test vector read through the connector, with the db_type detected from the files:
 * keys in the backend's order, each tensor's dtype, shape and element bytes (the expectations'
 * batch-size-1 hashes), each raw value's hash, and the records num_shards/shard_id give.
 */
class TestVectorsTest {
  @TempDir Path tmp;

  @TestFactory
  Stream<DynamicTest> everyDatasetAndBackend() throws Exception {
    List<DynamicTest> tests = new ArrayList<>();
    for (String dataset : FixtureFiles.DATASETS) {
      JsonObject e =
          JsonParser.parseString(
                  Files.readString(TestData.root().resolve(dataset).resolve("expectations.json")))
              .getAsJsonObject();
      for (JsonElement g : e.getAsJsonArray("groups")) {
        JsonObject group = g.getAsJsonObject();
        for (JsonElement d : group.getAsJsonArray("dbs")) {
          String backend = d.getAsJsonObject().get("backend").getAsString();
          tests.add(
              DynamicTest.dynamicTest(
                  dataset + " " + backend, () -> check(dataset, backend, e, group)));
        }
      }
    }
    return tests.stream();
  }

  private void check(String dataset, String backend, JsonObject e, JsonObject group)
      throws Exception {
    SparkSession spark = LocalSpark.get();
    Path db = Fixtures.db(dataset, backend, tmp.resolve(backend));
    JsonArray records = e.getAsJsonArray("records");
    JsonArray readOrder = group.getAsJsonArray("read_order");

    List<Row> rows = spark.read().format("tensorprotos").load(db.toString()).collectAsList();
    assertThat(rows).hasSize(readOrder.size());
    JsonObject unsharded = run(group, 1, 1, 0);
    JsonArray batches = unsharded.getAsJsonArray("batches");
    for (int i = 0; i < rows.size(); i++) {
      JsonObject record = records.get(readOrder.get(i).getAsInt()).getAsJsonObject();
      Row row = rows.get(i);
      String key = HexFormat.of().formatHex((byte[]) row.get(0));
      assertThat(key).as("key #%d", i).isEqualTo(record.get("key_hex").getAsString());
      List<Row> tensors = row.getList(1);
      JsonArray outputs = batches.get(i).getAsJsonObject().getAsJsonArray("outputs");
      assertThat(tensors).hasSize(outputs.size());
      for (int j = 0; j < tensors.size(); j++) {
        JsonObject expected = outputs.get(j).getAsJsonObject();
        Row t = tensors.get(j);
        assertThat(t.getString(1))
            .as("dtype of %s tensor %d", key, j)
            .isEqualTo(expected.get("dtype").getAsString());
        List<Long> dims = new ArrayList<>();
        dims.add(1L);
        dims.addAll(t.getList(2));
        List<Long> shape = new ArrayList<>();
        expected.getAsJsonArray("shape").forEach(x -> shape.add(x.getAsLong()));
        assertThat(dims).as("shape of %s tensor %d", key, j).isEqualTo(shape);
        assertThat(sha256(t))
            .as("bytes of %s tensor %d", key, j)
            .isEqualTo(expected.get("sha256").getAsString());
      }
    }

    List<Row> raw =
        spark
            .read()
            .format("tensorprotos")
            .option("value_format", "raw")
            .load(db.toString())
            .collectAsList();
    for (int i = 0; i < raw.size(); i++) {
      JsonObject record = records.get(readOrder.get(i).getAsInt()).getAsJsonObject();
      byte[] value = (byte[]) raw.get(i).get(1);
      assertThat(value.length).isEqualTo(record.get("value_len").getAsInt());
      assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value)))
          .isEqualTo(record.get("value_sha256").getAsString());
    }

    if (dataset.equals("fmnist-mini") || dataset.equals("key-order")) {
      for (int shard = 0; shard < 3; shard++) {
        JsonObject r = run(group, 1, 3, shard);
        List<String> expectedKeys = new ArrayList<>();
        JsonArray shardBatches = r.getAsJsonArray("batches");
        for (int i = 0; i < r.get("cycle_length").getAsInt(); i++) {
          int index =
              shardBatches.get(i).getAsJsonObject().getAsJsonArray("records").get(0).getAsInt();
          expectedKeys.add(records.get(index).getAsJsonObject().get("key_hex").getAsString());
        }
        List<String> keys = new ArrayList<>();
        for (Row row :
            spark
                .read()
                .format("tensorprotos")
                .option("value_format", "raw")
                .option("num_shards", "3")
                .option("shard_id", String.valueOf(shard))
                .load(db.toString())
                .collectAsList()) {
          keys.add(HexFormat.of().formatHex((byte[]) row.get(0)));
        }
        assertThat(keys).as("shard %d of 3", shard).isEqualTo(expectedKeys);
      }
    }
  }

  private static JsonObject run(JsonObject group, int batchSize, int numShards, int shardId) {
    for (JsonElement r : group.getAsJsonArray("runs")) {
      JsonObject o = r.getAsJsonObject();
      if (o.get("batch_size").getAsInt() == batchSize
          && o.get("num_shards").getAsInt() == numShards
          && o.get("shard_id").getAsInt() == shardId) {
        return o;
      }
    }
    throw new AssertionError("no run " + batchSize + "/" + numShards + "/" + shardId);
  }

  /** The expectations' hash: element bytes, or for STRING a uint32 LE length before each. */
  static String sha256(Row tensor) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    if (tensor.getString(1).equals("STRING")) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (Object s : tensor.getList(4)) {
        byte[] b = (byte[]) s;
        out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
        out.write(b);
      }
      return HexFormat.of().formatHex(sha.digest(out.toByteArray()));
    }
    return HexFormat.of().formatHex(sha.digest((byte[]) tensor.get(3)));
  }
}
