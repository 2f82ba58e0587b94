package dev.cortado.spark.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.cortado.net.Net;
import dev.cortado.proto.Argument;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.proto.TensorProto;
import dev.cortado.proto.TensorProtos;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cortado spark-make-db} on generated PNG folders, read back by TensorProtosDBInput. */
class SparkMakeDbCommandTest {
  private static final String[] CLASSES = {"cat", "dog", "owl"};
  private static final int PER_CLASS = 100;

  @TempDir Path tmp;

  /** Class c's color: every image of a class is filled with it, so pixels tell the class. */
  private static Color color(int c) {
    return new Color(40 + 80 * c, 200 - 60 * c, 10 + 30 * c);
  }

  @Test
  void subFolderLabelsIntoShardsThatTensorProtosDbInputReads() throws IOException {
    Path images = tmp.resolve("images");
    for (int c = 0; c < CLASSES.length; c++) {
      Path dir = Files.createDirectories(images.resolve(CLASSES[c]));
      for (int i = 0; i < PER_CLASS; i++) {
        // Sizes differ from image to image; --size makes them all 8x6.
        writePng(dir.resolve(String.format("img-%03d.png", i)), 20 + i % 7, 12 + i % 5, color(c));
      }
    }
    Path out = tmp.resolve("db");
    Cli.Result r =
        Cli.run(
            "spark-make-db",
            "--images",
            images.toString(),
            "--out",
            out.toString(),
            "--out-shards",
            "3",
            "--out-type",
            "lmdb",
            "--size",
            "8x6",
            "-q");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdout())
        .contains(
            "spark-make-db: labels: 3 classes from the sub-folder names: 0 = cat, 1 = dog, 2 = owl")
        .containsPattern("spark-make-db: 300 records, 3 shards \\(lmdb\\), [0-9.]+ MB in ");
    assertThat(out.resolve("_SUCCESS")).exists();
    List<Path> shards = Cli.shardDirs(out);
    assertThat(shards).hasSize(3);

    int[] perLabel = new int[CLASSES.length];
    int total = 0;
    for (Path shard : shards) {
      List<IdDataset.Record> records = IdDataset.scan("lmdb", shard.toString());
      // Keys: %08d_<relative path>, the index in path order; the label is the folder's.
      for (IdDataset.Record rec : records) {
        String key = rec.keyString();
        assertThat(key).matches("\\d{8}_(cat|dog|owl)/img-\\d{3}\\.png");
        int index = Integer.parseInt(key.substring(0, 8));
        String folder = key.substring(9, key.indexOf('/'));
        int cls = List.of(CLASSES).indexOf(folder);
        int i = Integer.parseInt(key.substring(key.length() - 7, key.length() - 4));
        assertThat(index).isEqualTo(cls * PER_CLASS + i);
        TensorProtos protos = TensorProtos.parseFrom(rec.value());
        assertThat(protos.getProtos(1).getInt32Data(0)).as(key).isEqualTo(cls);
      }
      // One batch of the whole shard through CreateDB + TensorProtosDBInput.
      Batch batch = readOneBatch("lmdb", shard.toString(), records.size());
      assertThat(batch.data().dims()).containsExactly(records.size(), 3, 6, 8);
      assertThat(batch.label().dims()).containsExactly(records.size());
      ByteBuffer pixels = batch.data().data();
      ByteBuffer labels = batch.label().data();
      for (int j = 0; j < records.size(); j++) {
        int label = labels.getInt(4 * j);
        Color expected = color(label);
        int item = j * 3 * 6 * 8;
        int center = 3 * 8 + 4;
        // BGR planes, as OpenCV and so Caffe2's image tools store them.
        assertThat(pixels.get(item + center) & 0xff).isEqualTo(expected.getBlue());
        assertThat(pixels.get(item + 48 + center) & 0xff).isEqualTo(expected.getGreen());
        assertThat(pixels.get(item + 96 + center) & 0xff).isEqualTo(expected.getRed());
        perLabel[label]++;
      }
      total += records.size();
    }
    assertThat(total).isEqualTo(CLASSES.length * PER_CLASS);
    assertThat(perLabel).containsExactly(PER_CLASS, PER_CLASS, PER_CLASS);
  }

  @Test
  void csvLabelsAndGrayImages() throws IOException {
    Path images = Files.createDirectories(tmp.resolve("flat"));
    StringBuilder csv = new StringBuilder("file,label\n");
    for (int i = 0; i < 12; i++) {
      BufferedImage gray = new BufferedImage(5, 4, BufferedImage.TYPE_BYTE_GRAY);
      for (int y = 0; y < 4; y++) {
        for (int x = 0; x < 5; x++) {
          gray.getRaster().setSample(x, y, 0, 10 * i + x + y);
        }
      }
      ImageIO.write(gray, "png", images.resolve("g" + i + ".png").toFile());
      csv.append("g").append(i).append(".png,").append(100 + i).append('\n');
    }
    Path labels = Files.writeString(tmp.resolve("labels.csv"), csv);
    Path out = tmp.resolve("gray-db");
    Cli.Result r =
        Cli.run(
            "spark-make-db",
            "--images",
            images.toString(),
            "--labels",
            labels.toString(),
            "--out",
            out.toString(),
            "--out-shards",
            "2",
            "--out-type",
            "minidb",
            "--channels",
            "1",
            "-q");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    Map<String, Integer> labelByFile = new HashMap<>();
    for (Path shard : Cli.shardDirs(out)) {
      for (IdDataset.Record rec : IdDataset.scan("minidb", shard.toString())) {
        TensorProtos protos = TensorProtos.parseFrom(rec.value());
        TensorProto image = protos.getProtos(0);
        String file = rec.keyString().substring(9);
        int i = Integer.parseInt(file.substring(1, file.indexOf('.')));
        assertThat(image.getDimsList()).containsExactly(1L, 4L, 5L);
        // Gray pixels are kept as they are (no gamma from a color conversion).
        assertThat(image.getByteData().byteAt(2 * 5 + 3) & 0xff).isEqualTo(10 * i + 3 + 2);
        labelByFile.put(file, protos.getProtos(1).getInt32Data(0));
      }
    }
    assertThat(labelByFile).hasSize(12).containsEntry("g0.png", 100).containsEntry("g11.png", 111);
  }

  @Test
  void errorsNameTheFile() throws IOException {
    Path flat = Files.createDirectories(tmp.resolve("no-classes"));
    writePng(flat.resolve("a.png"), 4, 4, Color.RED);
    Cli.Result noClass =
        Cli.run(
            "spark-make-db",
            "--images",
            flat.toString(),
            "--out",
            tmp.resolve("o1").toString(),
            "--out-shards",
            "1",
            "-q");
    assertThat(noClass.exitCode()).isEqualTo(Main.EXIT_FAILURE);
    assertThat(noClass.stderr())
        .startsWith("cortado spark-make-db: error: image a.png is directly in --images " + flat)
        .contains("give --labels FILE");

    Path broken = Files.createDirectories(tmp.resolve("broken/cls"));
    writePng(broken.resolve("good.png"), 4, 4, Color.RED);
    Files.write(broken.resolve("bad.png"), new byte[] {1, 2, 3, 4});
    Path out = tmp.resolve("o2");
    Cli.Result bad =
        Cli.run(
            "spark-make-db",
            "--images",
            broken.getParent().toString(),
            "--out",
            out.toString(),
            "--out-shards",
            "1",
            "-q");
    assertThat(bad.exitCode()).isEqualTo(Main.EXIT_FAILURE);
    assertThat(bad.stderr().lines().count()).as(bad.stderr()).isEqualTo(1);
    assertThat(bad.stderr())
        .contains("bad.png: not a format Java ImageIO reads")
        .doesNotContain("\tat ");
    // Nothing half-written is visible.
    assertThat(out.resolve("_SUCCESS")).doesNotExist();
    assertThat(Files.exists(out) ? Cli.shardDirs(out) : List.of()).isEmpty();
  }

  @Test
  void refusesAnOutInsideTheImages() throws IOException {
    Path images = Files.createDirectories(tmp.resolve("pictures/cls"));
    writePng(images.resolve("a.png"), 4, 4, Color.RED);
    Path root = images.getParent();
    Path out = root.resolve("db");
    Cli.Result r =
        Cli.run(
            "spark-make-db",
            "--images",
            root.toString(),
            "--out",
            out.toString(),
            "--out-shards",
            "1",
            "--overwrite",
            "-q");
    assertThat(r.exitCode()).isEqualTo(Main.EXIT_FAILURE);
    assertThat(r.stderr())
        .isEqualTo(
            "cortado spark-make-db: error: refusing to write "
                + out
                + ": it lies inside the input "
                + root
                + "; nothing was changed"
                + System.lineSeparator());
    assertThat(out).doesNotExist();
  }

  private static void writePng(Path file, int w, int h, Color fill) throws IOException {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(fill);
    g.fillRect(0, 0, w, h);
    g.dispose();
    ImageIO.write(image, "png", file.toFile());
  }

  /** The two outputs of one TensorProtosDBInput batch. */
  record Batch(Tensor data, Tensor label) {}

  static Batch readOneBatch(String dbType, String db, int batchSize) {
    try (Workspace ws = CortadoRuntime.create().newWorkspace()) {
      ws.runNetOnce(
          NetDef.newBuilder()
              .setName("init")
              .addOp(
                  OperatorDef.newBuilder()
                      .setType("CreateDB")
                      .addOutput("dbreader")
                      .addArg(s("db", db))
                      .addArg(s("db_type", dbType)))
              .build());
      Net net =
          ws.createNet(
              NetDef.newBuilder()
                  .setName("input")
                  .addOp(
                      OperatorDef.newBuilder()
                          .setType("TensorProtosDBInput")
                          .addInput("dbreader")
                          .addOutput("data")
                          .addOutput("label")
                          .addArg(
                              Argument.newBuilder().setName("batch_size").setI(batchSize).build()))
                  .build());
      net.run();
      return new Batch(copy(ws.blob("data").tensor()), copy(ws.blob("label").tensor()));
    }
  }

  private static Tensor copy(Tensor t) {
    Tensor c = Tensor.allocate(t.dataType(), t.dims());
    c.data().put(t.data());
    return c;
  }

  private static Argument s(String name, String value) {
    return Argument.newBuilder().setName(name).setS(ByteString.copyFromUtf8(value)).build();
  }
}
