package dev.cortado.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * quickstart on the shipped slice (the test hides any installed data set), with the repository's
 * examples/mnist-input-plan.pbtxt.
 */
class QuickstartCommandTest {
  @TempDir Path tmp;
  private String previousHome;

  @BeforeEach
  void pointAtTheRepository() {
    previousHome = System.getProperty("cortado.home");
    System.setProperty("cortado.home", Cli.slice().getParent().getParent().toString());
  }

  @AfterEach
  void restore() {
    if (previousHome == null) {
      System.clearProperty("cortado.home");
    } else {
      System.setProperty("cortado.home", previousHome);
    }
  }

  private Cli.Result quickstart(String... extra) {
    String[] args = new String[] {"quickstart", "--work-dir", tmp.resolve("work").toString(),
        "--system-data-dir", tmp.resolve("no-debian-package").toString()};
    String[] all = new String[args.length + extra.length];
    System.arraycopy(args, 0, all, 0, args.length);
    System.arraycopy(extra, 0, all, args.length, extra.length);
    return Cli.run(all);
  }

  @Test
  void runsTheTutorialPipelineOnTheSliceAndReusesTheDb() throws Exception {
    Cli.Result first = quickstart();
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(first.out()).contains("Zalando Research", "MIT", "apt-get install"
        + " dataset-fashion-mnist", "github.com/zalandoresearch/fashion-mnist", "--data DIR");
    assertThat(first.out()).contains("16 batches of 64 = 1,024 images", "images/s", "MB/s",
        "input wait", "built in");
    Path db = tmp.resolve("work/fashion-mnist-slice-train-nchw-lmdb");
    assertThat(db).isDirectory();
    assertThat(first.out()).contains(db.toString());

    // The summary's numbers are the slice's: first-batch labels and the mean pixel.
    int[] counts = new int[10];
    double pixelSum = 0;
    try (IdxFile images = IdxFile.openImages(MakeMnistDbCommandTest.IMAGES);
        IdxFile labels = IdxFile.openLabels(MakeMnistDbCommandTest.LABELS)) {
      byte[] pixels = new byte[784];
      byte[] label = new byte[1];
      for (int i = 0; i < 1000; i++) {
        images.readItem(pixels);
        labels.readItem(label);
        if (i < 64) {
          counts[label[0]]++;
        }
        for (byte p : pixels) {
          pixelSum += (p & 0xff) / 256.0;
        }
      }
    }
    assertThat(first.out()).contains(String.format("mean pixel   %.4f", pixelSum / 784_000));
    for (int c = 0; c < 10; c++) {
      Matcher m = Pattern.compile("\\n    " + c + " \\S.{10} +(\\d+) ").matcher(first.out());
      assertThat(m.find()).as("histogram row %d in%n%s", c, first.out()).isTrue();
      assertThat(Integer.parseInt(m.group(1))).as("class %d", c).isEqualTo(counts[c]);
    }

    // The DB is make_mnist_db --channel-first's, byte for byte: db-dump matches the oracle.
    Cli.Result dump = Cli.run("db-dump", "--db", db.toString(), "--db-type", "lmdb", "--limit",
        "256");
    java.util.List<Expectations.Rec> expected = Expectations.load("fmnist-mini").records();
    for (int i = 0; i < 256; i++) {
      assertThat(dump.lines().get(i)).contains(expected.get(i).valueSha256());
    }

    Cli.Result second = quickstart("--quiet");
    assertThat(second.exit()).as(second.err()).isZero();
    assertThat(second.out()).contains("reused from an earlier run");
    Cli.Result fresh = quickstart("--fresh", "--quiet");
    assertThat(fresh.exit()).as(fresh.err()).isZero();
    assertThat(fresh.out()).contains("built in");
  }

  @Test
  void anExplicitDataFolderWins() {
    Cli.Result r = quickstart("--data", Cli.slice().toString(), "--quiet", "--db-type", "minidb");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("data         " + Cli.slice())
        .contains("fashion-mnist-data-train-nchw-minidb").doesNotContain("Zalando");
  }

  @Test
  void aDataFolderWithoutTheFilesIsOneLine() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    Cli.Result r = quickstart("--data", empty.toString());
    MakeMnistDbCommandTest.assertOneLineError(r, empty.toString(), "train-images-idx3-ubyte");
  }

  @Test
  void anInterruptedBuildIsNeverReused() throws Exception {
    Path work = Files.createDirectories(tmp.resolve("work"));
    // A leftover from a killed run: a partial DB and no stamp.
    Files.createDirectories(work.resolve("fashion-mnist-slice-train-nchw-lmdb.partial"));
    Files.writeString(work.resolve("fashion-mnist-slice-train-nchw-lmdb.partial/data.mdb"), "x");
    Cli.Result r = quickstart("--quiet");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("built in");
    assertThat(work.resolve("fashion-mnist-slice-train-nchw-lmdb.partial")).doesNotExist();
  }
}
