package dev.cortado.spark.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.db.testkit.FixtureFiles;
import dev.cortado.db.testkit.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cortado spark-convert} end to end in local mode, each output reopened by Cortado. */
class SparkConvertCommandTest {
  private static final Comparator<byte[]> KEY_ORDER = java.util.Arrays::compareUnsigned;

  @TempDir Path tmp;

  @Test
  void caffe2LmdbIntoFourLmdbShards() throws IOException {
    Path source =
        FixtureFiles.copy(TestData.root().resolve("fmnist-mini/lmdb"), tmp.resolve("src"));
    Path out = tmp.resolve("out/shards");
    Cli.Result r =
        Cli.run(
            "spark-convert",
            "--db",
            source.toString(),
            "--out",
            out.toString(),
            "--out-shards",
            "4",
            "--out-type",
            "lmdb");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdout())
        .matches(
            "spark-convert: 256 records, 4 shards \\(lmdb\\), [0-9.]+ MB in \\Q"
                + out
                + "\\E, [0-9.]+ s \\([0-9]+ records/s\\)\\R");
    assertThat(out.resolve("_SUCCESS")).exists();
    assertThat(out.resolve("_manifest.json")).exists();
    assertThat(out.resolve("_temporary")).doesNotExist();
    assertThat(Cli.shardDirs(out).stream().map(p -> p.getFileName().toString()))
        .containsExactly(
            "shard-00000-of-00004",
            "shard-00001-of-00004",
            "shard-00002-of-00004",
            "shard-00003-of-00004");
    assertShardsHold(IdDataset.scan("lmdb", source.toString()), out, "lmdb");
    // One seekable DB is cut into key ranges, as split_db cuts it: the shards in order are the
    // DB in order, about a quarter each.
    List<byte[]> inOrder = new ArrayList<>();
    for (Path shard : Cli.shardDirs(out)) {
      List<IdDataset.Record> records = IdDataset.scan("lmdb", shard.toString());
      assertThat(records.size()).as("records in %s", shard).isBetween(32, 96);
      records.forEach(rec -> inOrder.add(rec.key()));
    }
    assertThat(inOrder).isSortedAccordingTo(KEY_ORDER);

    // A shard set as input is spread over the new shards by key hash (and still covered once).
    Path again = tmp.resolve("out/again");
    Cli.Result r2 =
        Cli.run(
            "spark-convert",
            "--db",
            out.toString(),
            "--out",
            again.toString(),
            "--out-shards",
            "2",
            "--out-type",
            "rocksdb",
            "-q");
    assertThat(r2.exitCode()).as(r2.stderr()).isZero();
    assertShardsHold(IdDataset.scan("lmdb", source.toString()), again, "rocksdb");
  }

  @Test
  void parquetAndBackGivesByteIdenticalValues() throws IOException {
    Path source =
        Files.copy(
            TestData.root().resolve("fmnist-mini/fmnist-mini.minidb"), tmp.resolve("src.minidb"));
    Path parquet = tmp.resolve("parquet");
    Cli.Result toParquet =
        Cli.run(
            "spark-convert",
            "--db",
            source.toString(),
            "--db-type",
            "minidb",
            "--out",
            parquet.toString(),
            "--out-shards",
            "3",
            "--format",
            "parquet",
            "-q");
    assertThat(toParquet.exitCode()).as(toParquet.stderr()).isZero();
    assertThat(toParquet.stdout()).startsWith("spark-convert: 256 records, 3 files (parquet), ");
    try (Stream<Path> files = Files.list(parquet)) {
      assertThat(files.filter(p -> p.toString().endsWith(".parquet")).count()).isEqualTo(3);
    }
    assertThat(parquet.resolve("_SUCCESS")).exists();

    // A Parquet directory as --db is detected.
    Path back = tmp.resolve("back");
    Cli.Result fromParquet =
        Cli.run(
            "spark-convert",
            "--db",
            parquet.toString(),
            "--out",
            back.toString(),
            "--out-shards",
            "2",
            "--out-type",
            "rocksdb",
            "-q");
    assertThat(fromParquet.exitCode()).as(fromParquet.stderr()).isZero();
    assertThat(fromParquet.stdout()).startsWith("spark-convert: 256 records, 2 shards (rocksdb), ");
    assertShardsHold(IdDataset.scan("minidb", source.toString()), back, "rocksdb");
  }

  @Test
  void refusesAnExistingOutUnlessOverwrite() throws IOException {
    String source = tmp.resolve("src-lmdb").toString();
    IdDataset.write("lmdb", source, 50);
    Path out = Files.createDirectories(tmp.resolve("taken"));
    Files.writeString(out.resolve("keep.txt"), "still here");
    Cli.Result refused =
        Cli.run(
            "spark-convert", "--db", source, "--out", out.toString(), "--out-shards", "2", "-q");
    assertThat(refused.exitCode()).isEqualTo(Main.EXIT_FAILURE);
    assertThat(refused.stderr())
        .isEqualTo(
            "cortado spark-convert: error: --out "
                + out
                + " already exists; pass --overwrite to replace it"
                + System.lineSeparator());
    assertThat(out.resolve("keep.txt")).hasContent("still here");

    Cli.Result replaced =
        Cli.run(
            "spark-convert",
            "--db",
            source,
            "--db-type",
            "lmdb",
            "--out",
            out.toString(),
            "--out-shards",
            "2",
            "--overwrite",
            "-q");
    assertThat(replaced.exitCode()).as(replaced.stderr()).isZero();
    assertThat(out.resolve("keep.txt")).doesNotExist();
    assertShardsHold(IdDataset.scan("lmdb", source), out, "lmdb");
  }

  @Test
  void refusesAnOutThatIsHoldsOrLiesInsideTheInputEvenWithOverwrite() throws IOException {
    Path home = Files.createDirectories(tmp.resolve("home"));
    String source = home.resolve("src-lmdb").toString();
    IdDataset.write("lmdb", source, 40);
    List<IdDataset.Record> before = IdDataset.scan("lmdb", source);
    // Spark's Parquet writer empties --out before its tasks read: this one would delete the input.
    assertRefused(
        home.toString(),
        "the input " + source + " lies inside it",
        "--db",
        source,
        "--out",
        home.toString(),
        "--format",
        "parquet",
        "--overwrite");
    assertRefused(
        source, "it is the input " + source, "--db", source, "--out", source, "--overwrite");
    String inside = source + "/shards";
    assertRefused(inside, "it lies inside the input " + source, "--db", source, "--out", inside);
    // A glob names its matches: an --out that holds one of them is refused too.
    assertRefused(
        home.toString(),
        "the input " + source + " lies inside it",
        "--db",
        home.resolve("src-*").toString(),
        "--db-type",
        "lmdb",
        "--out",
        home.toString(),
        "--overwrite");
    assertThat(IdDataset.scan("lmdb", source)).isEqualTo(before);
    try (Stream<Path> left = Files.list(home)) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactly("src-lmdb");
    }
  }

  /**
   * In a JVM of its own, so that Spark's log (which goes to the process's stderr, not to the
   * command's writer) is seen too: a record that does not decode fails a Parquet conversion with
   * one line that names the DB and the key, and no stack trace from Spark's file writer. The
   * conversion is an overwrite of an earlier Parquet output, which stays as it was (Spark's own
   * overwrite deletes it before the tasks run), with nothing half-written beside it.
   */
  @Test
  void aBadRecordIntoParquetIsOneLineAndKeepsTheOldOutput() throws Exception {
    String good = tmp.resolve("good-lmdb").toString();
    IdDataset.write("lmdb", good, 30);
    Path out = Files.createDirectories(tmp.resolve("out")).resolve("data.parquet");
    Cli.Result first = toParquet(good, out);
    assertThat(first.exitCode()).as(first.stderr()).isZero();
    Set<String> before = names(out);

    Path db =
        FixtureFiles.copy(
            TestData.root().resolve("bad-inputs/not-protobuf/lmdb"), tmp.resolve("bad-lmdb"));
    Jvms.Result r =
        Jvms.finish(
            Jvms.start(
                tmp, List.of("-Xmx1g"), Main.class, parquetArgs(db.toString(), out, "--overwrite")),
            180);
    assertThat(r.exitCode()).as(r.stderr()).isEqualTo(Main.EXIT_FAILURE);
    assertThat(r.stderr().lines()).as(r.stderr()).hasSize(1);
    assertThat(r.stderr())
        .startsWith("cortado spark-convert: error: db at " + db + " (lmdb): record '")
        .contains("not a valid TensorProtos");
    assertThat(names(out)).isEqualTo(before);
    assertThat(names(out.getParent())).containsExactly("data.parquet");
  }

  /**
   * SIGTERM (what Ctrl-C, a scheduler or {@code kill} sends) while the job's tasks run: one line
   * says so, and {@code --out} is as it was, the old shards of an overwrite, or no Parquet
   * directory and no partial files. The input is read through a test backend whose tasks stall once
   * they start, so the signal always lands mid-job.
   */
  @Test
  void aSignalDuringTheJobLeavesTheOutputAsItWas() throws Exception {
    String source = tmp.resolve("src-lmdb").toString();
    IdDataset.write("lmdb", source, 40);
    Path shards = tmp.resolve("shards");
    Cli.Result first =
        Cli.run("spark-convert", "--db", source, "--out", shards.toString(), "--out-shards", "2");
    assertThat(first.exitCode()).as(first.stderr()).isZero();
    Set<String> shardNames = names(shards);
    String manifest = Files.readString(shards.resolve("_manifest.json"));

    stopMidJob("1", source, "--out", shards.toString(), "--out-type", "lmdb", "--overwrite");
    assertThat(names(shards)).isEqualTo(shardNames);
    assertThat(shards.resolve("_manifest.json")).hasContent(manifest);

    stopMidJob("2", source, "--out", tmp.resolve("pq").toString(), "--format", "parquet");
    try (Stream<Path> left = Files.list(tmp)) {
      assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("pq"));
    }
  }

  @Test
  void aParquetDbWithAnotherSchemaIsOneLineThatNamesIt() {
    Path other = tmp.resolve("other.parquet");
    dev.cortado.spark.LocalSpark.get().range(3).toDF("key").write().parquet(other.toString());
    Cli.Result r =
        Cli.run(
            "spark-convert",
            "--db",
            other.toString(),
            "--out",
            tmp.resolve("shards").toString(),
            "--out-shards",
            "2",
            "-q");
    assertThat(r.exitCode()).isEqualTo(Main.EXIT_FAILURE);
    assertThat(r.stderr())
        .isEqualTo(
            "cortado spark-convert: error: tensorprotos: the column 'key' must be binary or string,"
                + " found bigint (in struct<key:bigint>)"
                + System.lineSeparator());
    assertThat(tmp.resolve("shards")).doesNotExist();
  }

  @Test
  void aParquetConversionCleansUpAfterAKilledOne() throws IOException {
    String source = tmp.resolve("src-lmdb").toString();
    IdDataset.write("lmdb", source, 20);
    long dead = Integer.MAX_VALUE - 1L; // no process has this pid
    // A run killed while its tasks wrote: partial files beside --out.
    Path partial = Files.createDirectories(tmp.resolve("pq.partial-" + dead).resolve("_temporary"));
    // A run killed between its two renames: the old output moved aside, the new one not in place.
    Path old = Files.createDirectories(tmp.resolve("kept.old-" + dead));
    Files.writeString(old.resolve("part-0.parquet"), "the old output");

    Cli.Result r = toParquet(source, tmp.resolve("pq"));
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stderr())
        .isEqualTo(
            "removed "
                + partial.getParent()
                + ", a partial output left by an earlier run that was killed (process "
                + dead
                + " no longer runs)"
                + System.lineSeparator());
    assertThat(partial.getParent()).doesNotExist();

    Cli.Result kept = toParquet(source, tmp.resolve("kept"));
    // The old output is back in place, so the new one is refused without --overwrite.
    assertThat(kept.exitCode()).isEqualTo(Main.EXIT_FAILURE);
    assertThat(kept.stderr()).startsWith("restored " + tmp.resolve("kept"));
    assertThat(tmp.resolve("kept").resolve("part-0.parquet")).hasContent("the old output");
  }

  /**
   * Runs spark-convert in a JVM of its own, sends SIGTERM once a task runs, checks what it said.
   */
  private void stopMidJob(String name, String source, String... outArgs) throws Exception {
    Path marker = tmp.resolve("stalled-" + name);
    List<String> args =
        new ArrayList<>(
            List.of("spark-convert", "--db", source, "--db-type", "flaky-lmdb", "--out-shards"));
    args.add("2");
    args.addAll(List.of(outArgs));
    args.add("-q");
    Jvms.Started s =
        Jvms.start(
            tmp,
            List.of("-Xmx1g", "-Dflaky.stall=" + marker),
            Main.class,
            args.toArray(new String[0]));
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(120);
    while (!Files.exists(marker)) {
      assertThat(s.process().isAlive())
          .as("%s ended before a task ran: %s", s.what(), Files.readString(s.stderr()))
          .isTrue();
      assertThat(System.nanoTime()).as("no task ran within 120 s").isLessThan(deadline);
      Thread.sleep(100);
    }
    s.process().destroy(); // SIGTERM
    Jvms.Result r = Jvms.finish(s, 60);
    assertThat(r.stderr().lines())
        .as(r.stderr())
        .containsExactly(
            "cortado spark-convert: interrupted; the Spark job was aborted, and a write that had"
                + " not committed leaves no output (with --overwrite, the old one)");
  }

  /** {@code spark-convert} of {@code db} into two Parquet files at {@code out}, quietly. */
  private static Cli.Result toParquet(String db, Path out) {
    return Cli.run(parquetArgs(db, out));
  }

  /** The command line of {@link #toParquet}, with {@code more} options. */
  private static String[] parquetArgs(String db, Path out, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "spark-convert",
                "--db",
                db,
                "--out",
                out.toString(),
                "--out-shards",
                "2",
                "--format",
                "parquet",
                "-q"));
    args.addAll(List.of(more));
    return args.toArray(new String[0]);
  }

  private static Set<String> names(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }

  private static void assertRefused(String out, String why, String... args) {
    List<String> line = new ArrayList<>(List.of("spark-convert"));
    line.addAll(List.of(args));
    line.addAll(List.of("--out-shards", "2", "-q"));
    Cli.Result r = Cli.run(line.toArray(new String[0]));
    assertThat(r.exitCode()).as(r.stderr()).isEqualTo(Main.EXIT_FAILURE);
    assertThat(r.stderr())
        .isEqualTo(
            "cortado spark-convert: error: refusing to write "
                + out
                + ": "
                + why
                + "; nothing was changed"
                + System.lineSeparator());
  }

  @Test
  void readsOneCaffe2ShardWithNumShardsAndShardId() throws IOException {
    String source = tmp.resolve("striped-lmdb").toString();
    IdDataset.write("lmdb", source, 100);
    Path out = tmp.resolve("shard-1-of-3");
    Cli.Result r =
        Cli.run(
            "spark-convert",
            "--db",
            source,
            "--db-type",
            "lmdb",
            "--num-shards",
            "3",
            "--shard-id",
            "1",
            "--out",
            out.toString(),
            "--out-shards",
            "1",
            "--out-type",
            "minidb",
            "-q");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    List<String> keys =
        IdDataset.scan("minidb", Cli.shardDirs(out).get(0).toString()).stream()
            .map(IdDataset.Record::keyString)
            .collect(Collectors.toList());
    List<String> expected = new ArrayList<>();
    for (int i = 1; i < 100; i += 3) {
      expected.add(IdDataset.key(i));
    }
    assertThat(keys).isEqualTo(expected);
  }

  @Test
  void badCommandLinesSayWhatIsWrong() {
    Cli.Result zero =
        Cli.run(
            "spark-convert",
            "--db",
            "x",
            "--out",
            tmp.resolve("o").toString(),
            "--out-shards",
            "0");
    assertThat(zero.exitCode()).isEqualTo(Main.EXIT_FAILURE);
    assertThat(zero.stderr()).contains("--out-shards must be >= 1, got 0");
    Cli.Result noSplits =
        Cli.run(
            "spark-convert",
            "--db",
            "x",
            "--out",
            tmp.resolve("s").toString(),
            "--out-shards",
            "2",
            "--splits-per-db",
            "0");
    assertThat(noSplits.exitCode()).isEqualTo(Main.EXIT_FAILURE);
    assertThat(noSplits.stderr())
        .contains("--splits-per-db needs a value >= 1 and cannot be combined with --num-shards");
    Cli.Result splitsAndShard =
        Cli.run(
            "spark-convert",
            "--db",
            "x",
            "--out",
            tmp.resolve("t").toString(),
            "--out-shards",
            "2",
            "--splits-per-db",
            "2",
            "--num-shards",
            "2");
    assertThat(splitsAndShard.exitCode()).isEqualTo(Main.EXIT_FAILURE);
    assertThat(splitsAndShard.stderr()).contains("cannot be combined with --num-shards (got 2)");
    Cli.Result missing = Cli.run("spark-convert", "--out", "o", "--out-shards", "2");
    assertThat(missing.exitCode()).isEqualTo(Main.EXIT_USAGE);
    assertThat(missing.stderr()).contains("Missing required option: '--db=PATH'");
    // A cluster master needs the connector's -all jar for its executors.
    Cli.Result cluster =
        Cli.run(
            "spark-convert",
            "--db",
            "x",
            "--out",
            tmp.resolve("c").toString(),
            "--out-shards",
            "2",
            "--master",
            "spark://127.0.0.1:7077");
    assertThat(cluster.exitCode()).isEqualTo(Main.EXIT_FAILURE);
    assertThat(cluster.stderr())
        .contains("--master spark://127.0.0.1:7077 runs on executors that need the connector jar")
        .contains("-Dspark.jars=PATH");
  }

  /**
   * Each shard, opened by Cortado's own backend, is in key order; the shards are disjoint and
   * together hold exactly {@code expected}, values byte for byte.
   */
  static void assertShardsHold(List<IdDataset.Record> expected, Path out, String dbType)
      throws IOException {
    List<IdDataset.Record> union = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Path shard : Cli.shardDirs(out)) {
      List<IdDataset.Record> records = IdDataset.scan(dbType, shard.toString());
      assertThat(records.stream().map(IdDataset.Record::key).collect(Collectors.toList()))
          .as("keys of %s", shard)
          .isSortedAccordingTo(KEY_ORDER);
      for (IdDataset.Record rec : records) {
        assertThat(seen.add(rec.keyString())).as("key %s in two shards", rec.keyString()).isTrue();
      }
      union.addAll(records);
    }
    union.sort((a, b) -> KEY_ORDER.compare(a.key(), b.key()));
    List<IdDataset.Record> sorted = new ArrayList<>(expected);
    sorted.sort((a, b) -> KEY_ORDER.compare(a.key(), b.key()));
    assertThat(union).isEqualTo(sorted);
  }
}
