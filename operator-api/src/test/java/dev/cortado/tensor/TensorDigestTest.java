package dev.cortado.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The hashing rule of testdata/README.md, checked against values computed with Python. */
class TensorDigestTest {
  @Test
  void stringsHashAsLengthPrefixedBytes() {
    Tensor t = Tensor.ofStrings(new long[] {2}, new byte[][] {{}, {'a', 'b'}});
    assertThat(TensorDigest.sha256Hex(t))
        .isEqualTo("4ff8c9e8d064ac15a8a14a35b31627335958649e1c8f6dc95a414fd893365266");
  }

  @Test
  void fixedSizeTypesHashTheirLittleEndianBytes() {
    Tensor t = Tensor.allocate(DataType.FLOAT, 2);
    t.data().putFloat(0, 1.5f).putFloat(4, -0.0f);
    assertThat(TensorDigest.sha256Hex(t))
        .isEqualTo("937d530fa41fcbc6164988a1952b69213dc6b6f9cdb8a939027135cf9979a710");
    assertThat(TensorDigest.sha256Hex(Tensor.allocate(DataType.DOUBLE, 0, 3)))
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }
}
