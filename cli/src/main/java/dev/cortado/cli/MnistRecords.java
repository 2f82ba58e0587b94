package dev.cortado.cli;

import com.google.protobuf.ByteString;
import dev.cortado.db.Db;
import dev.cortado.db.Transaction;
import dev.cortado.proto.TensorProto;
import dev.cortado.proto.TensorProtos;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.LongConsumer;

/**
 * Writes MNIST IDX files into a DB exactly as Caffe2's {@code make_mnist_db} does: key {@code
 * %08d}, value a {@code TensorProtos} of the image (BYTE, dims [1,r,c] channel-first or [r,c,1])
 * and the label (INT32 scalar), a commit every 1000 records.
 */
final class MnistRecords {
  /** Caffe2 commits its transaction every 1000 records. */
  static final int COMMIT_EVERY = 1000;

  private MnistRecords() {}

  /** The summary of one conversion. */
  record Result(long records, long bytes) {}

  /** The number of records a conversion will write, after checking both headers agree. */
  static long plannedCount(IdxFile images, IdxFile labels, long dataLimit) {
    if (images.count() != labels.count()) {
      throw new CliException(
          "the image file holds "
              + images.count()
              + " images but the label file holds "
              + labels.count()
              + " labels; they must be the same count");
    }
    return dataLimit > 0 ? Math.min(dataLimit, images.count()) : images.count();
  }

  /**
   * Converts; {@code progress} receives the number of records written since its last call. The
   * output DB must already be open in NEW or WRITE mode.
   */
  static Result write(
      Path imageFile,
      Path labelFile,
      Db out,
      boolean channelFirst,
      long dataLimit,
      LongConsumer progress) {
    return write(
        imageFile, labelFile, out, channelFirst, dataLimit, COMMIT_EVERY, progress, () -> {});
  }

  /**
   * Same, with a commit every {@code commitEvery} records and {@code beforeEach} run before each
   * record (an interrupted output throws from there).
   */
  static Result write(
      Path imageFile,
      Path labelFile,
      Db out,
      boolean channelFirst,
      long dataLimit,
      int commitEvery,
      LongConsumer progress,
      Runnable beforeEach) {
    try (IdxFile images = IdxFile.openImages(imageFile);
        IdxFile labels = IdxFile.openLabels(labelFile)) {
      long n = plannedCount(images, labels, dataLimit);
      int rows = images.rows();
      int cols = images.cols();
      byte[] pixels = new byte[images.itemSize()];
      byte[] label = new byte[1];
      long bytes = 0;
      try (Transaction txn = out.newTransaction()) {
        for (long i = 0; i < n; i++) {
          beforeEach.run();
          images.readItem(pixels);
          labels.readItem(label);
          byte[] value = encode(pixels, rows, cols, label[0] & 0xff, channelFirst);
          txn.put(key(i), value);
          bytes += value.length;
          if ((i + 1) % commitEvery == 0) {
            txn.commit();
            progress.accept(commitEvery);
          }
        }
        txn.commit();
      }
      progress.accept(n % commitEvery);
      return new Result(n, bytes);
    }
  }

  /** Caffe2's key for record {@code i}: {@code %08d}. */
  static byte[] key(long i) {
    return String.format("%08d", i).getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * One record's value. The generated classes write fields in field-number order, as Caffe2's C++
   * serializer does, so the bytes are Caffe2's: dims (unpacked), data_type, then byte_data or the
   * packed int32_data.
   */
  static byte[] encode(byte[] pixels, int rows, int cols, int label, boolean channelFirst) {
    TensorProto.Builder image = TensorProto.newBuilder();
    if (channelFirst) {
      image.addDims(1).addDims(rows).addDims(cols);
    } else {
      image.addDims(rows).addDims(cols).addDims(1);
    }
    image.setDataType(TensorProto.DataType.BYTE).setByteData(ByteString.copyFrom(pixels));
    TensorProto labelProto =
        TensorProto.newBuilder()
            .setDataType(TensorProto.DataType.INT32)
            .addInt32Data(label)
            .build();
    return TensorProtos.newBuilder().addProtos(image).addProtos(labelProto).build().toByteArray();
  }
}
