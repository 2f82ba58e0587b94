package dev.cortado.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** convert-db, split-db, inspect and db-throughput. */
class DbToolsTest {
  @TempDir Path tmp;

  @Test
  void everyShippedBackendIsOnTheClasspath() {
    assertThat(TestDbs.available()).containsExactlyElementsOf(TestDbs.BACKENDS);
  }

  static Stream<Arguments> pairs() {
    List<Arguments> out = new ArrayList<>();
    for (String from : TestDbs.available()) {
      for (String to : TestDbs.available()) {
        out.add(Arguments.of(from, to));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("pairs")
  void convertPreservesEveryRecord(String from, String to) {
    for (String dataset : List.of("key-order", "all-dtypes")) {
      Path source = TestDbs.copy(sharedDb(dataset, from), tmp);
      Path target = tmp.resolve(dataset + "-" + from + "-to-" + to);
      Cli.Result r =
          Cli.run(
              "convert-db",
              "--input-db",
              source.toString(),
              "--input-db-type",
              from,
              "--output-db",
              target.toString(),
              "--output-db-type",
              to,
              "--batch-size",
              "7");
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(sortedDump(source, from))
          .isEqualTo(sortedDump(target, to))
          .hasSize(Expectations.load(dataset).records().size());
    }
  }

  @Test
  void convertFromAMissingDbIsOneLine() {
    Path missing = tmp.resolve("missing-lmdb");
    Cli.Result r =
        Cli.run(
            "convert-db",
            "--input-db",
            missing.toString(),
            "--input-db-type",
            "lmdb",
            "--output-db",
            tmp.resolve("o").toString(),
            "--output-db-type",
            "minidb");
    MakeMnistDbCommandTest.assertOneLineError(r, missing.toString(), "lmdb");
    assertThat(tmp.resolve("o")).doesNotExist();
  }

  @Test
  void convertToAnUnknownTypeIsOneLine() {
    Path source = sharedDb("fmnist-mini", "minidb");
    Cli.Result r =
        Cli.run(
            "convert-db",
            "--input-db",
            source.toString(),
            "--input-db-type",
            "minidb",
            "--output-db",
            tmp.resolve("o").toString(),
            "--output-db-type",
            "sqlite3");
    MakeMnistDbCommandTest.assertOneLineError(
        r, "unknown db_type 'sqlite3'", tmp.resolve("o").toString());
  }

  @Test
  void splitIsRoundRobinLikeSharding() {
    for (String backend : TestDbs.available()) {
      Path source = TestDbs.copy(sharedDb("fmnist-mini", backend), tmp);
      Cli.Result r =
          Cli.run(
              "split-db",
              "--input-db",
              source.toString(),
              "--db-type",
              backend,
              "--splits",
              "3",
              "--batch-size",
              "10");
      assertThat(r.exit()).as(r.err()).isZero();
      for (int k = 0; k < 3; k++) {
        Cli.Result shard =
            Cli.run(
                "db-dump",
                "--db",
                source.toString(),
                "--db-type",
                backend,
                "--num-shards",
                "3",
                "--shard-id",
                String.valueOf(k));
        Cli.Result split = Cli.run("db-dump", "--db", source + "_split_" + k, "--db-type", backend);
        assertThat(split.exit()).as(split.err()).isZero();
        assertThat(withoutIndex(split.lines()))
            .as("%s split %d", backend, k)
            .isEqualTo(withoutIndex(shard.lines()))
            .hasSize((256 - k + 2) / 3);
      }
    }
  }

  @Test
  void splitNeedsAPositiveCount() {
    Cli.Result r =
        Cli.run(
            "split-db",
            "--input-db",
            sharedDb("fmnist-mini", "minidb").toString(),
            "--db-type",
            "minidb",
            "--splits",
            "0");
    MakeMnistDbCommandTest.assertOneLineError(r, "--splits must be > 0");
  }

  @Test
  void inspectShowsKeysDtypesShapesAndValues() {
    Cli.Result r =
        Cli.run(
            "inspect",
            "--db",
            sharedDb("fmnist-mini", "minidb").toString(),
            "--db-type",
            "minidb",
            "--limit",
            "2",
            "--values",
            "3");
    assertThat(r.exit()).as(r.err()).isZero();
    List<String> lines = r.lines();
    assertThat(lines.get(0)).startsWith("KEY").contains("DTYPE", "SHAPE", "VALUES");
    assertThat(lines.get(1))
        .startsWith("'00000000'")
        .contains("BYTE", "[1,28,28]", "0 0 0 ... (784 values)");
    assertThat(lines.get(2)).contains("INT32", "[]").endsWith(" 9");
    assertThat(lines.get(3)).startsWith("'00000001'");
    assertThat(lines).last().asString().contains("2 records shown of 256 in db ");
  }

  @Test
  void inspectReportsAnUndecodableTensorInItsRow() {
    Path db = Cli.testdata().resolve("bad-inputs/data-type-42/data-type-42.minidb");
    Cli.Result r = Cli.run("inspect", "--db", db.toString(), "--db-type", "minidb");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("'00000003'").contains("42");
  }

  @Test
  void throughputJsonHasOneLinePerMode() {
    Cli.Result r =
        Cli.run(
            "db-throughput",
            "--db",
            sharedDb("fmnist-mini", "minidb").toString(),
            "--db-type",
            "minidb",
            "--repeat",
            "2",
            "--warmup",
            "0",
            "--reader-threads",
            "2",
            "--json");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.lines()).hasSize(2);
    JsonObject cursor = JsonParser.parseString(r.lines().get(0)).getAsJsonObject();
    JsonObject reader = JsonParser.parseString(r.lines().get(1)).getAsJsonObject();
    assertThat(cursor.get("mode").getAsString()).isEqualTo("cursor");
    assertThat(reader.get("mode").getAsString()).isEqualTo("reader");
    assertThat(reader.get("reader_threads").getAsInt()).isEqualTo(2);
    for (JsonObject o : List.of(cursor, reader)) {
      assertThat(o.get("records").getAsLong()).isEqualTo(256);
      assertThat(o.get("records_per_s_median").getAsDouble()).isPositive();
      assertThat(o.get("records_per_s_min").getAsDouble())
          .isLessThanOrEqualTo(o.get("records_per_s_max").getAsDouble());
    }
  }

  @Test
  void throughputOnAnEmptyDbIsOneLine() {
    Path db = Cli.testdata().resolve("bad-inputs/empty-db/empty-db.minidb");
    Cli.Result r = Cli.run("db-throughput", "--db", db.toString(), "--db-type", "minidb");
    MakeMnistDbCommandTest.assertOneLineError(r, db.toString(), "empty");
  }

  static Path sharedDb(String dataset, String backend) {
    for (Expectations.Group g : Expectations.load(dataset).groups()) {
      for (String[] db : g.dbs()) {
        if (db[0].equals(backend)) {
          return Path.of(db[1]);
        }
      }
    }
    throw new IllegalArgumentException(dataset + " has no " + backend + " DB");
  }

  /** db-dump lines without the index, sorted by key. */
  private static List<String> sortedDump(Path db, String type) {
    Cli.Result r = Cli.run("db-dump", "--db", db.toString(), "--db-type", type);
    assertThat(r.exit()).as(r.err()).isZero();
    List<String> lines = withoutIndex(r.lines());
    lines.sort(null);
    return lines;
  }

  private static List<String> withoutIndex(List<String> lines) {
    List<String> out = new ArrayList<>();
    for (String line : lines) {
      out.add(line.replaceFirst("^\\{\"index\":\\d+,", "{"));
    }
    return out;
  }
}
