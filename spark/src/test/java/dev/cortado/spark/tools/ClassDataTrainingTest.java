package dev.cortado.spark.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.db.testkit.FixtureFiles;
import dev.cortado.db.testkit.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's class-data training run: every spark-* path, each committed. */
class ClassDataTrainingTest {
  @TempDir Path tmp;

  @Test
  void runsEveryCommandToItsCommit() throws Exception {
    Path db = tmp.resolve("db");
    FixtureFiles.copy(TestData.root().resolve("fmnist-mini/lmdb"), db);
    Path scratch = tmp.resolve("scratch");

    assertThat(ClassDataTraining.run(scratch, db)).isNull();

    for (String out : new String[] {"shards", "parquet", "back", "images-db"}) {
      assertThat(scratch.resolve(out).resolve("_SUCCESS")).as(out).isRegularFile();
    }
    try (Stream<Path> back = Files.list(scratch.resolve("back"))) {
      assertThat(back.filter(p -> p.getFileName().toString().startsWith("shard-")).count())
          .isEqualTo(2);
    }
  }

  @Test
  void aFailingCommandIsNamedWithItsOutput() {
    String failure = ClassDataTraining.run(tmp.resolve("scratch"), tmp.resolve("no-such-db"));

    assertThat(failure)
        .startsWith("class-data training: spark-convert --db " + tmp.resolve("no-such-db"))
        .contains("no-such-db");
  }
}
