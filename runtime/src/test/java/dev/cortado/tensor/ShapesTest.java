package dev.cortado.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class ShapesTest {
  @Test
  void aZeroDimMakesAnEmptyTensorWhateverTheOrderOfTheDims() {
    assertThat(Shapes.numel(new long[] {0, Long.MAX_VALUE})).isZero();
    assertThat(Shapes.numel(new long[] {Long.MAX_VALUE, 0})).isZero();
    assertThat(Shapes.numel(new long[] {268_435_390, 16, 0})).isZero();
    assertThat(Shapes.numel(new long[] {8, 2, 268_435_390, 0, 0})).isZero();
  }

  @Test
  void aProductPastTheBoundOrANegativeDimIsAnError() {
    assertThatThrownBy(() -> Shapes.numel(new long[] {1_000_000_000L, 1_000_000_000L}))
        .isInstanceOf(DecodeException.class)
        .hasMessageContaining("[1000000000,1000000000]")
        .hasMessageContaining("more than 2147483647 elements");
    assertThatThrownBy(() -> Shapes.numel(new long[] {0, -1}))
        .isInstanceOf(DecodeException.class)
        .hasMessageContaining("negative dim -1");
  }

  @Test
  void bothDecodersAcceptAnEmptyTensorWhoseOtherDimsAreHuge() {
    // TensorProtos { protos { dims: 268435390 dims: 16 dims: 0 } } (FLOAT by default, no data)
    byte[] proto = {0x08, (byte) 0xBE, (byte) 0xFF, (byte) 0xFF, 0x7F, 0x08, 0x10, 0x08, 0x00};
    byte[] record = new byte[proto.length + 2];
    record[0] = 0x0A;
    record[1] = (byte) proto.length;
    System.arraycopy(proto, 0, record, 2, proto.length);
    Tensor reference = TensorProtoCodec.decodeRecord(ByteBuffer.wrap(record), "k").get(0);
    assertThat(reference.dims()).containsExactly(268_435_390, 16, 0);
    assertThat(reference.numel()).isZero();
    assertThat(
            new TensorProtosDecoder()
                .decode(ByteBuffer.wrap(record), "k")
                .get(0)
                .contentEquals(reference))
        .isTrue();
  }

  @Test
  void aTensorOfMoreBytesThanOneBufferHoldsIsAnErrorNotAnOverflow() {
    assertThatThrownBy(() -> Tensor.allocate(DataType.FLOAT, 1_000_000_000L))
        .isInstanceOf(DecodeException.class)
        .hasMessageContaining("FLOAT tensor [1000000000] needs 4000000000 bytes");
  }
}
