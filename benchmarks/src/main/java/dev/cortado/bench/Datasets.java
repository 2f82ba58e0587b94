package dev.cortado.bench;

import com.google.protobuf.ByteString;
import dev.cortado.db.Db;
import dev.cortado.db.DbRegistry;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import dev.cortado.proto.TensorProto;
import dev.cortado.proto.TensorProtos;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorProtoCodec;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * The benchmark datasets: deterministic records, written once per (dataset, size, backend) through
 * the backend's own {@link dev.cortado.db.DbProvider} and then reused by every trial and fork.
 *
 * <p>They live under the system property {@code cortado.bench.dir} (default {@code
 * $TMPDIR/cortado-bench}). A DB is built in a scratch folder and renamed into place when complete,
 * so a folder that exists is whole; delete the root to rebuild.
 */
public final class Datasets {
  /** Fashion-MNIST's train set as Caffe2's make_mnist_db stores it (60,000 x 805-byte values). */
  public static final String FMNIST_TRAIN = "fmnist-train";

  /** 2,000 x BYTE [3,224,224] + INT32 label (150 KB values). */
  public static final String IMAGENET_LIKE = "imagenet-like";

  /** 50,000 x FLOAT [3,32,32] + INT32 label (12 KB values). */
  public static final String FLOAT_SMALL = "float-small";

  /** Where Debian's dataset-fashion-mnist package puts the IDX files. */
  static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

  /** Bump when the records change, so old caches are not reused. */
  private static final int FORMAT_VERSION = 1;

  private static final long COMMIT_BYTES = 32L << 20;

  private Datasets() {}

  /** A DB ready to read: where it is and what it holds. */
  public record Built(
      String dataset,
      String backend,
      Path path,
      int records,
      long valueBytes,
      int maxValueBytes,
      long outputBytesPerRecord,
      String origin) {}

  /**
   * Builds (or finds) datasets and prints one line per backend: the backend and the DB's path,
   * tab-separated, for tools such as {@code cortado bench}.
   *
   * <p>{@code java -cp benchmarks.jar dev.cortado.bench.Datasets DATASET RECORDS BACKEND...}
   * (RECORDS 0 = the dataset's full size)
   */
  public static void main(String[] args) {
    if (args.length < 3) {
      System.err.println(
          "usage: Datasets DATASET RECORDS BACKEND...  (datasets: "
              + FMNIST_TRAIN
              + ", "
              + IMAGENET_LIKE
              + ", "
              + FLOAT_SMALL
              + "; RECORDS 0 = full size)");
      System.exit(2);
    }
    DbRegistry registry = DbRegistry.fromServiceLoader();
    for (int i = 2; i < args.length; i++) {
      Built b = build(registry, args[0], Integer.parseInt(args[1]), args[i]);
      System.out.println(b.backend() + "\t" + b.path());
    }
  }

  /** The record count of {@code dataset} when a benchmark asks for 0 ("full size"). */
  public static int defaultRecords(String dataset) {
    return switch (dataset) {
      case FMNIST_TRAIN -> 60_000;
      case IMAGENET_LIKE -> 2_000;
      case FLOAT_SMALL -> 50_000;
      default -> throw unknown(dataset);
    };
  }

  /** The cache root. */
  public static Path root() {
    String dir = System.getProperty("cortado.bench.dir");
    return dir != null && !dir.isEmpty()
        ? Path.of(dir)
        : Path.of(System.getProperty("java.io.tmpdir"), "cortado-bench");
  }

  /**
   * The DB of {@code records} records of {@code dataset} (0 = the dataset's full size) in {@code
   * backend}, built first if the cache lacks it.
   */
  public static Built build(DbRegistry registry, String dataset, int records, String backend) {
    int n = records > 0 ? records : defaultRecords(dataset);
    RecordSource source = source(dataset, n);
    String canonical = registry.provider(backend).name();
    Path dir = root().resolve(dataset + "-n" + n + "-v" + FORMAT_VERSION).resolve(canonical);
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir.getParent());
        Path scratch = Files.createTempDirectory(dir.getParent(), "." + canonical + "-");
        try {
          write(registry, canonical, source, scratch);
          Files.move(scratch, dir, StandardCopyOption.ATOMIC_MOVE);
        } finally {
          deleteTree(scratch);
        }
      }
      Properties info = new Properties();
      try (InputStream in = Files.newInputStream(dir.resolve("info.properties"))) {
        info.load(in);
      }
      return new Built(
          dataset,
          canonical,
          dbPath(dir, canonical),
          n,
          Long.parseLong(info.getProperty("valueBytes")),
          Integer.parseInt(info.getProperty("maxValueBytes")),
          source.outputBytesPerRecord(),
          info.getProperty("origin"));
    } catch (IOException e) {
      throw new UncheckedIOException(
          "building " + dataset + " (" + n + " records) for " + canonical + " under " + dir, e);
    }
  }

  /** Record {@code i}'s value bytes for {@code dataset}; the same bytes every build writes. */
  static RecordSource source(String dataset, int records) {
    return switch (dataset) {
      case FMNIST_TRAIN -> FashionMnist.load(records);
      case IMAGENET_LIKE -> new SyntheticImages(records, 3, 224, 224);
      case FLOAT_SMALL -> new SyntheticFloats(records, 3, 32, 32);
      default -> throw unknown(dataset);
    };
  }

  private static IllegalArgumentException unknown(String dataset) {
    return new IllegalArgumentException(
        "unknown dataset '"
            + dataset
            + "'; known: ["
            + FMNIST_TRAIN
            + ", "
            + IMAGENET_LIKE
            + ", "
            + FLOAT_SMALL
            + "]");
  }

  private static Path dbPath(Path dir, String backend) {
    // minidb is one file; the others are directories that the backend creates.
    return dir.resolve(backend.equals("minidb") ? "data.minidb" : "db");
  }

  private static void write(DbRegistry registry, String backend, RecordSource source, Path dir)
      throws IOException {
    long total = 0;
    int max = 0;
    long pending = 0;
    try (Db db = registry.open(backend, dbPath(dir, backend).toString(), Mode.NEW);
        Transaction txn = db.newTransaction()) {
      for (int i = 0; i < source.count(); i++) {
        byte[] value = source.value(i);
        txn.put(key(i), value);
        total += value.length;
        max = Math.max(max, value.length);
        pending += value.length;
        // Caffe2's make_mnist_db commits every 1000 records; large records commit by size so a
        // transaction stays small.
        if ((i + 1) % 1000 == 0 || pending > COMMIT_BYTES) {
          txn.commit();
          pending = 0;
        }
      }
      txn.commit();
    }
    Properties info = new Properties();
    info.setProperty("records", Integer.toString(source.count()));
    info.setProperty("valueBytes", Long.toString(total));
    info.setProperty("maxValueBytes", Integer.toString(max));
    info.setProperty("origin", source.origin());
    try (Writer w = Files.newBufferedWriter(dir.resolve("info.properties"))) {
      info.store(w, "cortado benchmark dataset");
    }
  }

  /** Caffe2's key for record {@code i}: {@code %08d}. */
  static byte[] key(int i) {
    return String.format("%08d", i).getBytes(StandardCharsets.US_ASCII);
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }

  /** Deterministic records of one dataset. */
  interface RecordSource {
    int count();

    byte[] value(int i);

    /** Bytes of output tensors one record contributes to a batch. */
    long outputBytesPerRecord();

    /** Where the bytes come from, for the report. */
    String origin();
  }

  /**
   * A make_mnist_db record: image BYTE [1,r,c] (channel first) in byte_data, label INT32 scalar.
   */
  static byte[] imageRecord(byte[] pixels, long[] dims, int label) {
    TensorProto.Builder image = TensorProto.newBuilder();
    for (long d : dims) {
      image.addDims(d);
    }
    image.setDataType(TensorProto.DataType.BYTE).setByteData(ByteString.copyFrom(pixels));
    TensorProto labelProto =
        TensorProto.newBuilder()
            .setDataType(TensorProto.DataType.INT32)
            .addInt32Data(label)
            .build();
    return TensorProtos.newBuilder().addProtos(image).addProtos(labelProto).build().toByteArray();
  }

  /** Fills {@code out} from a xorshift stream seeded by {@code seed}: cheap and reproducible. */
  static void fill(byte[] out, long seed) {
    long x = seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
    int i = 0;
    while (i < out.length) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      for (int b = 0; b < 8 && i < out.length; b++, i++) {
        out[i] = (byte) (x >>> (b * 8));
      }
    }
  }

  /** Fashion-MNIST's train set when Debian's dataset-fashion-mnist is installed, else synthetic. */
  static final class FashionMnist implements RecordSource {
    private static final int ROWS = 28;
    private static final int COLS = 28;
    private static final long[] DIMS = {1, ROWS, COLS};

    private final int count;
    private final byte[] images;
    private final byte[] labels;
    private final int available;
    private final String origin;

    private FashionMnist(int count, byte[] images, byte[] labels, int available, String origin) {
      this.count = count;
      this.images = images;
      this.labels = labels;
      this.available = available;
      this.origin = origin;
    }

    static FashionMnist load(int count) {
      Path images = FASHION_MNIST.resolve("train-images-idx3-ubyte.gz");
      Path labels = FASHION_MNIST.resolve("train-labels-idx1-ubyte.gz");
      if (!Files.isReadable(images) || !Files.isReadable(labels)) {
        return new FashionMnist(
            count,
            null,
            null,
            0,
            "synthetic (no " + FASHION_MNIST + "), BYTE [1,28,28] + INT32 label");
      }
      try {
        byte[] img = readIdx(images, 2051, 16);
        byte[] lab = readIdx(labels, 2049, 8);
        int n = lab.length;
        if (img.length != n * ROWS * COLS) {
          throw new IOException(
              images
                  + " holds "
                  + img.length
                  + " pixel bytes, expected "
                  + n
                  + " x 28 x 28 for the "
                  + n
                  + " labels of "
                  + labels);
        }
        return new FashionMnist(
            count,
            img,
            lab,
            n,
            "Fashion-MNIST train set from "
                + FASHION_MNIST
                + (count > n ? " (repeated to " + count + " records)" : ""));
      } catch (IOException e) {
        throw new UncheckedIOException("reading Fashion-MNIST from " + FASHION_MNIST, e);
      }
    }

    /** The payload after the IDX header, checking the magic number. */
    private static byte[] readIdx(Path file, int magic, int headerBytes) throws IOException {
      try (DataInputStream in =
          new DataInputStream(new GZIPInputStream(Files.newInputStream(file), 1 << 16))) {
        int found = in.readInt();
        if (found != magic) {
          throw new IOException(file + ": IDX magic " + found + ", expected " + magic);
        }
        in.skipNBytes(headerBytes - 4);
        return in.readAllBytes();
      }
    }

    @Override
    public int count() {
      return count;
    }

    @Override
    public byte[] value(int i) {
      byte[] pixels = new byte[ROWS * COLS];
      int label;
      if (images != null) {
        int j = i % available;
        System.arraycopy(images, j * pixels.length, pixels, 0, pixels.length);
        label = labels[j] & 0xff;
      } else {
        fill(pixels, i);
        label = i % 10;
      }
      return imageRecord(pixels, DIMS, label);
    }

    @Override
    public long outputBytesPerRecord() {
      return ROWS * COLS + 4;
    }

    @Override
    public String origin() {
      return origin;
    }
  }

  /** BYTE [c,h,w] images of pseudo-random pixels plus an INT32 label. */
  static final class SyntheticImages implements RecordSource {
    private final int count;
    private final long[] dims;
    private final int bytes;

    SyntheticImages(int count, int c, int h, int w) {
      this.count = count;
      this.dims = new long[] {c, h, w};
      this.bytes = c * h * w;
    }

    @Override
    public int count() {
      return count;
    }

    @Override
    public byte[] value(int i) {
      byte[] pixels = new byte[bytes];
      fill(pixels, i);
      return imageRecord(pixels, dims, i % 1000);
    }

    @Override
    public long outputBytesPerRecord() {
      return bytes + 4L;
    }

    @Override
    public String origin() {
      return "synthetic, BYTE " + java.util.Arrays.toString(dims) + " + INT32 label";
    }
  }

  /** FLOAT [c,h,w] tensors in packed float_data (the 2018 layout) plus an INT32 label. */
  static final class SyntheticFloats implements RecordSource {
    private final int count;
    private final long[] dims;
    private final int elements;

    SyntheticFloats(int count, int c, int h, int w) {
      this.count = count;
      this.dims = new long[] {c, h, w};
      this.elements = c * h * w;
    }

    @Override
    public int count() {
      return count;
    }

    @Override
    public byte[] value(int i) {
      byte[] noise = new byte[elements];
      fill(noise, i);
      Tensor data = Tensor.allocate(DataType.FLOAT, dims);
      ByteBuffer buf = data.data();
      for (int e = 0; e < elements; e++) {
        // Pixel-like values in [0, 1): ordinary normal floats.
        buf.putFloat(e * 4, (noise[e] & 0xff) / 256f);
      }
      Tensor label = Tensor.allocate(DataType.INT32);
      label.data().putInt(0, i % 1000);
      return TensorProtoCodec.encodeRecord(List.of(data, label));
    }

    @Override
    public long outputBytesPerRecord() {
      return elements * 4L + 4;
    }

    @Override
    public String origin() {
      return "synthetic, FLOAT " + java.util.Arrays.toString(dims) + " + INT32 label";
    }
  }
}
