package dev.cortado.spark.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.db.testkit.FixtureFiles;
import dev.cortado.db.testkit.TestData;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every {@code ./cortado spark-*} command of the README's "Scaling out" section, in order, in
 * a scratch folder that holds what the section assumes: the quickstart LMDB (here the 256-record
 * Fashion-MNIST slice of the test vectors) and a {@code photos/} folder of PNGs. Code blocks marked
 * {@code <!-- readme-test: skip (why) -->} are skipped.
 */
class ReadmeScalingOutTest {
  private static final Set<String> PATH_OPTIONS = Set.of("--db", "--out", "--images", "--labels");

  @TempDir Path work;

  @Test
  void everySparkCommandInTheReadmeRuns() throws IOException {
    List<String> commands = sparkCommands(readme());
    assertThat(commands)
        .as("spark commands in the README's Scaling out section")
        .hasSizeGreaterThanOrEqualTo(4);

    FixtureFiles.copy(
        TestData.root().resolve("fmnist-mini/lmdb"),
        work.resolve(".cortado/fashion-mnist-train-nchw-lmdb"));
    for (String cls : List.of("boots", "shirts")) {
      Path dir = Files.createDirectories(work.resolve("photos").resolve(cls));
      for (int i = 0; i < 6; i++) {
        BufferedImage image = new BufferedImage(40 + i, 30, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(cls.equals("boots") ? Color.ORANGE : Color.CYAN);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        g.dispose();
        ImageIO.write(image, "png", dir.resolve(i + ".png").toFile());
      }
    }

    for (String command : commands) {
      List<String> args = arguments(command);
      Cli.Result r = Cli.run(args.toArray(String[]::new));
      assertThat(r.exitCode()).as("%s%n%s", command, r.stderr()).isZero();
      assertThat(r.stdout())
          .as(command)
          .containsPattern("(?m)^" + args.get(0) + ": \\d+ records, ");
    }
    // The Parquet round trip of the section gives back the source records, byte for byte.
    SparkConvertCommandTest.assertShardsHold(
        IdDataset.scan("lmdb", work.resolve(".cortado/fashion-mnist-train-nchw-lmdb").toString()),
        work.resolve("out/from-parquet"),
        "rocksdb");
  }

  static String readme() throws IOException {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path readme = dir.resolve("README.md");
      if (Files.isRegularFile(readme) && Files.isDirectory(dir.resolve("spark"))) {
        return Files.readString(readme, StandardCharsets.UTF_8);
      }
    }
    throw new IllegalStateException(
        "no README.md in the repository root above " + Path.of("").toAbsolutePath());
  }

  /** The {@code ./cortado spark-*} lines of the section's runnable sh blocks, in order. */
  static List<String> sparkCommands(String readme) {
    int start = readme.indexOf("\n## Scaling out\n");
    assertThat(start).as("README has a '## Scaling out' section").isNotNegative();
    int end = readme.indexOf("\n## ", start + 1);
    String[] lines = readme.substring(start, end < 0 ? readme.length() : end).split("\n");
    List<String> commands = new ArrayList<>();
    boolean inBlock = false;
    boolean skip = false;
    String previous = "";
    for (String line : lines) {
      if (line.startsWith("```")) {
        if (!inBlock) {
          skip = previous.startsWith("<!--") && previous.contains("readme-test: skip");
        }
        inBlock = !inBlock;
      } else if (inBlock && !skip && line.startsWith("./cortado spark-")) {
        commands.add(line.strip());
      }
      if (!line.isBlank()) {
        previous = line.strip();
      }
    }
    return commands;
  }

  /** The command's arguments without {@code ./cortado}, relative paths made relative to work. */
  private List<String> arguments(String command) {
    String[] words = command.split("\\s+");
    List<String> args = new ArrayList<>();
    for (int i = 1; i < words.length; i++) {
      String w = words[i];
      if (i > 1 && PATH_OPTIONS.contains(words[i - 1]) && !w.startsWith("/")) {
        w = work.resolve(w).toString();
      }
      args.add(w);
    }
    args.add("--quiet");
    return args;
  }
}
