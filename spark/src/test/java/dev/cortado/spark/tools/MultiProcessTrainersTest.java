package dev.cortado.spark.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * N trainer JVMs, each running Cortado's TensorProtosDBInput for one epoch of its shard: in both
 * layouts the keys they read are pairwise disjoint and together cover the dataset.
 */
class MultiProcessTrainersTest {
  private static final int RECORDS = 1000;
  private static final int TRAINERS = 3;
  private static final int BATCH = 16;

  @TempDir Path tmp;

  @Test
  void oneShardDbPerTrainerAsTheConnectorWritesThem() throws Exception {
    String source = tmp.resolve("source-lmdb").toString();
    IdDataset.write("lmdb", source, RECORDS);
    Path out = tmp.resolve("shards");
    Cli.Result convert =
        Cli.run(
            "spark-convert",
            "--db",
            source,
            "--db-type",
            "lmdb",
            "--out",
            out.toString(),
            "--out-shards",
            String.valueOf(TRAINERS),
            "--out-type",
            "lmdb",
            "--quiet");
    assertThat(convert.exitCode()).as(convert.stderr()).isZero();
    List<Path> shards = Cli.shardDirs(out);
    assertThat(shards).hasSize(TRAINERS);

    List<Jvms.Started> trainers = new ArrayList<>();
    for (Path shard : shards) {
      trainers.add(
          Jvms.start(tmp, TrainerProcess.class, "lmdb", shard.toString(), "1", "0", "" + BATCH));
    }
    List<List<Integer>> read = idsOf(trainers);
    for (int k = 0; k < TRAINERS; k++) {
      // A trainer reads exactly its shard's records, in the shard's (key) order.
      List<Integer> inShard =
          IdDataset.scan("lmdb", shards.get(k).toString()).stream()
              .map(r -> Integer.parseInt(r.keyString()))
              .collect(Collectors.toList());
      assertThat(read.get(k)).as("trainer on %s", shards.get(k)).isEqualTo(inShard);
      assertThat(read.get(k)).isSorted();
    }
    assertDisjointAndComplete(read);
  }

  @Test
  void caffe2StridingOverOneDb() throws Exception {
    String source = tmp.resolve("one-lmdb").toString();
    IdDataset.write("lmdb", source, RECORDS);
    List<Jvms.Started> trainers = new ArrayList<>();
    for (int k = 0; k < TRAINERS; k++) {
      trainers.add(
          Jvms.start(tmp, TrainerProcess.class, "lmdb", source, "" + TRAINERS, "" + k, "" + BATCH));
    }
    List<List<Integer>> read = idsOf(trainers);
    for (int k = 0; k < TRAINERS; k++) {
      int shard = k;
      // Caffe2's DBReader: shard k gets records k, k+S, k+2S, ... of the cursor order.
      assertThat(read.get(k))
          .as("trainer with shard_id %d of %d", k, TRAINERS)
          .isEqualTo(
              IntStream.range(0, RECORDS).filter(i -> i % TRAINERS == shard).boxed().toList());
    }
    assertDisjointAndComplete(read);
  }

  private static List<List<Integer>> idsOf(List<Jvms.Started> trainers)
      throws IOException, InterruptedException {
    List<List<Integer>> read = new ArrayList<>();
    for (Jvms.Started t : trainers) {
      Jvms.Result r = Jvms.finish(t, 120);
      assertThat(r.exitCode()).as("%s failed: %s", r.what(), r.stderr()).isZero();
      String line =
          r.stdout()
              .lines()
              .filter(l -> l.startsWith("ids "))
              .findFirst()
              .orElseThrow(
                  () ->
                      new AssertionError(r.what() + " printed no ids: " + r.stdout() + r.stderr()));
      read.add(
          Stream.of(line.substring(4).split(","))
              .map(Integer::valueOf)
              .collect(Collectors.toList()));
    }
    return read;
  }

  private static void assertDisjointAndComplete(List<List<Integer>> read) {
    Set<Integer> all = new HashSet<>();
    int total = 0;
    for (int a = 0; a < read.size(); a++) {
      assertThat(new HashSet<>(read.get(a)))
          .as("trainer %d read a record twice", a)
          .hasSize(read.get(a).size());
      for (int b = a + 1; b < read.size(); b++) {
        Set<Integer> common = new HashSet<>(read.get(a));
        common.retainAll(read.get(b));
        assertThat(common).as("records read by both trainer %d and trainer %d", a, b).isEmpty();
      }
      all.addAll(read.get(a));
      total += read.get(a).size();
    }
    assertThat(total).isEqualTo(RECORDS);
    assertThat(all).isEqualTo(IntStream.range(0, RECORDS).boxed().collect(Collectors.toSet()));
  }
}
