package dev.cortado.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.db.Keys;
import dev.cortado.spark.LocalSpark.Rec;
import dev.cortado.spark.write.Manifest;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every backend to every backend through Spark: each output shard reopened by Cortado's own
 * DbReader holds keys in order, the shards are disjoint, their union is the input and every value
 * is the input's, byte for byte.
 */
class RoundTripTest {
  @TempDir Path tmp;

  /** Each backend once as the source and once as the target (the default build). */
  @TestFactory
  Stream<DynamicTest> eachBackendBothWays() {
    String[][] pairs = {
      {"lmdb", "rocksdb"}, {"rocksdb", "leveldb"}, {"leveldb", "minidb"}, {"minidb", "lmdb"}
    };
    List<DynamicTest> tests = new ArrayList<>();
    for (String[] p : pairs) {
      tests.add(DynamicTest.dynamicTest(p[0] + " -> " + p[1], () -> roundTrip(p[0], p[1])));
    }
    return tests.stream();
  }

  /** All 16 pairs ({@code -Pspark-full}). */
  @Tag("spark-full")
  @TestFactory
  Stream<DynamicTest> everyBackendPair() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String from : Fixtures.BACKENDS) {
      for (String to : Fixtures.BACKENDS) {
        tests.add(DynamicTest.dynamicTest(from + " -> " + to, () -> roundTrip(from, to)));
      }
    }
    return tests.stream();
  }

  private void roundTrip(String from, String to) throws Exception {
    SparkSession spark = LocalSpark.get();
    Path source = Fixtures.db("all-dtypes", from, tmp.resolve("in-" + from + "-" + to));
    Map<String, byte[]> input = new HashMap<>();
    for (Rec r : LocalSpark.readWithDbReader(from, source.toString())) {
      input.put(r.keyHex(), r.value());
    }
    Path out = tmp.resolve("out-" + from + "-" + to);
    Dataset<Row> df =
        spark.read().format("tensorprotos").option("value_format", "raw").load(source.toString());
    df.write()
        .format("tensorprotos")
        .option("num_shards", "3")
        .option("db_type", to)
        .save(out.toString());

    assertThat(out.resolve("_SUCCESS")).exists();
    assertThat(out.resolve("_temporary")).doesNotExist();
    Manifest manifest = Manifest.read(out.resolve("_manifest.json"));
    assertThat(manifest.num_shards).isEqualTo(3);
    assertThat(manifest.records).isEqualTo(input.size());
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      String name = String.format("shard-%05d-of-00003", i);
      Path shard = out.resolve(name);
      assertThat(shard).exists();
      Manifest.Shard entry = manifest.shards.get(i);
      assertThat(entry.name).isEqualTo(name);
      assertThat(entry.db_type).isEqualTo(to);
      List<Rec> records = LocalSpark.readWithDbReader(to, shard.toString());
      assertThat(entry.records).isEqualTo(records.size());
      byte[] previous = null;
      for (Rec r : records) {
        byte[] key = java.util.HexFormat.of().parseHex(r.keyHex());
        if (previous != null) {
          assertThat(Arrays.compareUnsigned(previous, key))
              .as("shard %s sorted at %s", name, Keys.describe(key))
              .isLessThan(0);
        }
        previous = key;
        assertThat(seen.add(r.keyHex())).as("key %s in one shard only", r.keyHex()).isTrue();
        assertThat(r.value()).as("value of %s", r.keyHex()).isEqualTo(input.get(r.keyHex()));
      }
      if (!records.isEmpty()) {
        assertThat(entry.first_key_hex).isEqualTo(records.get(0).keyHex());
        assertThat(entry.last_key_hex).isEqualTo(records.get(records.size() - 1).keyHex());
        assertThat(entry.schema).startsWith("FLOAT[2,3] INT32[4] BYTE[5] STRING[3]");
      }
    }
    assertThat(seen).isEqualTo(input.keySet());
  }

  static ByteBuffer wrap(byte[] b) {
    return ByteBuffer.wrap(b);
  }
}
