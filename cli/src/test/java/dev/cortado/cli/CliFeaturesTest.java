package dev.cortado.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.cortado.db.Db;
import dev.cortado.db.DbProvider;
import dev.cortado.db.Mode;
import dev.cortado.runtime.CortadoModule;
import dev.cortado.runtime.CortadoRuntime;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Type detection, repair-db, inspect's count and picture, db-dump keys, plot, --version. */
class CliFeaturesTest {
  @TempDir Path tmp;

  static List<String> backends() {
    return TestDbs.BACKENDS;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void theDbTypeIsDetectedAndAWrongOneIsNamed(String backend) throws Exception {
    Path db = TestDbs.copy(DbToolsTest.sharedDb("fmnist-mini", backend), tmp);
    String before = OutputSafetyTest.treeHash(db);
    Cli.Result r = Cli.run("db-dump", "--db", db.toString(), "--limit", "1");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.lines()).hasSize(1);
    String wrong = backend.equals("lmdb") ? "minidb" : "lmdb";
    r = Cli.run("inspect", "--db", db.toString(), "--db-type", wrong);
    MakeMnistDbCommandTest.assertOneLineError(r, db + " looks like ", "; try --db-type " + backend);
    assertThat(OutputSafetyTest.treeHash(db)).as("detection never writes").isEqualTo(before);
  }

  @Test
  void theLmdbMessageReadsAsTheManualSays() {
    Path lmdb = DbToolsTest.sharedDb("fmnist-mini", "lmdb");
    Cli.Result r = Cli.run("inspect", "--db", lmdb.toString(), "--db-type", "rocksdb");
    MakeMnistDbCommandTest.assertOneLineError(
        r,
        lmdb
            + " looks like an LMDB environment (data.mdb), not a RocksDB database; try"
            + " --db-type lmdb");
  }

  @Test
  void anUnrecognizableDbAsksForItsType() throws Exception {
    Path junk = Files.writeString(tmp.resolve("junk.bin"), "\u0001\u0002");
    Cli.Result r = Cli.run("inspect", "--db", junk.toString());
    MakeMnistDbCommandTest.assertOneLineError(
        r, "cannot tell the db type of " + junk, "pass --db-type");
  }

  @Test
  void aMissingDbIsOneErrorWithOnePrefix() {
    Path missing = tmp.resolve("nothing-here");
    Cli.Result r = Cli.run("inspect", "--db", missing.toString(), "--db-type", "lmdb");
    MakeMnistDbCommandTest.assertOneLineError(r, missing.toString());
    assertThat(r.err()).doesNotContain("db_type lmdb: lmdb").doesNotContain("lmdb: lmdb:");
  }

  @Test
  void repairDbKeepsTheWholeRecordsInANewFile() throws Exception {
    Path torn = Cli.testdata().resolve("bad-inputs/minidb-truncated/minidb-truncated.minidb");
    Cli.Result bad = Cli.run("db-dump", "--db", torn.toString());
    assertThat(bad.err()).contains("cortado repair-db --db " + torn);
    Path copy = Files.copy(torn, tmp.resolve("torn.minidb"));
    String before = OutputSafetyTest.treeHash(copy);
    Cli.Result r = Cli.run("repair-db", "--db", copy.toString(), "--json");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
    long kept = o.get("records_kept").getAsLong();
    assertThat(kept).isPositive();
    assertThat(o.get("bytes_dropped").getAsLong()).isPositive();
    Path repaired = Path.of(copy + ".repaired");
    assertThat(OutputSafetyTest.treeHash(copy)).as("the input is never changed").isEqualTo(before);
    Cli.Result dump = Cli.run("db-dump", "--db", repaired.toString());
    assertThat(dump.exit()).as(dump.err()).isZero();
    assertThat(dump.lines()).hasSize((int) kept);
    r = Cli.run("repair-db", "--db", copy.toString());
    MakeMnistDbCommandTest.assertOneLineError(r, repaired + " already exists");
    r = Cli.run("repair-db", "--db", copy.toString(), "--overwrite");
    assertThat(r.out()).startsWith("kept " + kept + " records");
  }

  @Test
  void inspectCountsExactlyOrSaysAtLeast() {
    Path lmdb = DbToolsTest.sharedDb("fmnist-mini", "lmdb");
    Cli.Result r = Cli.run("inspect", "--db", lmdb.toString(), "--limit", "1", "--json");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonObject last = JsonParser.parseString(r.lines().get(r.lines().size() - 1)).getAsJsonObject();
    assertThat(last.get("records").getAsLong()).isEqualTo(256);
    assertThat(last.get("records_exact").getAsBoolean()).isTrue();
    JsonObject first = JsonParser.parseString(r.lines().get(0)).getAsJsonObject();
    assertThat(first.get("key").getAsString()).isEqualTo("00000000");
    r =
        Cli.run(
            "inspect",
            "--db",
            DbToolsTest.sharedDb("fmnist-mini", "minidb").toString(),
            "--limit",
            "2",
            "--num-shards",
            "3",
            "--shard-id",
            "2");
    assertThat(r.out())
        .contains("'00000002'", "'00000005'")
        .contains("2 records shown of 85 in shard 2 of 3 of db ");
  }

  @Test
  void anEmptyDbGetsTheSameAnswerEverywhere() {
    Path empty = Cli.testdata().resolve("bad-inputs/empty-db/empty-db.minidb");
    Cli.Result inspect = Cli.run("inspect", "--db", empty.toString());
    assertThat(inspect.out()).contains(Dbs.EMPTY);
    Cli.Result throughput = Cli.run("db-throughput", "--db", empty.toString());
    assertThat(throughput.err()).contains(Dbs.EMPTY);
    Cli.Result bench = Cli.run("bench", "--db", empty.toString(), "--batch-size", "2");
    assertThat(bench.err()).contains(Dbs.EMPTY);
  }

  @Test
  void inspectImageDrawsTheRecordsWithTheirLabels() throws Exception {
    Path db = DbToolsTest.sharedDb("fmnist-mini", "minidb");
    Path png = tmp.resolve("grid.png");
    Cli.Result r =
        Cli.run(
            "inspect",
            "--db",
            db.toString(),
            "--image",
            png.toString(),
            "--limit",
            "4",
            "--class-names",
            "fashion-mnist");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("drew 4 images (tensor 0) into " + png);
    BufferedImage img = ImageIO.read(png.toFile());
    // 4 cells in a 2 x 2 grid; each 28x28 image is drawn 3 times as large.
    int cellW = 28 * 3 + 8;
    int cellH = 28 * 3 + 2 * ImageGrid.TEXT_LINE + 10;
    assertThat(img.getWidth()).isEqualTo(2 * cellW);
    assertThat(img.getHeight()).isEqualTo(2 * cellH);
    // The first record's pixels, as the DB holds them (BYTE, [1,28,28]).
    Cli.Result first =
        Cli.run("inspect", "--db", db.toString(), "--limit", "1", "--values", "784", "--json");
    JsonObject rec = JsonParser.parseString(first.lines().get(0)).getAsJsonObject();
    String[] values =
        rec.getAsJsonArray("tensors")
            .get(0)
            .getAsJsonObject()
            .get("values")
            .getAsString()
            .split(" ");
    int x0 = (cellW - 28 * 3) / 2;
    int y0 = 4;
    int checked = 0;
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        int v = Integer.parseInt(values[y * 28 + x]);
        int rgb = img.getRGB(x0 + 3 * x + 1, y0 + 3 * y + 1) & 0xffffff;
        assertThat(rgb).as("pixel (%d,%d)", x, y).isEqualTo((v << 16) | (v << 8) | v);
        checked += v > 0 ? 1 : 0;
      }
    }
    assertThat(checked).as("the first image is not blank").isGreaterThan(100);
    // Captions are drawn under each image: the text rows hold light pixels.
    int lit = 0;
    for (int y = y0 + 28 * 3; y < cellH; y++) {
      for (int x = 0; x < cellW; x++) {
        lit += (img.getRGB(x, y) & 0xff) > 0x80 ? 1 : 0;
      }
    }
    assertThat(lit).as("caption pixels").isGreaterThan(20);
  }

  @Test
  void dbDumpShowsPrintableKeysAsText() {
    Cli.Result r =
        Cli.run("db-dump", "--db", DbToolsTest.sharedDb("key-order", "minidb").toString());
    assertThat(r.exit()).as(r.err()).isZero();
    for (String line : r.lines()) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      String hex = o.get("key_hex").getAsString();
      byte[] key = java.util.HexFormat.of().parseHex(hex);
      boolean printable = true;
      for (byte b : key) {
        printable &= b >= 0x20 && b < 0x7f;
      }
      if (printable) {
        assertThat(o.get("key").getAsString())
            .isEqualTo(new String(key, java.nio.charset.StandardCharsets.US_ASCII));
      } else {
        assertThat(o.get("key").isJsonNull()).as(line).isTrue();
      }
    }
  }

  @Test
  void plotDrawsOneBarPerRunWithItsSpread() throws Exception {
    Path json = tmp.resolve("runs.json");
    Files.writeString(
        json,
        "{\"db_type\":\"lmdb\",\"batch_size\":64,"
            + "\"items_per_s_median\":2000000,\"items_per_s_min\":1800000,"
            + "\"items_per_s_max\":2100000}\n"
            + "{\"label\":\"minidb <b64>\",\"items_per_s_median\":1000000}\n");
    Path svg = tmp.resolve("chart.svg");
    Cli.Result r = Cli.run("plot", "--json", json.toString(), "--svg", svg.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    String text = Files.readString(svg);
    assertThat(text)
        .startsWith("<svg")
        .contains("lmdb batch 64", "minidb &lt;b64&gt;", "median 2.00M, min 1.80M, max 2.10M");
    javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile());
  }

  @Test
  void aGuiceOverrideAppliesToTheDbTools() {
    DbProvider renamed =
        new DbProvider() {
          @Override
          public String name() {
            return "renamed-minidb";
          }

          @Override
          public Db open(String source, Mode mode) {
            return Dbs.registry().open("minidb", source, mode);
          }
        };
    CortadoRuntime rt =
        CortadoRuntime.create(
            binder ->
                CortadoModule.dbProviders(binder).addBinding("renamed-minidb").toInstance(renamed));
    Runtimes.use(rt);
    try {
      Cli.Result r =
          Cli.run(
              "db-dump",
              "--db",
              DbToolsTest.sharedDb("fmnist-mini", "minidb").toString(),
              "--db-type",
              "renamed-minidb",
              "--limit",
              "2");
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(r.lines()).hasSize(2);
    } finally {
      Runtimes.use(null);
    }
  }

  @Test
  void versionNamesJavaAndWhatWasFound() {
    Cli.Result r = Cli.run("--version");
    assertThat(r.exit()).isZero();
    assertThat(r.out())
        .startsWith("cortado ")
        .contains("git commit: ", "java: 17", "db backends: ", "lmdb (", "operator providers: ");
  }

  @Test
  void completionIsABashScript() {
    Cli.Result r = Cli.run("generate-completion");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("complete -F", "convert-db", "repair-db");
  }

  @Test
  void caffe2FlagNamesStillWork() throws Exception {
    Path in = DbToolsTest.sharedDb("fmnist-mini", "minidb");
    Path out = tmp.resolve("copy.minidb");
    Cli.Result r =
        Cli.run(
            "convert-db",
            "--input_db",
            in.toString(),
            "--input_db_type",
            "minidb",
            "--output_db=" + out,
            "--output_db_type",
            "minidb",
            "--batch_size",
            "10");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("copied 256 records");
  }
}
