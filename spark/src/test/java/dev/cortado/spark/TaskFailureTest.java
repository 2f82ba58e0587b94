package dev.cortado.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.spark.LocalSpark.Rec;
import dev.cortado.spark.write.Manifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.SparkExecutorInfo;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Write tasks that die in their first attempt ({@code local[2,4]} retries them): the output still
 * has exactly N shards, no key twice, nothing left in {@code _temporary} or the staging folder. A
 * job whose task always fails leaves no {@code _SUCCESS} and no temporary files.
 */
class TaskFailureTest {
  @TempDir Path tmp;

  @AfterAll
  static void backToLocal2() {
    LocalSpark.get();
  }

  @Test
  void retriedTasksLeaveExactlyNShards() throws Exception {
    SparkSession spark = LocalSpark.session("local[2,4]");
    Path lmdb = Fixtures.db("fmnist-mini", "lmdb", tmp);
    Dataset<Row> raw =
        spark.read().format("tensorprotos").option("value_format", "raw").load(lmdb.toString());
    Path out = tmp.resolve("out");
    Path staging = tmp.resolve("staging");
    int before = FlakyDbProvider.FAILURES.get();
    raw.write()
        .format("tensorprotos")
        .option("num_shards", "4")
        .option("db_type", "flaky-lmdb")
        .option("staging_dir", staging.toString())
        .save(out.toString());
    assertThat(FlakyDbProvider.FAILURES.get() - before).as("injected failures").isEqualTo(2);

    try (Stream<Path> files = Files.list(out)) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
          .containsExactly(
              "_SUCCESS",
              "_manifest.json",
              "shard-00000-of-00004",
              "shard-00001-of-00004",
              "shard-00002-of-00004",
              "shard-00003-of-00004");
    }
    Set<String> keys = new HashSet<>();
    long records = 0;
    for (int i = 0; i < 4; i++) {
      List<Rec> shard =
          LocalSpark.readWithDbReader(
              "lmdb", out.resolve(String.format("shard-%05d-of-00004", i)).toString());
      for (Rec r : shard) {
        assertThat(keys.add(r.keyHex())).as("key %s once", r.keyHex()).isTrue();
      }
      records += shard.size();
    }
    assertThat(records).isEqualTo(256);
    assertThat(Manifest.read(out.resolve("_manifest.json")).records).isEqualTo(256);
    assertThat(out.resolve("_temporary")).doesNotExist();
    try (Stream<Path> left = Files.list(staging)) {
      assertThat(left).as("staging folder").isEmpty();
    }
  }

  @Test
  void failedJobLeavesNoSuccess() throws Exception {
    SparkSession spark = LocalSpark.session("local[2,4]");
    Path lmdb = Fixtures.db("fmnist-mini", "lmdb", tmp);
    Dataset<Row> raw =
        spark.read().format("tensorprotos").option("value_format", "raw").load(lmdb.toString());
    Path out = tmp.resolve("failed");
    Path staging = tmp.resolve("staging-failed");
    System.setProperty("flaky.always", "true");
    try {
      assertThatThrownBy(
              () ->
                  raw.write()
                      .format("tensorprotos")
                      .option("num_shards", "4")
                      .option("db_type", "flaky-lmdb")
                      .option("staging_dir", staging.toString())
                      .save(out.toString()))
          .satisfies(e -> assertThat(BadInputsTest.allMessages(e)).contains("injected failure"));
    } finally {
      System.clearProperty("flaky.always");
    }
    assertThat(out.resolve("_SUCCESS")).doesNotExist();
    assertThat(out.resolve("_manifest.json")).doesNotExist();
    assertThat(out.resolve("_temporary")).doesNotExist();
    // The job fails as soon as one task has used its attempts; Spark then kills the task still
    // running, which removes its staging copy when the kill reaches it, after the job has failed.
    // Wait for that task to end too, so that nothing writes under the test's folder afterwards.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while ((stagingEntries(staging) > 0 || runningTasks(spark) > 0)
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(runningTasks(spark)).as("tasks still running 30 s after the job failed").isZero();
    try (Stream<Path> left = Files.list(staging)) {
      assertThat(left).as("staging folder").isEmpty();
    }
  }

  private static int runningTasks(SparkSession spark) {
    int n = 0;
    for (SparkExecutorInfo e : spark.sparkContext().statusTracker().getExecutorInfos()) {
      n += e.numRunningTasks();
    }
    return n;
  }

  private static long stagingEntries(Path staging) throws IOException {
    try (Stream<Path> left = Files.list(staging)) {
      return left.count();
    }
  }
}
