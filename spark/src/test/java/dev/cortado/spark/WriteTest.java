package dev.cortado.spark;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.spark.LocalSpark.Rec;
import dev.cortado.spark.write.Manifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writing: the save modes, Caffe2's byte layout from the tensors schema and from typed columns, the
 * manifest, and reading a written directory back (as a shard set, a glob, with splits).
 */
class WriteTest {
  @TempDir Path tmp;

  /** key hex -> value of every record of the fmnist-mini LMDB, read by DbReader. */
  private Map<String, byte[]> fmnist(Path lmdb) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (Rec r : LocalSpark.readWithDbReader("lmdb", lmdb.toString())) {
      out.put(r.keyHex(), r.value());
    }
    return out;
  }

  /** key hex -> value of every shard under {@code dir}, read by DbReader. */
  private static Map<String, byte[]> shards(Path dir, String dbType) throws Exception {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path shard :
          files.filter(p -> p.getFileName().toString().startsWith("shard-")).sorted().toList()) {
        for (Rec r : LocalSpark.readWithDbReader(dbType, shard.toString())) {
          assertThat(out.put(r.keyHex(), r.value())).as("duplicate key %s", r.keyHex()).isNull();
        }
      }
    }
    return out;
  }

  /** key hex -> value hex, sorted by key, so maps of records compare by content. */
  private static Map<String, String> hex(Map<String, byte[]> records) {
    Map<String, String> out = new TreeMap<>();
    records.forEach((k, v) -> out.put(k, HexFormat.of().formatHex(v)));
    return out;
  }

  private static List<String> names(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void tensorsAndTypedColumnsAreWrittenInCaffe2sLayout() throws Exception {
    SparkSession spark = LocalSpark.get();
    Path lmdb = Fixtures.db("fmnist-mini", "lmdb", tmp);
    Map<String, byte[]> input = fmnist(lmdb);

    // The tensors layout, decoded and encoded again by Cortado's codec: the same bytes.
    Path viaTensors = tmp.resolve("tensors");
    spark
        .read()
        .format("tensorprotos")
        .load(lmdb.toString())
        .write()
        .format("tensorprotos")
        .option("num_shards", "2")
        .save(viaTensors.toString());
    assertThat(hex(shards(viaTensors, "lmdb"))).isEqualTo(hex(input));

    // Typed columns (image binary + dims, label int), as a DataFrame user builds them.
    Dataset<Row> typed =
        spark.read().format("tensorprotos").option("columns", "image,label").load(lmdb.toString());
    assertThat(typed.schema().simpleString())
        .isEqualTo("struct<key:binary,image:binary,label:int>");
    Path viaColumns = tmp.resolve("typed");
    typed
        .withColumn("dims", array(lit(1), lit(28), lit(28)))
        .write()
        .format("tensorprotos")
        .option("num_shards", "4")
        .option("db_type", "minidb")
        .save(viaColumns.toString());
    Map<String, byte[]> written = shards(viaColumns, "minidb");
    assertThat(written.keySet()).isEqualTo(new java.util.TreeSet<>(input.keySet()));
    for (Map.Entry<String, byte[]> e : written.entrySet()) {
      assertThat(e.getValue()).as("value of %s", e.getKey()).isEqualTo(input.get(e.getKey()));
    }
    Manifest m = Manifest.read(viaColumns.resolve("_manifest.json"));
    assertThat(m.num_shards).isEqualTo(4);
    assertThat(m.records).isEqualTo(256);
    assertThat(m.shards)
        .allSatisfy(
            s -> {
              assertThat(s.db_type).isEqualTo("minidb");
              assertThat(s.schema).isEqualTo("BYTE[1,28,28] INT32[]");
              assertThat(s.bytes).isPositive();
            });
  }

  @Test
  void saveModes() throws Exception {
    SparkSession spark = LocalSpark.get();
    Path lmdb = Fixtures.db("fmnist-mini", "lmdb", tmp);
    Dataset<Row> all =
        spark.read().format("tensorprotos").option("value_format", "raw").load(lmdb.toString());
    Dataset<Row> first = all.where(col("key").lt(lit("00000100".getBytes())));
    Dataset<Row> rest = all.where(col("key").geq(lit("00000100".getBytes())));
    Path out = tmp.resolve("out");

    first.write().format("tensorprotos").option("num_shards", "2").save(out.toString());
    assertThat(names(out))
        .containsExactly(
            "_SUCCESS", "_manifest.json", "shard-00000-of-00002", "shard-00001-of-00002");

    // errorifexists (the default) refuses an existing output; ignore leaves it as it is.
    assertThatThrownBy(() -> rest.write().format("tensorprotos").save(out.toString()))
        .hasMessageContaining(out.toString())
        .hasMessageContaining("already exists");
    rest.write()
        .format("tensorprotos")
        .mode("ignore")
        .option("num_shards", "3")
        .save(out.toString());
    assertThat(shards(out, "lmdb")).hasSize(100);

    // append adds shards and renumbers them all; the manifest lists every shard.
    rest.write()
        .format("tensorprotos")
        .mode("append")
        .option("num_shards", "3")
        .save(out.toString());
    assertThat(names(out))
        .containsExactly(
            "_SUCCESS",
            "_manifest.json",
            "shard-00000-of-00005",
            "shard-00001-of-00005",
            "shard-00002-of-00005",
            "shard-00003-of-00005",
            "shard-00004-of-00005");
    Manifest m = Manifest.read(out.resolve("_manifest.json"));
    assertThat(m.num_shards).isEqualTo(5);
    assertThat(m.records).isEqualTo(256);
    assertThat(hex(shards(out, "lmdb"))).isEqualTo(hex(fmnist(lmdb)));
    // The whole directory reads back as one shard set, and through a glob.
    assertThat(spark.read().format("tensorprotos").load(out.toString()).count()).isEqualTo(256);
    assertThat(spark.read().format("tensorprotos").load(out + "/shard-0000[0-1]*").count())
        .isEqualTo(100);

    // overwrite replaces everything.
    all.write()
        .format("tensorprotos")
        .mode("overwrite")
        .option("num_shards", "1")
        .option("db_type", "rocksdb")
        .save(out.toString());
    assertThat(names(out)).containsExactly("_SUCCESS", "_manifest.json", "shard-00000-of-00001");
    assertThat(hex(shards(out, "rocksdb"))).isEqualTo(hex(fmnist(lmdb)));
  }

  /** The DB's records (raw values) as 4 key ranges, one partition each. */
  private static Dataset<Row> rawInFourRanges(SparkSession spark, Path db) {
    return spark
        .read()
        .format("tensorprotos")
        .option("value_format", "raw")
        .option("splits_per_db", "4")
        .load(db.toString());
  }

  /** A {@code shard_by=input} write of {@code data} into {@code shards} shards. */
  private static DataFrameWriter<Row> byInput(Dataset<Row> data, int shards) {
    return data.write()
        .format("tensorprotos")
        .option("num_shards", shards)
        .option("shard_by", "input");
  }

  /** The write fails with all of {@code messages} and leaves no {@code _SUCCESS}. */
  private static void assertByInputFails(
      Dataset<Row> data, int shards, Path out, String... messages) {
    assertThatThrownBy(() -> byInput(data, shards).save(out.toString()))
        .satisfies(e -> assertThat(BadInputsTest.allMessages(e)).contains(messages));
    assertThat(out.resolve("_SUCCESS")).doesNotExist();
  }

  /** Shard i's keys in order, as hex, read by DbReader. */
  private static List<String> keysOf(Path shard, String dbType) {
    List<String> keys = new ArrayList<>();
    for (Rec r : LocalSpark.readWithDbReader(dbType, shard.toString())) {
      keys.add(r.keyHex());
    }
    return keys;
  }

  @Test
  void shardByInputWritesEachKeyRangeAsItsShardWithoutAShuffle() throws Exception {
    SparkSession spark = LocalSpark.get();
    Path lmdb = Fixtures.db("fmnist-mini", "lmdb", tmp);
    Dataset<Row> ranges = rawInFourRanges(spark, lmdb);
    Path out = tmp.resolve("ranges");
    byInput(ranges, 4).option("db_type", "leveldb").save(out.toString());
    // Shard i is key range i: concatenated in shard order, the shards are the DB in key order
    // (hashing the keys over the shards would interleave them).
    List<String> concatenated = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      List<String> keys = keysOf(out.resolve(String.format("shard-%05d-of-00004", i)), "leveldb");
      assertThat(keys).as("shard %d", i).isNotEmpty();
      concatenated.addAll(keys);
    }
    assertThat(concatenated).containsExactlyElementsOf(fmnist(lmdb).keySet());
    assertThat(hex(shards(out, "leveldb"))).isEqualTo(hex(fmnist(lmdb)));
    Manifest m = Manifest.read(out.resolve("_manifest.json"));
    assertThat(m.records).isEqualTo(256);
    assertThat(m.shards).extracting(sh -> sh.records).containsOnly(64L);

    // More input partitions than shards: the job fails, and leaves nothing that looks finished.
    assertByInputFails(
        ranges,
        2,
        tmp.resolve("too-many"),
        "shard_by=input makes one shard of each input partition",
        "more than num_shards=2 partitions");

    // A partition out of key order is refused, naming the two keys.
    assertByInputFails(
        ranges.coalesce(1).sortWithinPartitions(col("key").desc()),
        1,
        tmp.resolve("unsorted"),
        "out of key order",
        "with shard_by=input each input partition must be in ascending");

    assertThatThrownBy(
            () ->
                ranges
                    .write()
                    .format("tensorprotos")
                    .option("shard_by", "hash")
                    .save(tmp.resolve("bad-option").toString()))
        .hasMessageContaining("option shard_by must be one of key, input, got 'hash'");
  }

  @Test
  void splitsPerDbCoverTheDbOnce() throws Exception {
    SparkSession spark = LocalSpark.get();
    Path lmdb = Fixtures.db("fmnist-mini", "lmdb", tmp);
    Dataset<Row> split = rawInFourRanges(spark, lmdb);
    assertThat(split.rdd().getNumPartitions()).isEqualTo(4);
    List<String> keys = new ArrayList<>();
    for (Row r : split.collectAsList()) {
      keys.add(HexFormat.of().formatHex((byte[]) r.get(0)));
    }
    assertThat(keys).containsExactlyElementsOf(fmnist(lmdb).keySet());
    // minidb cannot seek: one partition.
    Path minidb = Fixtures.db("fmnist-mini", "minidb", tmp);
    assertThat(
            spark
                .read()
                .format("tensorprotos")
                .option("splits_per_db", "4")
                .load(minidb.toString())
                .rdd()
                .getNumPartitions())
        .isEqualTo(1);
  }

  @Test
  void badWritesFailWithTheKey() throws Exception {
    SparkSession spark = LocalSpark.get();
    Path lmdb = Fixtures.db("fmnist-mini", "lmdb", tmp);
    Dataset<Row> raw =
        spark.read().format("tensorprotos").option("value_format", "raw").load(lmdb.toString());
    Path out = tmp.resolve("dup");
    assertThatThrownBy(
            () ->
                raw.union(raw.limit(1))
                    .write()
                    .format("tensorprotos")
                    .option("num_shards", "2")
                    .save(out.toString()))
        .satisfies(
            e -> assertThat(BadInputsTest.allMessages(e)).contains("'00000000' occurs twice"));
    assertThat(out.resolve("_SUCCESS")).doesNotExist();
    assertThat(out.resolve("_temporary")).doesNotExist();

    Dataset<Row> badDtype =
        spark.sql(
            "SELECT CAST('k1' AS BINARY) AS key, array(named_struct("
                + "'name', 'x', 'dtype', 'FLOAT', 'dims', array(CAST(2 AS BIGINT)),"
                + " 'data', CAST('abc' AS BINARY), 'strings', CAST(NULL AS ARRAY<BINARY>))) AS tensors");
    assertThatThrownBy(
            () -> badDtype.write().format("tensorprotos").save(tmp.resolve("bad").toString()))
        .satisfies(
            e ->
                assertThat(BadInputsTest.allMessages(e))
                    .contains("'k1'")
                    .contains("FLOAT dims [2] need 8 bytes of data, found 3"));
    assertThatThrownBy(
            () ->
                raw.write()
                    .format("tensorprotos")
                    .option("db_type", "nosuchdb")
                    .save(tmp.resolve("x").toString()))
        .hasMessageContaining("unknown db_type 'nosuchdb'")
        .hasMessageContaining("lmdb");
  }
}
