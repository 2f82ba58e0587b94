package dev.cortado.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.cortado.proto.NetDef;
import dev.cortado.tensor.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RunNetCommandTest {
  @TempDir Path tmp;

  static Stream<Arguments> sharedDbs() {
    return DbDumpCommandTest.sharedDbs();
  }

  /**
   * Every expectations run (batch sizes 1, 7, 64; unsharded and 3 shards) of every shared dataset,
   * through run-net --digest, on every backend.
   */
  @ParameterizedTest(name = "{0} {2}")
  @MethodSource("sharedDbs")
  void digestsReproduceEveryExpectedBatch(String dataset, int group, String backend, String path)
      throws IOException {
    Expectations exp = Expectations.load(dataset);
    JsonObject groupJson = exp.json().getAsJsonArray("groups").get(group).getAsJsonObject();
    Path db = TestDbs.copy(Path.of(path), tmp);
    int outputs = exp.json().getAsJsonArray("outputs").size();
    List<String> names = new ArrayList<>();
    for (int j = 0; j < outputs; j++) {
      names.add("out" + j);
    }
    for (JsonElement runElement : groupJson.getAsJsonArray("runs")) {
      JsonObject run = runElement.getAsJsonObject();
      int batchSize = run.get("batch_size").getAsInt();
      int numShards = run.get("num_shards").getAsInt();
      int shardId = run.get("shard_id").getAsInt();
      JsonArray batches = run.getAsJsonArray("batches");
      Path init = write("init.pbtxt", initNet(db.toString(), backend, numShards, shardId));
      Path read = write("read.pbtxt", readNet(names, batchSize));
      Cli.Result r =
          Cli.run(
              "run-net",
              "--init",
              init.toString(),
              "--net",
              read.toString(),
              "--iterations",
              String.valueOf(batches.size()),
              "--digest",
              String.join(",", names));
      String what =
          dataset + " " + backend + " batch " + batchSize + " shard " + shardId + "/" + numShards;
      assertThat(r.exit()).as(what + ": " + r.err()).isZero();
      assertThat(r.lines()).as(what).hasSize(batches.size());
      for (int b = 0; b < batches.size(); b++) {
        JsonObject line = JsonParser.parseString(r.lines().get(b)).getAsJsonObject();
        assertThat(line.get("run").getAsInt()).isEqualTo(b);
        JsonArray got = line.getAsJsonArray("outputs");
        JsonArray want = batches.get(b).getAsJsonObject().getAsJsonArray("outputs");
        for (int j = 0; j < outputs; j++) {
          JsonObject g = got.get(j).getAsJsonObject();
          JsonObject w = want.get(j).getAsJsonObject();
          assertThat(g.get("name").getAsString()).isEqualTo("out" + j);
          assertThat(g.get("dtype").getAsString())
              .as(what)
              .isEqualTo(DataType.fromName(w.get("dtype").getAsString()).orElseThrow().shortName());
          assertThat(g.get("shape")).as(what).isEqualTo(w.get("shape"));
          assertThat(g.get("sha256").getAsString())
              .as("%s batch %d output %d", what, b, j)
              .isEqualTo(w.get("sha256").getAsString());
        }
      }
    }
  }

  static Stream<Arguments> badInputs() throws IOException {
    JsonObject manifest =
        JsonParser.parseString(Files.readString(Cli.testdata().resolve("bad-inputs/manifest.json")))
            .getAsJsonObject();
    List<Arguments> out = new ArrayList<>();
    JsonElement cases = manifest.get("cases");
    for (JsonElement e : cases.getAsJsonArray()) {
      JsonObject c = e.getAsJsonObject();
      for (JsonElement d : c.getAsJsonArray("dbs")) {
        JsonObject db = d.getAsJsonObject();
        String backend = db.get("backend").getAsString();
        if (TestDbs.available().contains(backend)) {
          List<String> tokens = new ArrayList<>();
          c.getAsJsonArray("error_must_contain_any_of").forEach(t -> tokens.add(t.getAsString()));
          if (tokens.isEmpty()) {
            // empty-db names no record; its message must say the DB is empty.
            c.getAsJsonArray("error_should_mention").forEach(t -> tokens.add(t.getAsString()));
          }
          out.add(
              Arguments.of(
                  c.get("case").getAsString(),
                  backend,
                  Cli.testdata()
                      .resolve("bad-inputs")
                      .resolve(db.get("path").getAsString())
                      .toString(),
                  tokens,
                  c.getAsJsonArray("batch_size_1_batches_before_error")));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("badInputs")
  void everyBadInputIsOneLineNamingTheRecord(
      String name, String backend, String path, List<String> tokens, JsonArray before)
      throws IOException {
    Path db = TestDbs.copy(Path.of(path), tmp);
    Path init = write("init.pbtxt", initNet(db.toString(), backend, 1, 0));
    Path read = write("read.pbtxt", readNet(List.of("a", "b", "c"), 1));
    Cli.Result r =
        Cli.run(
            "run-net",
            "--init",
            init.toString(),
            "--net",
            read.toString(),
            "--iterations",
            "12",
            "--digest",
            "a,b,c");
    MakeMnistDbCommandTest.assertOneLineError(r, db.toString());
    assertThat(r.err()).as(name).containsAnyOf(tokens.toArray(String[]::new));
    assertThat(r.err()).doesNotContain("OutOfMemoryError");
    // The batches made of records before the bad one come out first, as expected.
    assertThat(r.lines()).as(name).hasSize(before.size());
    for (int b = 0; b < r.lines().size(); b++) {
      JsonArray got =
          JsonParser.parseString(r.lines().get(b)).getAsJsonObject().getAsJsonArray("outputs");
      JsonArray want = before.get(b).getAsJsonObject().getAsJsonArray("outputs");
      for (int j = 0; j < want.size(); j++) {
        assertThat(got.get(j).getAsJsonObject().get("sha256"))
            .isEqualTo(want.get(j).getAsJsonObject().get("sha256"));
      }
    }
  }

  @Test
  void setOverridesAnArgumentInBothNetsKeepingItsType() throws IOException {
    Path db = Cli.testdata().resolve("fmnist-mini/fmnist-mini.minidb");
    Path init = write("init.pbtxt", initNet("/nonexistent/elsewhere.minidb", "lmdb", 1, 0));
    Path read = write("read.pbtxt", readNet(List.of("image", "label"), 7));
    Cli.Result r =
        Cli.run(
            "run-net",
            "--init",
            init.toString(),
            "--net",
            read.toString(),
            "--set",
            "db=" + db,
            "--set",
            "db_type=minidb",
            "--set",
            "batch_size=64",
            "--digest",
            "image",
            "--digest",
            "label");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonObject line = JsonParser.parseString(r.lines().get(0)).getAsJsonObject();
    assertThat(line.getAsJsonArray("outputs").get(0).getAsJsonObject().get("shape").toString())
        .isEqualTo("[64,1,28,28]");
    assertThat(line.getAsJsonArray("outputs").get(1).getAsJsonObject().get("sha256").getAsString())
        .isEqualTo(firstBatchLabelSha(64));
  }

  @Test
  void setOfAnArgumentNoOperatorHasIsAnError() throws IOException {
    Path init = write("init.pbtxt", initNet("x", "minidb", 1, 0));
    Path read = write("read.pbtxt", readNet(List.of("image", "label"), 7));
    Cli.Result r =
        Cli.run(
            "run-net",
            "--init",
            init.toString(),
            "--net",
            read.toString(),
            "--set",
            "batchsize=64");
    MakeMnistDbCommandTest.assertOneLineError(r, "--set batchsize", "no operator");
  }

  @Test
  void setOfANonNumberForAnIntegerArgumentIsAnError() throws IOException {
    Path init = write("init.pbtxt", initNet("x", "minidb", 1, 0));
    Path read = write("read.pbtxt", readNet(List.of("image", "label"), 7));
    Cli.Result r =
        Cli.run(
            "run-net",
            "--init",
            init.toString(),
            "--net",
            read.toString(),
            "--set",
            "batch_size=lots");
    MakeMnistDbCommandTest.assertOneLineError(
        r, "batch_size", "TensorProtosDBInput", "integer", "lots");
  }

  @Test
  void binaryNetDefsRunLikeText() throws IOException {
    Path db = Cli.testdata().resolve("fmnist-mini/fmnist-mini.minidb");
    Path init = tmp.resolve("init.pb");
    Files.write(
        init,
        ProtoFiles.read(
                write("i.pbtxt", initNet(db.toString(), "minidb", 1, 0)),
                NetDef.getDefaultInstance(),
                "init")
            .toByteArray());
    Path read = tmp.resolve("read.pb");
    Files.write(
        read,
        ProtoFiles.read(
                write("r.pbtxt", readNet(List.of("image", "label"), 64)),
                NetDef.getDefaultInstance(),
                "net")
            .toByteArray());
    Cli.Result r =
        Cli.run(
            "run-net", "--init", init.toString(), "--net", read.toString(), "--digest", "label");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains(firstBatchLabelSha(64));
  }

  @Test
  void statsPrintsTheInputOperatorsMetrics() throws IOException {
    Path db = Cli.testdata().resolve("fmnist-mini/fmnist-mini.minidb");
    Path init = write("init.pbtxt", initNet(db.toString(), "minidb", 1, 0));
    Path read = write("read.pbtxt", readNet(List.of("image", "label"), 64));
    Cli.Result r =
        Cli.run(
            "run-net",
            "--init",
            init.toString(),
            "--net",
            read.toString(),
            "--iterations",
            "3",
            "--stats");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonObject stats =
        JsonParser.parseString(r.lines().get(r.lines().size() - 1))
            .getAsJsonObject()
            .getAsJsonArray("stats")
            .get(0)
            .getAsJsonObject();
    assertThat(stats.get("type").getAsString()).isEqualTo("TensorProtosDBInput");
    assertThat(stats.get("batches").getAsLong()).isEqualTo(3);
    assertThat(stats.get("records_read").getAsLong()).isGreaterThanOrEqualTo(3 * 64);
  }

  @Test
  void missingNetFileIsOneLine() {
    Path missing = tmp.resolve("nope.pbtxt");
    Cli.Result r = Cli.run("run-net", "--net", missing.toString());
    MakeMnistDbCommandTest.assertOneLineError(r, missing.toString(), "no such file");
  }

  @Test
  void textThatIsNotANetDefNamesTheLine() throws IOException {
    Path bad = write("bad.pbtxt", "name: \"x\"\nop { type: \"Cast\" bogus_field: 3 }\n");
    Cli.Result r = Cli.run("run-net", "--net", bad.toString());
    MakeMnistDbCommandTest.assertOneLineError(r, bad.toString(), "2:", "bogus_field");
  }

  @Test
  void unknownOperatorNamesTheOperatorAndSuggests() throws IOException {
    Path net =
        write("net.pbtxt", "name: \"n\"\nop { type: \"Scal\" input: \"x\" output: \"x\" }\n");
    Path init =
        write(
            "init.pbtxt",
            "name: \"i\"\nop { type: \"ConstantFill\" output: \"x\""
                + " arg { name: \"shape\" ints: 2 } }\n");
    Cli.Result r = Cli.run("run-net", "--init", init.toString(), "--net", net.toString());
    MakeMnistDbCommandTest.assertOneLineError(r, "Scal", "Scale");
  }

  @Test
  void digestOfAMissingBlobListsTheBlobs() throws IOException {
    Path db = Cli.testdata().resolve("fmnist-mini/fmnist-mini.minidb");
    Path init = write("init.pbtxt", initNet(db.toString(), "minidb", 1, 0));
    Path read = write("read.pbtxt", readNet(List.of("image", "label"), 64));
    Cli.Result r =
        Cli.run(
            "run-net", "--init", init.toString(), "--net", read.toString(), "--digest", "imagez");
    MakeMnistDbCommandTest.assertOneLineError(r, "--digest imagez", "image", "label");
  }

  /** The expected sha256 of the first unsharded batch's label output for fmnist-mini. */
  static String firstBatchLabelSha(int batchSize) {
    JsonObject group =
        Expectations.load("fmnist-mini").json().getAsJsonArray("groups").get(0).getAsJsonObject();
    for (JsonElement e : group.getAsJsonArray("runs")) {
      JsonObject run = e.getAsJsonObject();
      if (run.get("batch_size").getAsInt() == batchSize && run.get("num_shards").getAsInt() == 1) {
        return run.getAsJsonArray("batches")
            .get(0)
            .getAsJsonObject()
            .getAsJsonArray("outputs")
            .get(1)
            .getAsJsonObject()
            .get("sha256")
            .getAsString();
      }
    }
    throw new IllegalStateException("no batch " + batchSize + " run");
  }

  static String initNet(String db, String type, int numShards, int shardId) {
    return "name: \"init\"\n"
        + "op {\n  type: \"CreateDB\"\n  output: \"dbreader\"\n"
        + "  arg { name: \"db\" s: \""
        + db.replace("\\", "\\\\")
        + "\" }\n"
        + "  arg { name: \"db_type\" s: \""
        + type
        + "\" }\n"
        + (numShards == 1
            ? ""
            : "  arg { name: \"num_shards\" i: "
                + numShards
                + " }\n"
                + "  arg { name: \"shard_id\" i: "
                + shardId
                + " }\n")
        + "}\n";
  }

  static String readNet(List<String> outputs, int batchSize) {
    StringBuilder sb =
        new StringBuilder(
            "name: \"read\"\nop {\n  type: \"TensorProtosDBInput\"\n" + "  input: \"dbreader\"\n");
    for (String o : outputs) {
      sb.append("  output: \"").append(o).append("\"\n");
    }
    return sb.append("  arg { name: \"batch_size\" i: ")
        .append(batchSize)
        .append(" }\n}\n")
        .toString();
  }

  private Path write(String name, String content) throws IOException {
    Path p = tmp.resolve(name);
    Files.writeString(p, content);
    return p;
  }
}
