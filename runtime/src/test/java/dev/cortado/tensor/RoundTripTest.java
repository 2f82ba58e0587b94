package dev.cortado.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.proto.TensorProto;
import dev.cortado.proto.TensorProtos;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tensor -> TensorProto (2018 layout) -> bytes -> both decoders -> tensor, bit for bit, for every
 * type: NaN payloads, -0.0, denormals, infinities, FLOAT16 patterns, integer extremes, empty and
 * non-UTF-8 strings, scalars and zero-size dims. Also Save chunks and Load's readChunkInto.
 */
class RoundTripTest {
  static Stream<Tensor> tensors() {
    List<Tensor> out = new ArrayList<>();
    out.add(
        ints32(
            DataType.FLOAT,
            new long[] {2, 4},
            0x7fc00000,
            0x7f800001,
            0xffc12345,
            0x80000000,
            0x00000001,
            0x807fffff,
            0x7f800000,
            0xff800000));
    out.add(
        longs(
            DataType.DOUBLE,
            new long[] {5},
            0x7ff8000000000000L,
            0x7ff0000000000001L,
            0x8000000000000000L,
            1L,
            0xfff0000000000000L));
    out.add(
        shorts(
            DataType.FLOAT16, new long[] {2, 3}, 0x7e01, 0xfc00, 0x8000, 0x0001, 0xffff, 0x7c01));
    out.add(ints32(DataType.INT32, new long[] {3}, Integer.MIN_VALUE, -1, Integer.MAX_VALUE));
    out.add(longs(DataType.INT64, new long[] {3}, Long.MIN_VALUE, -1, Long.MAX_VALUE));
    out.add(shorts(DataType.INT16, new long[] {3}, 0x8000, 0xffff, 0x7fff));
    out.add(shorts(DataType.UINT16, new long[] {3}, 0, 0xffff, 0x8000));
    out.add(bytes(DataType.INT8, new long[] {3}, 0x80, 0xff, 0x7f));
    out.add(bytes(DataType.UINT8, new long[] {3}, 0, 0xff, 0x80));
    out.add(bytes(DataType.BYTE, new long[] {4}, 0, 0xff, 0x80, 0x7f));
    out.add(bytes(DataType.BOOL, new long[] {2, 2}, 0, 1, 1, 0));
    out.add(
        Tensor.ofStrings(
            new long[] {4},
            new byte[][] {
              {},
              {(byte) 0xff, 0, (byte) 0xc3},
              "é漢".getBytes(StandardCharsets.UTF_8),
              new byte[300]
            }));
    out.add(ints32(DataType.FLOAT, new long[0], 0xbf800000));
    out.add(Tensor.ofStrings(new long[0], new byte[][] {{}}));
    for (DataType t : DataType.values()) {
      if (t != DataType.UNDEFINED) {
        out.add(
            t == DataType.STRING
                ? Tensor.ofStrings(new long[] {2, 0, 3}, new byte[0][])
                : Tensor.allocate(t, 0));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tensors")
  void bothDecodersReturnTheTensorBitForBit(Tensor t) {
    byte[] record = TensorProtoCodec.encodeRecord(List.of(t, t));
    assertThat(new Differential().check(record)).isEqualTo(Differential.Outcome.ACCEPTED);
    for (Tensor back : new TensorProtosDecoder().decode(ByteBuffer.wrap(record), "r")) {
      assertThat(back.contentEquals(t)).as("%s", back).isTrue();
      assertThat(TensorDigest.sha256Hex(back)).isEqualTo(TensorDigest.sha256Hex(t));
    }
    assertThat(TensorProtoCodec.toTensor(TensorProtoCodec.fromTensor(t)).contentEquals(t)).isTrue();
  }

  @Test
  void writerUsesThe2018Layout() {
    TensorProto f16 =
        TensorProtoCodec.fromTensor(shorts(DataType.FLOAT16, new long[] {2}, 0xfc00, 0x0001));
    assertThat(f16.getDataType()).isEqualTo(TensorProto.DataType.FLOAT16);
    assertThat(f16.getDimsList()).containsExactly(2L);
    assertThat(f16.getInt32DataList()).containsExactly(0xfc00, 1);
    assertThat(f16.hasByteData()).isFalse();
    TensorProto b = TensorProtoCodec.fromTensor(bytes(DataType.BYTE, new long[] {2}, 7, 0xff));
    assertThat(b.getByteData().toByteArray()).containsExactly(7, 0xff);
    TensorProto i8 = TensorProtoCodec.fromTensor(bytes(DataType.INT8, new long[] {1}, 0xff));
    assertThat(i8.getInt32DataList()).containsExactly(-1);
    TensorProto f = TensorProtoCodec.fromTensor(Tensor.allocate(DataType.FLOAT));
    assertThat(f.hasDataType()).isTrue();
    assertThat(f.hasSegment()).isFalse();
    assertThat(f.getFloatDataList()).containsExactly(0f);
  }

  @Test
  void saveChunksLoadBackIntoTheTarget() {
    Tensor t = ints32(DataType.INT32, new long[] {2, 3}, 1, 2, 3, 4, 5, 6);
    Tensor target = Tensor.allocate(DataType.INT32, 2, 3);
    for (long begin = 0; begin < 6; begin += 4) {
      TensorProto chunk = TensorProtoCodec.fromTensorChunk(t, begin, Math.min(begin + 4, 6));
      assertThat(chunk.getSegment().getBegin()).isEqualTo(begin);
      TensorProtoCodec.readChunkInto(chunk, target);
    }
    assertThat(target.contentEquals(t)).isTrue();
    Tensor s = Tensor.ofStrings(new long[] {3}, new byte[][] {{1}, {2}, {3}});
    Tensor st = Tensor.ofStrings(new long[] {3}, new byte[3][]);
    TensorProtoCodec.readChunkInto(TensorProtoCodec.fromTensorChunk(s, 1, 3), st);
    assertThat(st.strings()).isDeepEqualTo(new byte[][] {null, {2}, {3}});
    // A whole-tensor reader refuses a partial chunk; Load refuses a chunk of another shape.
    TensorProto part = TensorProtoCodec.fromTensorChunk(t, 0, 4);
    assertThatThrownBy(() -> TensorProtoCodec.toTensor(part))
        .isInstanceOf(DecodeException.class)
        .hasMessageContaining("covers only part");
    byte[] record = TensorProtos.newBuilder().addProtos(part).build().toByteArray();
    assertThat(new Differential().check(record)).isEqualTo(Differential.Outcome.REJECTED);
    assertThatThrownBy(
            () -> TensorProtoCodec.readChunkInto(part, Tensor.allocate(DataType.INT32, 3, 2)))
        .isInstanceOf(DecodeException.class)
        .hasMessageContaining("[2,3]")
        .hasMessageContaining("[3,2]");
    assertThatThrownBy(
            () ->
                TensorProtoCodec.readChunkInto(
                    part.toBuilder().clearInt32Data().addInt32Data(1).build(), target))
        .isInstanceOf(DecodeException.class)
        .hasMessageContaining("chunk [0, 4) of INT32 with dims [2,3] has 4 elements");
  }

  @Test
  void unknownDataTypeNumbersAreRejectedByTheReferenceToo() throws Exception {
    byte[] bytes = Wire.of().v(1, 1).v(2, 42).packedFloats(3, 1f).build();
    TensorProto p = TensorProto.parseFrom(bytes);
    assertThat(p.hasDataType()).isFalse();
    assertThatThrownBy(() -> TensorProtoCodec.toTensor(p))
        .isInstanceOf(DecodeException.class)
        .hasMessage("unknown data_type 42 (not a Caffe2 TensorProto.DataType number)");
  }

  static Tensor ints32(DataType type, long[] dims, int... bits) {
    Tensor t = Tensor.allocate(type, dims);
    for (int i = 0; i < bits.length; i++) {
      t.data().putInt(4 * i, bits[i]);
    }
    return t;
  }

  static Tensor longs(DataType type, long[] dims, long... bits) {
    Tensor t = Tensor.allocate(type, dims);
    for (int i = 0; i < bits.length; i++) {
      t.data().putLong(8 * i, bits[i]);
    }
    return t;
  }

  static Tensor shorts(DataType type, long[] dims, int... bits) {
    Tensor t = Tensor.allocate(type, dims);
    for (int i = 0; i < bits.length; i++) {
      t.data().putShort(2 * i, (short) bits[i]);
    }
    return t;
  }

  static Tensor bytes(DataType type, long[] dims, int... values) {
    Tensor t = Tensor.allocate(type, dims);
    for (int i = 0; i < values.length; i++) {
      t.data().put(i, (byte) values[i]);
    }
    return t;
  }
}
