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
 * quickstart on the shipped slice (the test hides any installed data set): the tutorial trained,
 * tested and saved with the repository's examples/mnist nets, and the input-only run with
 * examples/mnist-input-plan.pbtxt; predict on the saved model.
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
    String[] args =
        new String[] {
          "quickstart",
          "--work-dir",
          tmp.resolve("work").toString(),
          "--system-data-dir",
          tmp.resolve("no-debian-package").toString()
        };
    String[] all = new String[args.length + extra.length];
    System.arraycopy(args, 0, all, 0, args.length);
    System.arraycopy(extra, 0, all, args.length, extra.length);
    return Cli.run(all);
  }

  @Test
  void runsTheTutorialPipelineOnTheSliceAndReusesTheDb() throws Exception {
    Cli.Result first = quickstart("--input-only");
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(first.out())
        .contains(
            "Zalando Research",
            "MIT",
            "apt-get install" + " dataset-fashion-mnist",
            "github.com/zalandoresearch/fashion-mnist",
            "--data DIR");
    assertThat(first.out())
        .contains("16 batches of 64 = 1,024 images", "images/s", "MB/s", "input wait", "built in");
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
    Cli.Result dump =
        Cli.run("db-dump", "--db", db.toString(), "--db-type", "lmdb", "--limit", "256");
    java.util.List<Expectations.Rec> expected = Expectations.load("fmnist-mini").records();
    for (int i = 0; i < 256; i++) {
      assertThat(dump.lines().get(i)).contains(expected.get(i).valueSha256());
    }

    Cli.Result second = quickstart("--input-only", "--quiet");
    assertThat(second.exit()).as(second.err()).isZero();
    assertThat(second.out()).contains("reused from an earlier run");
    Cli.Result fresh = quickstart("--input-only", "--fresh", "--quiet");
    assertThat(fresh.exit()).as(fresh.err()).isZero();
    assertThat(fresh.out()).contains("built in");
  }

  @Test
  void anExplicitDataFolderWins() {
    Cli.Result r =
        quickstart(
            "--input-only", "--data", Cli.slice().toString(), "--quiet", "--db-type", "minidb");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("data         " + Cli.slice())
        .contains("fashion-mnist-data-train-nchw-minidb")
        .doesNotContain("Zalando");
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
    Cli.Result r = quickstart("--input-only", "--quiet");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("built in");
    assertThat(work.resolve("fashion-mnist-slice-train-nchw-lmdb.partial")).doesNotExist();
  }

  @Test
  void trainsTestsAndSavesTheTutorialOnTheSlice() throws Exception {
    Cli.Result r = quickstart("--iterations", "4");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out())
        .contains(
            "Training LeNet: 4 iterations of 64 images (--iterations)",
            "4 iterations of 64 = 256 images in",
            "images/s",
            "waiting for TensorProtosDBInput",
            "accuracy on 1,000 training images",
            "not meaningful: the 1,000-image slice has no test" + " set",
            "cortado bench --db",
            "one cold epoch",
            "Next: ./cortado predict");
    Path model = tmp.resolve("work/fashion-mnist-slice-lenet/model.minidb");
    Path deploy = tmp.resolve("work/fashion-mnist-slice-lenet/deploy_net.pbtxt");
    assertThat(model).isRegularFile();
    assertThat(deploy).isRegularFile();
    Matcher m = Pattern.compile("test +(\\d+\\.\\d+)% accuracy on 1,000").matcher(r.out());
    assertThat(m.find()).as(r.out()).isTrue();
    String accuracy = m.group(1);

    // The saved model, loaded back in another run, classifies the same images the same way.
    Path db = tmp.resolve("work/fashion-mnist-slice-train-nchw-lmdb");
    Cli.Result p =
        Cli.run(
            "predict",
            "--init",
            model.toString(),
            "--net",
            deploy.toString(),
            "--db",
            db.toString(),
            "--db-type",
            "lmdb");
    assertThat(p.exit()).as(p.err()).isZero();
    assertThat(p.out()).startsWith("accuracy " + accuracy + "% (");
    assertThat(p.out())
        .contains("of 1,000 images", "confusion matrix", "0 T-shirt/top", "9 Ankle boot");
    // Rows of the matrix add up to the images of each class.
    long total = 0;
    for (String line : p.lines()) {
      Matcher row = Pattern.compile("^    \\d \\S.{11}((?: +\\d+){10})").matcher(line);
      if (row.find()) {
        for (String n : row.group(1).trim().split(" +")) {
          total += Long.parseLong(n);
        }
      }
    }
    assertThat(total).isEqualTo(1000);

    Cli.Result j = quickstart("--iterations", "2", "--json");
    assertThat(j.exit()).as(j.err()).isZero();
    assertThat(j.lines()).hasSize(1);
    com.google.gson.JsonObject o =
        com.google.gson.JsonParser.parseString(j.out()).getAsJsonObject();
    assertThat(o.get("iterations").getAsLong()).isEqualTo(2);
    assertThat(o.get("test_accuracy").getAsDouble()).isBetween(0.0, 1.0);
    assertThat(o.get("test_accuracy_meaningful").getAsBoolean()).isFalse();
    assertThat(o.get("train_images_per_s").getAsDouble()).isPositive();
    assertThat(o.get("input_wait_fraction").getAsDouble()).isBetween(0.0, 1.0);
    assertThat(o.get("seconds").getAsDouble()).isPositive();
    assertThat(o.get("model").getAsString()).isEqualTo(model.toString());
    assertThat(j.err()).contains("1,000-image slice");
  }

  @Test
  void predictClassifiesOnePng() throws Exception {
    Cli.Result r = quickstart("--iterations", "2", "--quiet");
    assertThat(r.exit()).as(r.err()).isZero();
    Path model = tmp.resolve("work/fashion-mnist-slice-lenet/model.minidb");
    Path deploy = tmp.resolve("work/fashion-mnist-slice-lenet/deploy_net.pbtxt");
    byte[] pixels = new byte[784];
    try (IdxFile images = IdxFile.openImages(MakeMnistDbCommandTest.IMAGES)) {
      images.readItem(pixels);
    }
    java.awt.image.BufferedImage img =
        new java.awt.image.BufferedImage(28, 28, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
    for (int i = 0; i < 784; i++) {
      img.getRaster().setSample(i % 28, i / 28, 0, pixels[i] & 0xff);
    }
    Path png = tmp.resolve("first.png");
    javax.imageio.ImageIO.write(img, "png", png.toFile());
    Cli.Result p =
        Cli.run(
            "predict",
            "--init",
            model.toString(),
            "--net",
            deploy.toString(),
            "--image",
            png.toString());
    assertThat(p.exit()).as(p.err()).isZero();
    assertThat(p.lines().get(0)).matches(".*first\\.png: class \\d \\S.*\\(\\d+\\.\\d%\\)");
    assertThat(p.lines()).hasSize(3);

    java.awt.image.BufferedImage big =
        new java.awt.image.BufferedImage(32, 28, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
    javax.imageio.ImageIO.write(big, "png", png.toFile());
    Cli.Result bad =
        Cli.run(
            "predict",
            "--init",
            model.toString(),
            "--net",
            deploy.toString(),
            "--image",
            png.toString());
    assertThat(bad.exit()).isEqualTo(Main.EXIT_FAILURE);
    assertThat(bad.err()).contains("expected 28x28 pixels, found 32x28");
  }
}
