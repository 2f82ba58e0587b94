package dev.cortado.spark.tools;

import com.google.protobuf.ByteString;
import dev.cortado.proto.TensorProto;
import dev.cortado.proto.TensorProtos;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Turns image files (Spark's {@code binaryFile} rows: path, content) into Caffe2 image records: key
 * {@code %08d_<relative path>}, value TensorProtos of a BYTE {@code [C,H,W]} image (channels in
 * OpenCV's BGR order, as Caffe2's image tools stored them) and an INT32 scalar label, the layout of
 * Caffe2's {@code make_mnist_db --channel_first}.
 */
final class ImageRecords implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  /** Where one image goes: its record key and label. */
  record Target(String key, int label) implements Serializable {}

  private final Broadcast<Map<String, Target>> targets;
  private final int width;
  private final int height;
  private final int channels;

  /**
   * @param targets file path (as Spark's binaryFile source spells it) to key and label
   * @param width output width, or 0 to keep each image's own
   * @param height output height, or 0 to keep each image's own
   * @param channels 3 (BGR) or 1 (gray)
   */
  ImageRecords(Broadcast<Map<String, Target>> targets, int width, int height, int channels) {
    this.targets = targets;
    this.width = width;
    this.height = height;
    this.channels = channels;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> files) {
    Map<String, Target> byPath = targets.value();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return files.hasNext();
      }

      @Override
      public Row next() {
        Row file = files.next();
        String path = file.getString(0);
        Target target = byPath.get(path);
        if (target == null) {
          throw new ToolException(
              "image " + path + ": not in the list of images the job started with");
        }
        byte[] value = encode(path, (byte[]) file.get(1), target.label());
        return RowFactory.create(target.key().getBytes(StandardCharsets.UTF_8), value);
      }
    };
  }

  private byte[] encode(String uri, byte[] content, int label) {
    // Spark names local files file:/...; the user gave a plain path.
    String path = uri.startsWith("file:") ? uri.substring("file:".length()) : uri;
    BufferedImage src;
    try {
      src = ImageIO.read(new ByteArrayInputStream(content));
    } catch (IOException | RuntimeException e) {
      throw new ToolException("image " + path + ": cannot decode (" + e.getMessage() + ")", e);
    }
    if (src == null) {
      throw new ToolException(
          "image " + path + ": not a format Java ImageIO reads (PNG, JPEG, GIF, BMP)");
    }
    int w = width > 0 ? width : src.getWidth();
    int h = height > 0 ? height : src.getHeight();
    byte[] chw = pixels(src, w, h, channels);
    TensorProto image =
        TensorProto.newBuilder()
            .addDims(channels)
            .addDims(h)
            .addDims(w)
            .setDataType(TensorProto.DataType.BYTE)
            .setByteData(ByteString.copyFrom(chw))
            .build();
    TensorProto labelProto =
        TensorProto.newBuilder()
            .setDataType(TensorProto.DataType.INT32)
            .addInt32Data(label)
            .build();
    return TensorProtos.newBuilder().addProtos(image).addProtos(labelProto).build().toByteArray();
  }

  /**
   * The image scaled to {@code w x h} (bilinear), channel-first. Gray images stay in their own
   * color space: drawing a gray image into an RGB one would apply a gamma curve.
   */
  static byte[] pixels(BufferedImage src, int w, int h, int channels) {
    int plane = w * h;
    byte[] chw = new byte[channels * plane];
    if (src.getType() == BufferedImage.TYPE_BYTE_GRAY) {
      byte[] gray = raster(scaled(src, w, h, BufferedImage.TYPE_BYTE_GRAY));
      for (int c = 0; c < channels; c++) {
        System.arraycopy(gray, 0, chw, c * plane, plane);
      }
      return chw;
    }
    byte[] bgr = raster(scaled(src, w, h, BufferedImage.TYPE_3BYTE_BGR));
    if (channels == 3) {
      for (int p = 0; p < plane; p++) {
        chw[p] = bgr[3 * p];
        chw[plane + p] = bgr[3 * p + 1];
        chw[2 * plane + p] = bgr[3 * p + 2];
      }
    } else {
      // OpenCV's BGR2GRAY weights.
      for (int p = 0; p < plane; p++) {
        int b = bgr[3 * p] & 0xff;
        int g = bgr[3 * p + 1] & 0xff;
        int r = bgr[3 * p + 2] & 0xff;
        chw[p] = (byte) Math.round(0.114 * b + 0.587 * g + 0.299 * r);
      }
    }
    return chw;
  }

  private static BufferedImage scaled(BufferedImage src, int w, int h, int type) {
    if (src.getType() == type && src.getWidth() == w && src.getHeight() == h) {
      return src;
    }
    BufferedImage dst = new BufferedImage(w, h, type);
    Graphics2D g = dst.createGraphics();
    try {
      g.setRenderingHint(
          RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.drawImage(src, 0, 0, w, h, null);
    } finally {
      g.dispose();
    }
    return dst;
  }

  private static byte[] raster(BufferedImage image) {
    return ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
  }
}
