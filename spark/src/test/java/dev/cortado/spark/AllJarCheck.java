package dev.cortado.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Run by {@code src/test/sh/all-jar-check.sh} with Spark's own classpath (its protobuf-java and
 * rocksdbjni first) plus only the shaded {@code cortado-spark-*-all.jar}, as {@code spark-submit
 * --jars} would: reads an LMDB, a LevelDB and a RocksDB, writes RocksDB and LMDB shards, reads them
 * back. Arguments: the testdata folder and a scratch folder. Prints one line per check; exits
 * non-zero on a mismatch.
 */
public final class AllJarCheck {
  private AllJarCheck() {}

  public static void main(String[] args) throws Exception {
    Path testdata = Path.of(args[0]);
    Path tmp = Path.of(args[1]);
    String protobuf =
        com.google.protobuf.Message.class
            .getProtectionDomain()
            .getCodeSource()
            .getLocation()
            .toString();
    String rocks =
        org.rocksdb.RocksDB.class.getProtectionDomain().getCodeSource().getLocation().toString();
    System.out.println("protobuf-java on the classpath: " + protobuf);
    System.out.println("rocksdbjni on the classpath: " + rocks);
    SparkSession spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("all-jar-check")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    try {
      for (String backend : List.of("lmdb", "leveldb", "rocksdb")) {
        Path copy = tmp.resolve("in-" + backend);
        Files.createDirectories(copy);
        try (var files = Files.list(testdata.resolve("fmnist-mini").resolve(backend))) {
          for (Path f : (Iterable<Path>) files::iterator) {
            Files.copy(f, copy.resolve(f.getFileName()));
            copy.resolve(f.getFileName()).toFile().setWritable(true);
          }
        }
        long n = spark.read().format("tensorprotos").load(copy.toString()).count();
        check(n == 256, "read " + backend + ": " + n + " records");
      }
      for (String out : List.of("rocksdb", "lmdb")) {
        Path dir = tmp.resolve("out-" + out);
        spark
            .read()
            .format("tensorprotos")
            .option("columns", "image,label")
            .load(tmp.resolve("in-lmdb").toString())
            .write()
            .format("tensorprotos")
            .option("num_shards", "2")
            .option("db_type", out)
            .save(dir.toString());
        List<Row> labels =
            spark
                .read()
                .format("tensorprotos")
                .option("columns", "image,label")
                .load(dir.toString())
                .select("label")
                .collectAsList();
        check(
            labels.size() == 256 && Files.exists(dir.resolve("_SUCCESS")),
            "write and read back 2 " + out + " shards: " + labels.size() + " records");
        System.out.println(Files.readString(dir.resolve("_manifest.json")));
      }
    } finally {
      spark.stop();
    }
  }

  private static void check(boolean ok, String what) {
    System.out.println((ok ? "ok: " : "FAIL: ") + what);
    if (!ok) {
      System.exit(1);
    }
  }
}
