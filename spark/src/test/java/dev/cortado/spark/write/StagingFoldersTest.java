package dev.cortado.spark.write;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.db.testkit.FixtureFiles;
import dev.cortado.db.testkit.TestData;
import dev.cortado.spark.LocalSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Staging folders left by a JVM that was killed while its tasks ran are removed by the next write
 * task on the machine; those of running processes, and folders it cannot attribute, stay.
 */
class StagingFoldersTest {
  @TempDir Path tmp;

  /** The id of a process that has exited. */
  private static long deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    long pid = p.pid();
    assertThat(ProcessHandle.of(pid)).isEmpty();
    return pid;
  }

  private static Path folder(Path root, String name) throws Exception {
    Path f = Files.createDirectories(root.resolve(name).resolve("db"));
    Files.write(f.resolve("data.mdb"), new byte[4096]);
    return f.getParent();
  }

  @Test
  void removesOnlyTheFoldersOfProcessesThatNoLongerRun() throws Exception {
    Process alive = new ProcessBuilder("sleep", "60").start();
    try {
      Path dead = folder(tmp, "cortado-shard-" + deadPid() + "-123");
      Path mine = folder(tmp, "cortado-shard-" + ProcessHandle.current().pid() + "-456");
      Path other = folder(tmp, "cortado-shard-" + alive.pid() + "-789");
      Path unnamed = folder(tmp, "cortado-shard-1308832389199620289");
      Path unrelated = folder(tmp, "something-else-1-2");

      StagingFolders.removeAbandoned(tmp);

      assertThat(dead).doesNotExist();
      assertThat(mine).isDirectory();
      assertThat(other).isDirectory();
      assertThat(unnamed).isDirectory();
      assertThat(unrelated).isDirectory();
    } finally {
      alive.destroyForcibly().waitFor();
    }
  }

  @Test
  void aNewFolderCarriesThisProcessId() throws Exception {
    Path f = StagingFolders.create(tmp);
    assertThat(StagingFolders.owner(f.getFileName().toString()))
        .isEqualTo(OptionalLong.of(ProcessHandle.current().pid()));
    assertThat(StagingFolders.owner("cortado-shard-")).isEmpty();
    assertThat(StagingFolders.owner("cortado-shard--1")).isEmpty();
    assertThat(StagingFolders.owner("cortado-shard-x1-2")).isEmpty();
    assertThat(StagingFolders.owner("cortado-shard-42-7")).isEqualTo(OptionalLong.of(42));
  }

  @Test
  void aWriteRemovesWhatAKilledJobLeft() throws Exception {
    Path staging = tmp.resolve("staging");
    Path left = folder(staging, "cortado-shard-" + deadPid() + "-1");
    Path db = FixtureFiles.copy(TestData.root().resolve("fmnist-mini/lmdb"), tmp.resolve("db"));
    Dataset<Row> raw =
        LocalSpark.get()
            .read()
            .format("tensorprotos")
            .option("value_format", "raw")
            .load(db.toString());

    raw.write()
        .format("tensorprotos")
        .option("num_shards", "2")
        .option("db_type", "lmdb")
        .option("staging_dir", staging.toString())
        .save(tmp.resolve("out").toString());

    assertThat(left).doesNotExist();
    try (Stream<Path> rest = Files.list(staging)) {
      assertThat(rest).as("staging folder").isEmpty();
    }
    assertThat(tmp.resolve("out/_SUCCESS")).exists();
  }
}
