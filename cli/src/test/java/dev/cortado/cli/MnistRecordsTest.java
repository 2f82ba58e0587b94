package dev.cortado.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.proto.TensorProto;
import dev.cortado.proto.TensorProtos;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class MnistRecordsTest {
  @Test
  void sliceRecordsAreByteIdenticalToCaffe2MakeMnistDb() throws Exception {
    List<Expectations.Rec> expected = Expectations.load("fmnist-mini").records();
    assertThat(expected).hasSize(256);
    try (IdxFile images = IdxFile.openImages(Cli.slice().resolve("train-images-idx3-ubyte.gz"));
        IdxFile labels = IdxFile.openLabels(Cli.slice().resolve("train-labels-idx1-ubyte.gz"))) {
      assertThat(images.count()).isEqualTo(1000);
      assertThat(labels.count()).isEqualTo(1000);
      byte[] pixels = new byte[images.itemSize()];
      byte[] label = new byte[1];
      for (Expectations.Rec rec : expected) {
        images.readItem(pixels);
        labels.readItem(label);
        byte[] key = MnistRecords.key(rec.index());
        byte[] value = MnistRecords.encode(pixels, 28, 28, label[0] & 0xff, true);
        assertThat(HexFormat.of().formatHex(key)).isEqualTo(rec.keyHex());
        assertThat(value).hasSize(rec.valueLen());
        assertThat(sha256(value)).as("record %d", rec.index()).isEqualTo(rec.valueSha256());
      }
    }
  }

  @Test
  void channelLastStoresRowsColsOne() throws Exception {
    byte[] value = MnistRecords.encode(new byte[6], 2, 3, 7, false);
    TensorProtos protos = TensorProtos.parseFrom(value);
    assertThat(protos.getProtos(0).getDimsList()).containsExactly(2L, 3L, 1L);
    assertThat(protos.getProtos(0).getDataType()).isEqualTo(TensorProto.DataType.BYTE);
    assertThat(protos.getProtos(1).getDimsCount()).isZero();
    assertThat(protos.getProtos(1).getInt32DataList()).containsExactly(7);
    assertThat(new String(MnistRecords.key(12345), StandardCharsets.US_ASCII))
        .isEqualTo("00012345");
  }

  static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
