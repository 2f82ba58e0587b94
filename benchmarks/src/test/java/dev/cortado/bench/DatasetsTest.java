package dev.cortado.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.db.DbReader;
import dev.cortado.db.DbRegistry;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorProtoCodec;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dataset builders write what the benchmarks claim to read, and reuse what they built. */
class DatasetsTest {
  @TempDir Path cache;

  private final DbRegistry registry = DbRegistry.fromServiceLoader();

  @Test
  void fashionMnistRecordsAreMakeMnistDbRecords() throws Exception {
    Datasets.Built db = build(Datasets.FMNIST_TRAIN, 50, "minidb");
    List<Tensor> first = firstRecord(db);
    assertThat(first.get(0).dataType()).isEqualTo(DataType.BYTE);
    assertThat(first.get(0).dims()).containsExactly(1, 28, 28);
    assertThat(first.get(1).dataType()).isEqualTo(DataType.INT32);
    assertThat(first.get(1).dims()).isEmpty();
    assertThat(db.records()).isEqualTo(50);
    assertThat(db.outputBytesPerRecord()).isEqualTo(28 * 28 + 4);
    if (Files.isReadable(Datasets.FASHION_MNIST.resolve("train-labels-idx1-ubyte.gz"))) {
      // The first Fashion-MNIST training image is an ankle boot (label 9), as make_mnist_db reads
      // it.
      assertThat(first.get(1).data().getInt(0)).isEqualTo(9);
      assertThat(db.origin()).startsWith("Fashion-MNIST train set");
      assertThat(db.maxValueBytes()).isEqualTo(805);
    }
  }

  @Test
  void largeRecordDatasetsHaveTheirShapes() {
    List<Tensor> image = firstRecord(build(Datasets.IMAGENET_LIKE, 3, "lmdb"));
    assertThat(image.get(0).dataType()).isEqualTo(DataType.BYTE);
    assertThat(image.get(0).dims()).containsExactly(3, 224, 224);
    List<Tensor> floats = firstRecord(build(Datasets.FLOAT_SMALL, 3, "lmdb"));
    assertThat(floats.get(0).dataType()).isEqualTo(DataType.FLOAT);
    assertThat(floats.get(0).dims()).containsExactly(3, 32, 32);
    assertThat(floats.get(1).dataType()).isEqualTo(DataType.INT32);
  }

  @Test
  void aBuiltDatasetIsReusedAndDeterministic() throws Exception {
    Datasets.Built a = build(Datasets.IMAGENET_LIKE, 2, "minidb");
    long modified = Files.getLastModifiedTime(a.path()).toMillis();
    Datasets.Built b = build(Datasets.IMAGENET_LIKE, 2, "minidb");
    assertThat(b.path()).isEqualTo(a.path());
    assertThat(Files.getLastModifiedTime(b.path()).toMillis()).isEqualTo(modified);
    assertThat(Datasets.source(Datasets.IMAGENET_LIKE, 2).value(1))
        .isEqualTo(Datasets.source(Datasets.IMAGENET_LIKE, 2).value(1))
        .isNotEqualTo(Datasets.source(Datasets.IMAGENET_LIKE, 2).value(0));
  }

  private Datasets.Built build(String dataset, int records, String backend) {
    System.setProperty("cortado.bench.dir", cache.toString());
    try {
      return Datasets.build(registry, dataset, records, backend);
    } finally {
      System.clearProperty("cortado.bench.dir");
    }
  }

  private List<Tensor> firstRecord(Datasets.Built db) {
    try (DbReader reader = DbReader.open(registry, db.backend(), db.path().toString())) {
      return TensorProtoCodec.decodeRecord(ByteBuffer.wrap(reader.read().value()));
    }
  }
}
