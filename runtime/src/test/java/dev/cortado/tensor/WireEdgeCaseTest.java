package dev.cortado.tensor;

import static dev.cortado.tensor.Wire.END_GROUP;
import static dev.cortado.tensor.Wire.FIXED32;
import static dev.cortado.tensor.Wire.FIXED64;
import static dev.cortado.tensor.Wire.LEN;
import static dev.cortado.tensor.Wire.START_GROUP;
import static dev.cortado.tensor.Wire.VARINT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hand-made encodings at the edges of the protobuf wire format and of Caffe2's reader rules. Each
 * input goes through both decoders ({@link Differential}), which must agree; then the outcome and,
 * for rejections, the message are checked.
 */
class WireEdgeCaseTest {
  private final Differential diff = new Differential();

  private List<Tensor> accept(byte[] input) {
    assertThat(diff.check(input)).isEqualTo(Differential.Outcome.ACCEPTED);
    return TensorProtoCodec.decodeRecord(ByteBuffer.wrap(input), "k");
  }

  private void reject(byte[] input, String... tokens) {
    assertThat(diff.check(input)).isEqualTo(Differential.Outcome.REJECTED);
    assertThatThrownBy(() -> TensorProtoCodec.decodeRecord(ByteBuffer.wrap(input), "k"))
        .isInstanceOf(DecodeException.class)
        .hasMessageContaining("record 'k'")
        .hasMessageContainingAll(tokens);
    assertThatThrownBy(() -> new TensorProtosDecoder().decode(ByteBuffer.wrap(input), "k"))
        .isInstanceOf(DecodeException.class)
        .hasMessageContaining("record 'k'")
        .hasMessageContainingAll(tokens);
  }

  private static Wire floats2() {
    return Wire.of().v(1, 2).v(2, 1).packedFloats(3, 1.5f, -2f);
  }

  private static float[] floats(Tensor t) {
    ByteBuffer b = t.data();
    float[] out = new float[(int) t.numel()];
    for (int i = 0; i < out.length; i++) {
      out[i] = b.getFloat(4 * i);
    }
    return out;
  }

  private static long[] int64s(Tensor t) {
    ByteBuffer b = t.data();
    long[] out = new long[(int) t.numel()];
    for (int i = 0; i < out.length; i++) {
      out[i] = b.getLong(8 * i);
    }
    return out;
  }

  private static byte[] bytes(Tensor t) {
    ByteBuffer b = t.data();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  // ------------------------------------------------------------------ accepted encodings

  @Test
  void emptyRecordHasNoProtos() {
    assertThat(accept(new byte[0])).isEmpty();
  }

  @Test
  void canonicalAndDefaultFloat() {
    assertThat(floats(accept(Wire.protos(floats2())).get(0))).containsExactly(1.5f, -2f);
    Tensor noType = accept(Wire.protos(Wire.of().v(1, 2).packedFloats(3, 1f, 2f))).get(0);
    assertThat(noType.dataType()).isEqualTo(DataType.FLOAT);
  }

  @Test
  void unpackedSplitAndEmptyChunksConcatenateInOrder() {
    Wire w =
        Wire.of()
            .packedFloats(3)
            .v(1, 4)
            .tag(3, FIXED32)
            .fixed32(Float.floatToRawIntBits(1f))
            .packedFloats(3, 2f, 3f)
            .v(2, 1)
            .packedFloats(3)
            .tag(3, FIXED32)
            .fixed32(Float.floatToRawIntBits(4f));
    assertThat(floats(accept(Wire.protos(w)).get(0))).containsExactly(1f, 2f, 3f, 4f);
    Wire dims =
        Wire.of()
            .packed(1)
            .packed(1, 1, 2)
            .v(1, 2)
            .packed(1)
            .v(2, 10)
            .packed(10)
            .v(10, -5)
            .packed(10, 6, Long.MIN_VALUE)
            .v(10, 7);
    Tensor t = accept(Wire.protos(dims)).get(0);
    assertThat(t.dims()).containsExactly(1, 2, 2);
    assertThat(int64s(t)).containsExactly(-5, 6, Long.MIN_VALUE, 7);
  }

  @Test
  void theLastNameWinsAndNoNameIsNull() {
    byte[] first = "first".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] last = {'l', (byte) 0xff, 't'}; // proto2 keeps invalid UTF-8 as it is
    Wire named =
        Wire.of().v(1, 2).v(2, 3).bytes(7, first).bytes(5, new byte[] {1, 2}).bytes(7, last);
    Wire unnamed = Wire.of().v(1, 1).v(2, 3).bytes(5, new byte[] {3});
    byte[] input = Wire.protos(named, unnamed);
    accept(input); // the differential check compares names with protobuf-java's
    TensorProtosDecoder d = new TensorProtosDecoder();
    assertThat(d.parse(ByteBuffer.wrap(input), "k")).isEqualTo(2);
    assertThat(d.name(0)).containsExactly(last);
    assertThat(d.name(1)).isNull();
  }

  @Test
  void lastByteDataAndLastKnownDataTypeWin() {
    Wire w =
        Wire.of()
            .v(1, 3)
            .v(2, 1)
            .bytes(5, new byte[] {9, 9})
            .v(2, 3)
            .bytes(5, new byte[] {1, 2, 3});
    Tensor t = accept(Wire.protos(w)).get(0);
    assertThat(t.dataType()).isEqualTo(DataType.BYTE);
    assertThat(bytes(t)).containsExactly(1, 2, 3);
  }

  @Test
  void unknownFieldsOfEveryWireTypeAreSkippedAtBothLevels() {
    Wire group =
        Wire.of()
            .tag(103, START_GROUP)
            .v(1, 5)
            .bytes(2, new byte[] {1})
            .tag(7, START_GROUP)
            .tag(7, END_GROUP)
            .tag(3, FIXED32)
            .fixed32(1)
            .tag(103, END_GROUP);
    Wire t =
        floats2()
            .v(99, -1)
            .bytes(100, new byte[] {(byte) 0xff})
            .tag(101, FIXED32)
            .fixed32(7)
            .tag(102, FIXED64)
            .fixed64(8)
            .raw(group.build())
            .tag(12, VARINT)
            .varint(1)
            .bytes(14, new byte[] {8, 1})
            .tag(2, LEN)
            .varint(0)
            .tag(3, VARINT)
            .varint(3);
    byte[] inner = t.build();
    byte[] record =
        Wire.of()
            .v(99, 1)
            .bytes(1, inner)
            .raw(group.build())
            .tag(2, FIXED64)
            .fixed64(0)
            .bytes(1, inner)
            .tag(536870911, FIXED32)
            .fixed32(0)
            .build();
    assertThat(accept(record)).hasSize(2);
  }

  @Test
  void overLongVarintsForTagsLengthsDimsAndTypes() {
    byte[] body =
        Wire.of()
            .tag(1, VARINT)
            .varintPadded(2, 10)
            .tag(2, VARINT)
            .varintPadded(1, 10)
            .tag(3, LEN)
            .varintPadded(8, 10)
            .fixed32(0)
            .fixed32(0)
            .build();
    // A tag whose varint carries bits above 32: protobuf-java keeps the low 32 bits.
    byte[] longTag =
        Wire.of().raw(0x8a, 0x80, 0x80, 0x80, 0x70).varintPadded(body.length, 10).raw(body).build();
    Tensor t = accept(longTag).get(0);
    assertThat(t.dims()).containsExactly(2);
    // A length whose varint has bits above 32: the low 32 bits are the length.
    byte[] longLen =
        Wire.of().tag(1, LEN).raw(0x80 | body.length, 0x80, 0x80, 0x80, 0x10).raw(body).build();
    assertThat(accept(longLen)).hasSize(1);
  }

  @Test
  void tenthVarintByteFollowsProtobufJava() {
    // int64 fields: a 10th byte with its low bit set ends the varint even with a continuation
    // bit (protobuf-java's fast path); bit 63 comes from that low bit.
    byte[] dim =
        Wire.of()
            .v(2, 10)
            .raw(0x08)
            .raw(0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00)
            .v(1, 1)
            .raw(0x50)
            .raw(0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x81)
            .raw(0x50)
            .raw(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f)
            .build();
    Tensor t = accept(Wire.protos(Wire.of().raw(dim))).get(0);
    assertThat(t.dims()).containsExactly(2, 1);
    assertThat(int64s(t)).containsExactly(Long.MIN_VALUE | 1, Long.MIN_VALUE);
    // The same 10th byte on an int32 field or an over-long 11-byte varint is malformed.
    reject(
        Wire.protos(
            Wire.of()
                .v(1, 1)
                .tag(2, VARINT)
                .raw(0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x81)
                .v(3, 0)),
        "varint");
    reject(
        Wire.protos(
            Wire.of()
                .tag(1, VARINT)
                .raw(0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00)),
        "varint");
  }

  @Test
  void narrowingLikeACCast() {
    Wire w = Wire.of().v(1, 3).v(2, 5).packed(4, 0, 2, -1);
    assertThat(bytes(accept(Wire.protos(w)).get(0))).containsExactly(0, 1, 1);
    Wire i8 = Wire.of().v(1, 3).v(2, 7).packed(4, 300, -129, 127);
    assertThat(bytes(accept(Wire.protos(i8)).get(0))).containsExactly(44, 127, 127);
    Wire u16 = Wire.of().v(1, 2).v(2, 8).packed(4, -1, 0x12345);
    assertThat(bytes(accept(Wire.protos(u16)).get(0))).containsExactly(0xff, 0xff, 0x45, 0x23);
  }

  @Test
  void byteHoldersAreReadWhenPresent() {
    Wire f16 =
        Wire.of().v(1, 2).v(2, 12).bytes(5, new byte[] {1, 0x7e, 2, (byte) 0xfd}).packed(4, 9, 9);
    assertThat(bytes(accept(Wire.protos(f16)).get(0))).containsExactly(1, 0x7e, 2, 0xfd);
    Wire bool = Wire.of().v(1, 3).v(2, 5).bytes(5, new byte[] {0, 7, 1});
    assertThat(bytes(accept(Wire.protos(bool)).get(0))).containsExactly(0, 1, 1);
    // An empty holder is still present, so the int32_data beside it is ignored.
    Wire empty = Wire.of().v(1, 0).v(2, 9).bytes(5, new byte[0]).packed(4, 1);
    assertThat(accept(Wire.protos(empty)).get(0).numel()).isZero();
    reject(
        Wire.protos(Wire.of().v(1, 2).v(2, 9).bytes(5, new byte[] {1, 2, 3})),
        "byte_data holds 3 bytes",
        "expected 4");
  }

  @Test
  void bfloat16RawDataForFloat() {
    Wire w = Wire.of().v(1, 2).v(2, 1).v(15, 1).bytes(13, new byte[] {(byte) 0xc0, 0x3f, 0, 0});
    Tensor t = accept(Wire.protos(w)).get(0);
    assertThat(t.data().getInt(0)).isEqualTo(0x3fc00000);
    assertThat(t.data().getInt(4)).isZero();
    // With format 0 raw_data is ignored.
    assertThat(floats(accept(Wire.protos(floats2().bytes(13, new byte[] {1}).v(15, 0))).get(0)))
        .containsExactly(1.5f, -2f);
    reject(
        Wire.protos(Wire.of().v(1, 2).v(2, 1).v(15, 1).bytes(13, new byte[3])),
        "raw_data holds 3 bytes");
    reject(
        Wire.protos(Wire.of().v(1, 1).v(2, 2).v(15, 1).bytes(13, new byte[2])),
        "FMT_BFLOAT16",
        "INT32");
    reject(Wire.protos(floats2().v(15, 2)), "unsupported serialization format 2");
    reject(Wire.protos(floats2().v(15, -1)), "unsupported serialization format 4294967295");
  }

  @Test
  void stringsMayBeEmptyOrAnyBytesAndNameNeedNotBeUtf8() {
    Wire w =
        Wire.of()
            .v(1, 3)
            .v(2, 4)
            .bytes(6, new byte[0])
            .bytes(7, new byte[] {(byte) 0xc3})
            .bytes(6, new byte[] {0, (byte) 0xff})
            .bytes(6, new byte[0]);
    Tensor t = accept(Wire.protos(w)).get(0);
    assertThat(t.strings()).isDeepEqualTo(new byte[][] {{}, {0, (byte) 0xff}, {}});
  }

  @Test
  void segmentsMustCoverTheWholeTensorAndMerge() {
    Wire whole = floats2().bytes(11, Wire.of().v(1, 0).v(2, 2));
    assertThat(accept(Wire.protos(whole))).hasSize(1);
    Wire split = floats2().bytes(11, Wire.of().v(2, 2).v(99, 0)).bytes(11, Wire.of().v(1, 0));
    assertThat(accept(Wire.protos(split))).hasSize(1);
    reject(Wire.protos(floats2().bytes(11, Wire.of().v(1, 0))), "segment", "end");
    reject(Wire.protos(floats2().bytes(11, Wire.of())), "segment", "begin");
    reject(
        Wire.protos(Wire.of().v(1, 4).packedFloats(3, 1, 2).bytes(11, Wire.of().v(1, 0).v(2, 2))),
        "covers only part");
    reject(Wire.protos(floats2().bytes(11, Wire.of().v(1, 1).v(2, 3))), "invalid chunk");
  }

  @Test
  void deviceDetailIsIgnoredButMustParse() {
    Wire dev =
        Wire.of()
            .v(1, 1)
            .v(2, 3)
            .v(3, 0xffffffffL)
            .bytes(4, new byte[] {(byte) 0xff})
            .v(5, -1)
            .bytes(6, new byte[0])
            .tag(9, START_GROUP)
            .tag(9, END_GROUP);
    assertThat(accept(Wire.protos(floats2().bytes(8, dev).bytes(8, dev)))).hasSize(1);
    reject(
        Wire.protos(floats2().bytes(8, Wire.of().v(1, 1).tag(3, LEN).varint(5))),
        "not a valid TensorProtos");
    reject(
        Wire.protos(floats2().bytes(8, Wire.of().tag(9, END_GROUP))), "not a valid TensorProtos");
  }

  @Test
  void emptyTensorsNeedNoPayload() {
    Tensor t = accept(Wire.protos(Wire.of().v(1, 0).v(1, 5).v(2, 13))).get(0);
    assertThat(t.dims()).containsExactly(0, 5);
    assertThat(t.numel()).isZero();
  }

  // ------------------------------------------------------------------ structural rejections

  @Test
  void truncationAnywhereIsRejected() {
    byte[] good = Wire.protos(floats2().v(10, 1).tag(9, FIXED64).fixed64(1));
    for (int n = 1; n < good.length; n++) {
      byte[] cut = java.util.Arrays.copyOf(good, n);
      assertThat(diff.check(cut)).as("cut to %d", n).isEqualTo(Differential.Outcome.REJECTED);
    }
    reject(Wire.of().tag(1, LEN).varint(10).raw(1, 2).build(), "not a valid");
    reject(Wire.protos(Wire.of().v(1, 1).tag(3, FIXED32).raw(0, 0)), "not a valid");
  }

  @Test
  void badWireTypesTagsAndGroupsAreRejected() {
    reject(Wire.of().raw(0x0e).build(), "not a valid");
    reject(Wire.of().raw(0x0f, 0).build(), "not a valid");
    reject(Wire.of().raw(0x00).build(), "not a valid");
    reject(Wire.of().raw(0x02, 0x00).build(), "not a valid");
    reject(Wire.of().tag(5, END_GROUP).build(), "not a valid");
    reject(Wire.protos(floats2().tag(5, END_GROUP)), "not a valid");
    reject(Wire.of().tag(5, START_GROUP).tag(6, END_GROUP).build(), "not a valid");
    reject(Wire.of().tag(5, START_GROUP).v(1, 1).build(), "not a valid");
    reject(Wire.protos(floats2().tag(5, START_GROUP)), "not a valid");
    reject(Wire.protos(Wire.of().v(1, 1).tag(3, LEN).varint(5).fixed32(0).raw(0)), "not a valid");
    reject(
        Wire.protos(Wire.of().v(1, 1).v(2, 13).tag(9, LEN).varint(12).raw(new byte[12])),
        "not a valid");
  }

  @Test
  void recursionLimitMatchesProtobufJava() {
    // TensorProtos is depth 0, a TensorProto depth 1: 100 nesting levels in all.
    assertThat(accept(nestedGroups(100, Wire.of()))).isEmpty();
    reject(nestedGroups(101, Wire.of()), "nest");
    assertThat(accept(Wire.protos(floats2().raw(nestedGroups(99, Wire.of()))))).hasSize(1);
    reject(Wire.protos(floats2().raw(nestedGroups(100, Wire.of()))), "nest");
    // device_detail is depth 2.
    assertThat(accept(Wire.protos(floats2().bytes(8, nestedGroups(98, Wire.of()))))).hasSize(1);
    reject(Wire.protos(floats2().bytes(8, nestedGroups(99, Wire.of()))), "nest");
  }

  private static byte[] nestedGroups(int depth, Wire inside) {
    Wire w = Wire.of();
    for (int i = 0; i < depth; i++) {
      w.tag(200 + i, START_GROUP);
    }
    w.raw(inside.build());
    for (int i = depth - 1; i >= 0; i--) {
      w.tag(200 + i, END_GROUP);
    }
    return w.build();
  }

  // ------------------------------------------------------------------ Caffe2 rule rejections

  @Test
  void dataTypesCaffe2CannotDecodeAreErrors() {
    reject(Wire.protos(Wire.of().v(1, 2).v(2, 42).packedFloats(3, 1, 2)), "42");
    reject(Wire.protos(Wire.of().v(1, 2).v(2, 1).v(2, 42).packedFloats(3, 1, 2)), "42");
    reject(Wire.protos(Wire.of().v(1, 2).v(2, 42).v(2, 1).packedFloats(3, 1, 2)), "42");
    reject(Wire.protos(Wire.of().v(1, 2).v(2, -3).packedFloats(3, 1, 2)), "-3");
    reject(Wire.protos(Wire.of().v(1, 2).v(2, 11).packedFloats(3, 1, 2)), "11");
    reject(Wire.protos(Wire.of().v(1, 2).v(2, 0).packedFloats(3, 1, 2)), "UNDEFINED");
    reject(Wire.protos(Wire.of().v(1, 0).v(2, 0)), "UNDEFINED");
    reject(Wire.protos(Wire.of().v(2, 14)), "ZERO_COLLISION_HASH");
    reject(Wire.protos(Wire.of().v(2, 15)), "REBATCHING_BUFFER");
    // A type number in the low 32 bits of a long varint is that type.
    Tensor t = accept(Wire.protos(Wire.of().v(1, 1).v(2, (1L << 32) | 10).v(10, 5))).get(0);
    assertThat(t.dataType()).isEqualTo(DataType.INT64);
  }

  @Test
  void payloadCountsMustEqualTheElementCount() {
    reject(
        Wire.protos(Wire.of().v(1, 2).v(1, 2).packedFloats(3, 1, 2, 3)),
        "FLOAT with dims [2,2] has 4 elements but float_data holds 3 values");
    reject(
        Wire.protos(Wire.of().v(2, 2)),
        "INT32 with dims [] has 1 element but int32_data holds 0 values");
    reject(Wire.protos(Wire.of().v(1, 1).v(2, 13).packed(10, 1)), "double_data holds 0 values");
    reject(Wire.protos(Wire.of().v(1, 2).v(2, 4).bytes(6, new byte[1])), "string_data holds 1");
    reject(
        Wire.protos(Wire.of().v(1, 4).v(2, 3).bytes(5, new byte[3])),
        "BYTE with dims [4] has 4 elements but byte_data holds 3 bytes");
    reject(Wire.protos(Wire.of().v(1, 1).v(2, 10).packed(4, 1)), "int64_data holds 0");
  }

  @Test
  void lyingHeadersFailBeforeAnyAllocation() {
    long big = 1_000_000_000L;
    reject(Wire.protos(Wire.of().v(1, big).v(1, big).packedFloats(3, 1)), "more than 2147483647");
    reject(Wire.protos(Wire.of().v(1, 1L << 31).v(2, 5)), "more than 2147483647");
    reject(
        Wire.protos(Wire.of().v(1, 1L << 30).v(2, 13).tag(9, LEN).varint(0)), "bytes, more than");
    reject(
        Wire.protos(Wire.of().v(1, big).v(2, 4).bytes(6, new byte[1])),
        "string_data holds 1 value");
    reject(Wire.protos(Wire.of().v(1, 3).v(1, -2).packedFloats(3, 1)), "negative dim -2");
    // Length prefixes of 2 GiB - 1 and 2 GiB (negative as int32), at both levels.
    reject(Wire.of().tag(1, LEN).varint(Integer.MAX_VALUE).raw(0).build(), "not a valid");
    reject(Wire.of().tag(1, LEN).varint(1L << 31).raw(0).build(), "not a valid");
    reject(Wire.protos(Wire.of().tag(6, LEN).varint(0xffffffffL)), "not a valid");
    reject(Wire.protos(Wire.of().tag(3, LEN).varint(Integer.MAX_VALUE - 3)), "not a valid");
    reject(Wire.protos(Wire.of().tag(5, LEN).varint(Integer.MAX_VALUE)), "not a valid");
  }

  @Test
  void theCallersBufferIsNotMoved() {
    byte[] rec = Wire.protos(floats2());
    ByteBuffer b = ByteBuffer.allocate(rec.length + 4).order(ByteOrder.BIG_ENDIAN);
    b.position(2);
    b.put(rec);
    b.position(2).limit(2 + rec.length);
    new TensorProtosDecoder().decode(b, null);
    TensorProtoCodec.decodeRecord(b);
    assertThat(b.position()).isEqualTo(2);
    assertThat(b.limit()).isEqualTo(2 + rec.length);
    assertThat(b.order()).isEqualTo(ByteOrder.BIG_ENDIAN);
  }
}
