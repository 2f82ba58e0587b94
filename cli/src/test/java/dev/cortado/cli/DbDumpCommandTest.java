package dev.cortado.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DbDumpCommandTest {
  @TempDir Path tmp;

  /** (dataset, group index, backend, path) for every shared DB whose backend is available. */
  static Stream<Arguments> sharedDbs() {
    List<Arguments> out = new ArrayList<>();
    for (String dataset : List.of("fmnist-mini", "all-dtypes", "wire-variants", "key-order")) {
      List<Expectations.Group> groups = Expectations.load(dataset).groups();
      for (int g = 0; g < groups.size(); g++) {
        for (String[] db : groups.get(g).dbs()) {
          if (TestDbs.available().contains(db[0])) {
            out.add(Arguments.of(dataset, g, db[0], db[1]));
          }
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {2}")
  @MethodSource("sharedDbs")
  void dumpPrintsTheExpectedRecordsInReadOrder(
      String dataset, int group, String backend, String path) {
    Expectations exp = Expectations.load(dataset);
    List<Expectations.Rec> records = exp.records();
    List<Integer> order = exp.groups().get(group).readOrder();
    String db = TestDbs.copy(Path.of(path), tmp).toString();

    Cli.Result r = Cli.run("db-dump", "--db", db, "--db-type", backend);
    assertThat(r.exit()).as(r.err()).isZero();
    List<String> lines = r.lines();
    assertThat(lines).hasSize(order.size());
    for (int i = 0; i < order.size(); i++) {
      JsonObject line = JsonParser.parseString(lines.get(i)).getAsJsonObject();
      Expectations.Rec rec = records.get(order.get(i));
      assertThat(line.get("index").getAsInt()).isEqualTo(i);
      assertThat(line.get("key_hex").getAsString()).isEqualTo(rec.keyHex());
      assertThat(line.get("value_len").getAsInt()).isEqualTo(rec.valueLen());
      assertThat(line.get("value_sha256").getAsString()).isEqualTo(rec.valueSha256());
    }
  }

  @ParameterizedTest(name = "{0} {2}")
  @MethodSource("sharedDbs")
  void threeShardsAreDisjointAndCoverTheDb(String dataset, int group, String backend, String path) {
    List<Integer> order = Expectations.load(dataset).groups().get(group).readOrder();
    String db = TestDbs.copy(Path.of(path), tmp).toString();
    List<String> all = new ArrayList<>();
    for (int shard = 0; shard < 3; shard++) {
      Cli.Result r =
          Cli.run(
              "db-dump",
              "--db",
              db,
              "--db-type",
              backend,
              "--num-shards",
              "3",
              "--shard-id",
              String.valueOf(shard));
      assertThat(r.exit()).as(r.err()).isZero();
      List<String> lines = r.lines();
      assertThat(lines).hasSize((order.size() - shard + 2) / 3);
      for (String line : lines) {
        JsonObject o = JsonParser.parseString(line).getAsJsonObject();
        all.add(o.get("key_hex").getAsString() + "/" + o.get("value_sha256").getAsString());
      }
    }
    Set<String> distinct = new HashSet<>(all);
    assertThat(distinct).hasSize(all.size()).hasSize(order.size());
    Cli.Result whole = Cli.run("db-dump", "--db", db, "--db-type", backend);
    Set<String> expected = new HashSet<>();
    for (String line : whole.lines()) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      expected.add(o.get("key_hex").getAsString() + "/" + o.get("value_sha256").getAsString());
    }
    assertThat(distinct).isEqualTo(expected);
  }

  @Test
  void limitStopsEarly() {
    Path db = Cli.testdata().resolve("fmnist-mini/fmnist-mini.minidb");
    Cli.Result r = Cli.run("db-dump", "--db", db.toString(), "--db-type", "MiniDB", "--limit", "5");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.lines()).hasSize(5);
  }

  @Test
  void truncatedMinidbPrintsTheGoodRecordsThenOneLineNamingTheOffset() {
    Path db = Cli.testdata().resolve("bad-inputs/minidb-truncated/minidb-truncated.minidb");
    Cli.Result r = Cli.run("db-dump", "--db", db.toString(), "--db-type", "minidb");
    MakeMnistDbCommandTest.assertOneLineError(r, db.toString(), "minidb");
    assertThat(r.err()).containsAnyOf("00000005", "305");
    assertThat(r.lines()).hasSize(5);
  }

  @Test
  void negativeLengthMinidbIsOneLineNamingTheOffset() {
    Path db =
        Cli.testdata().resolve("bad-inputs/minidb-negative-length/minidb-negative-length.minidb");
    Cli.Result r = Cli.run("db-dump", "--db", db.toString(), "--db-type", "minidb");
    MakeMnistDbCommandTest.assertOneLineError(r, db.toString());
    assertThat(r.err()).containsAnyOf("00000003", "183");
    assertThat(r.lines()).hasSize(3);
  }

  @Test
  void missingDbIsOneLineNamingPathAndType() {
    Path db = tmp.resolve("no-such.minidb");
    Cli.Result r = Cli.run("db-dump", "--db", db.toString(), "--db-type", "minidb");
    MakeMnistDbCommandTest.assertOneLineError(r, db.toString(), "minidb");
  }

  @Test
  void unknownDbTypeIsOneLineListingTheKnownTypes() {
    Path db = Cli.testdata().resolve("fmnist-mini/fmnist-mini.minidb");
    Cli.Result r = Cli.run("db-dump", "--db", db.toString(), "--db-type", "lmbd");
    MakeMnistDbCommandTest.assertOneLineError(r, db.toString(), "unknown db_type 'lmbd'", "minidb");
  }

  @Test
  void emptyDbIsAnError() {
    Path db = Cli.testdata().resolve("bad-inputs/empty-db/empty-db.minidb");
    Cli.Result r = Cli.run("db-dump", "--db", db.toString(), "--db-type", "minidb");
    MakeMnistDbCommandTest.assertOneLineError(r, db.toString(), "empty");
  }

  @Test
  void badShardArgumentsAreRejected() {
    Path db = Cli.testdata().resolve("fmnist-mini/fmnist-mini.minidb");
    Cli.Result r =
        Cli.run(
            "db-dump",
            "--db",
            db.toString(),
            "--db-type",
            "minidb",
            "--num-shards",
            "3",
            "--shard-id",
            "3");
    MakeMnistDbCommandTest.assertOneLineError(r, "--shard-id 3");
  }
}
