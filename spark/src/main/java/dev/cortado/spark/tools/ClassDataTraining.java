package dev.cortado.spark.tools;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * The run the {@code ./cortado} launcher makes once per build under {@code
 * -XX:ArchiveClassesAtExit}: every {@code spark-*} command on a small DB, in one JVM, so that the
 * class-data archive holds the classes of each path (DB to DB, DB to Parquet, Parquet to DB, images
 * to DB) and later commands map them instead of loading them.
 *
 * <p>{@code java ... dev.cortado.spark.tools.ClassDataTraining SCRATCH LMDB}: writes under the
 * empty or missing folder SCRATCH, reads the LMDB at LMDB; exits 0 when every command succeeded, 1
 * with the failing command's output on stderr otherwise.
 */
public final class ClassDataTraining {
  private ClassDataTraining() {}

  public static void main(String[] args) {
    if (args.length != 2) {
      System.err.println("usage: ClassDataTraining SCRATCH LMDB");
      System.exit(Main.EXIT_USAGE);
    }
    String failure = run(Path.of(args[0]), Path.of(args[1]));
    if (failure != null) {
      System.err.println(failure);
    }
    // Spark leaves non-daemon threads behind (shuffle, RPC) even after stop().
    System.exit(failure == null ? 0 : Main.EXIT_FAILURE);
  }

  /**
   * Runs the commands; returns null when all succeeded, else the failing command line and what it
   * printed.
   */
  static String run(Path scratch, Path lmdb) {
    String s = scratch.toString();
    writeImages(scratch.resolve("images"));
    List<List<String>> commands =
        List.of(
            List.of(
                "spark-convert",
                "--db",
                lmdb.toString(),
                "--out",
                s + "/shards",
                "--out-shards",
                "2",
                "--out-type",
                "lmdb"),
            List.of(
                "spark-convert",
                "--db",
                s + "/shards",
                "--out",
                s + "/parquet",
                "--out-shards",
                "2",
                "--format",
                "parquet"),
            List.of(
                "spark-convert",
                "--db",
                s + "/parquet",
                "--out",
                s + "/back",
                "--out-shards",
                "2",
                "--out-type",
                "lmdb"),
            List.of(
                "spark-make-db",
                "--images",
                s + "/images",
                "--out",
                s + "/images-db",
                "--out-shards",
                "2",
                "--size",
                "8x8"));
    for (List<String> command : commands) {
      StringWriter text = new StringWriter();
      PrintWriter out = new PrintWriter(text, true);
      String[] args = Stream.concat(Stream.of("--quiet"), command.stream()).toArray(String[]::new);
      if (Main.run(out, out, args) != 0) {
        out.flush();
        return "class-data training: " + String.join(" ", command) + " failed:\n" + text;
      }
    }
    return null;
  }

  /** Two sub-folders (two labels) of small PNGs. */
  private static void writeImages(Path images) {
    try {
      for (int c = 0; c < 2; c++) {
        Path dir = Files.createDirectories(images.resolve("class-" + c));
        for (int i = 0; i < 4; i++) {
          BufferedImage image = new BufferedImage(12 + i, 10, BufferedImage.TYPE_INT_RGB);
          Graphics2D g = image.createGraphics();
          g.setColor(c == 0 ? Color.ORANGE : Color.CYAN);
          g.fillRect(0, 0, image.getWidth(), image.getHeight());
          g.dispose();
          ImageIO.write(image, "png", dir.resolve(i + ".png").toFile());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write training images under " + images, e);
    }
  }
}
