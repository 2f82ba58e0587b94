package dev.cortado.cli;

import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A PNG grid of image tensors, each cell labelled with its record key and label: what {@code
 * cortado inspect --image} draws. Only the JDK (ImageIO, Java 2D).
 */
final class ImageGrid {
  /** Fashion-MNIST's class names, by label. */
  static final List<String> FASHION_MNIST =
      List.of(
          "T-shirt/top",
          "Trouser",
          "Pullover",
          "Dress",
          "Coat",
          "Sandal",
          "Shirt",
          "Sneaker",
          "Bag",
          "Ankle boot");

  /** Smallest cell width in pixels; small images are scaled up by a whole factor. */
  static final int MIN_CELL = 84;

  static final int TEXT_LINE = 13;
  static final Color BACKGROUND = new Color(0x20, 0x20, 0x20);

  /** One cell: the image as RGB pixels, its caption lines. */
  record Cell(int width, int height, int[] rgb, String key, String label) {}

  private final List<Cell> cells = new ArrayList<>();

  /**
   * Adds a tensor as an image: dims {@code [H,W]}, {@code [C,H,W]} or {@code [H,W,C]} with 1 or 3
   * channels; BYTE/UINT8 values as they are, any other numeric type scaled from its min..max to
   * 0..255. Returns a reason when the tensor is not an image.
   */
  String add(Tensor t, String key, String label) {
    long[] d = t.dims();
    int h;
    int w;
    int c;
    boolean chw;
    if (d.length == 2) {
      h = (int) d[0];
      w = (int) d[1];
      c = 1;
      chw = true;
    } else if (d.length == 3 && (d[0] == 1 || d[0] == 3) && !(d[2] == 1 || d[2] == 3)) {
      c = (int) d[0];
      h = (int) d[1];
      w = (int) d[2];
      chw = true;
    } else if (d.length == 3 && (d[2] == 1 || d[2] == 3)) {
      h = (int) d[0];
      w = (int) d[1];
      c = (int) d[2];
      chw = false;
    } else {
      return "dims "
          + Arrays.toString(d)
          + " are not [H,W], [C,H,W] or [H,W,C] with 1 or 3"
          + " channels";
    }
    if (h <= 0 || w <= 0 || (long) h * w > 4096L * 4096) {
      return "an image of " + h + "x" + w + " pixels is too small or too large to draw";
    }
    double[] v = values(t);
    if (v == null) {
      return "dtype " + t.dataType().caffe2Name() + " is not numeric";
    }
    double lo = 0;
    double hi = 255;
    if (t.dataType() != DataType.BYTE && t.dataType() != DataType.UINT8) {
      lo = Arrays.stream(v).min().orElse(0);
      hi = Arrays.stream(v).max().orElse(0);
    }
    double scale = hi > lo ? 255 / (hi - lo) : 0;
    int[] rgb = new int[h * w];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int[] ch = new int[3];
        for (int k = 0; k < 3; k++) {
          int kk = c == 1 ? 0 : k;
          int i = chw ? (kk * h + y) * w + x : (y * w + x) * c + kk;
          ch[k] = (int) Math.round(Math.max(0, Math.min(255, (v[i] - lo) * scale)));
        }
        rgb[y * w + x] = (ch[0] << 16) | (ch[1] << 8) | ch[2];
      }
    }
    cells.add(new Cell(w, h, rgb, key, label));
    return null;
  }

  int size() {
    return cells.size();
  }

  private static double[] values(Tensor t) {
    int n = (int) t.numel();
    ByteBuffer b = t.data();
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] =
          switch (t.dataType()) {
            case BYTE, UINT8 -> b.get(i) & 0xff;
            case INT8 -> b.get(i);
            case FLOAT -> b.getFloat(i * 4);
            case DOUBLE -> b.getDouble(i * 8);
            case INT32 -> b.getInt(i * 4);
            case INT64 -> b.getLong(i * 8);
            case INT16 -> b.getShort(i * 2);
            case UINT16 -> b.getShort(i * 2) & 0xffff;
            case FLOAT16 -> TensorText.halfToFloat(b.getShort(i * 2));
            default -> Double.NaN;
          };
      if (Double.isNaN(v[i])
          && t.dataType() != DataType.FLOAT
          && t.dataType() != DataType.DOUBLE
          && t.dataType() != DataType.FLOAT16) {
        return null;
      }
    }
    return v;
  }

  /** Draws the grid (about square) and writes it as PNG. */
  void write(Path png) throws IOException {
    if (cells.isEmpty()) {
      throw new CliException("no image to draw");
    }
    int maxW = cells.stream().mapToInt(Cell::width).max().orElse(1);
    int maxH = cells.stream().mapToInt(Cell::height).max().orElse(1);
    int zoom = Math.max(1, MIN_CELL / maxW);
    int cellW = Math.max(maxW * zoom, MIN_CELL) + 8;
    int cellH = maxH * zoom + 2 * TEXT_LINE + 10;
    int cols = (int) Math.ceil(Math.sqrt(cells.size()));
    int rows = (cells.size() + cols - 1) / cols;
    BufferedImage img = new BufferedImage(cols * cellW, rows * cellH, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(BACKGROUND);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    for (int i = 0; i < cells.size(); i++) {
      Cell cell = cells.get(i);
      int x0 = (i % cols) * cellW + (cellW - cell.width() * zoom) / 2;
      int y0 = (i / cols) * cellH + 4;
      for (int y = 0; y < cell.height() * zoom; y++) {
        for (int x = 0; x < cell.width() * zoom; x++) {
          img.setRGB(x0 + x, y0 + y, cell.rgb()[(y / zoom) * cell.width() + x / zoom]);
        }
      }
    }
    try {
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      g.setColor(Color.WHITE);
      for (int i = 0; i < cells.size(); i++) {
        Cell cell = cells.get(i);
        int x = (i % cols) * cellW + 4;
        int y = (i / cols) * cellH + 4 + maxH * zoom + TEXT_LINE;
        g.drawString(fit(g, cell.key(), cellW - 8), x, y);
        if (cell.label() != null) {
          g.drawString(fit(g, cell.label(), cellW - 8), x, y + TEXT_LINE);
        }
      }
    } catch (RuntimeException | Error noFonts) {
      // A system without fonts still gets the images.
    } finally {
      g.dispose();
    }
    if (!ImageIO.write(img, "png", png.toFile())) {
      throw new CliException("ImageIO has no PNG writer");
    }
  }

  private static String fit(Graphics2D g, String s, int width) {
    String out = s;
    while (out.length() > 1 && g.getFontMetrics().stringWidth(out) > width) {
      out = out.substring(0, out.length() - 2) + "…";
    }
    return out;
  }

  /** Writes {@code png} via a temporary sibling, so a failed draw leaves no half file. */
  static void writeAtomically(ImageGrid grid, Path png) throws IOException {
    Path tmp =
        png.toAbsolutePath()
            .resolveSibling(png.getFileName() + ".partial-" + ProcessHandle.current().pid());
    try {
      grid.write(tmp);
      Files.move(
          tmp,
          png,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
