package dev.cortado.tensor;

import static dev.cortado.tensor.Wire.END_GROUP;
import static dev.cortado.tensor.Wire.FIXED32;
import static dev.cortado.tensor.Wire.FIXED64;
import static dev.cortado.tensor.Wire.START_GROUP;
import static dev.cortado.tensor.Wire.VARINT;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Small synthetic TensorProtos encodings that cover the decoder's branches: every type in the 2018
 * layout, byte holders, bfloat16, packed/unpacked/split payloads, unknown fields of every wire
 * type, groups, over-long varints, segments, last-wins fields and a few invalid records. They seed
 * the committed Jazzer corpus and the mutation test. {@link #main} rewrites the corpus: {@code java
 * ... dev.cortado.tensor.FuzzSeeds src/test/resources/.../decodersAgree}.
 */
final class FuzzSeeds {
  private FuzzSeeds() {}

  static List<byte[]> seeds() {
    List<byte[]> out = new ArrayList<>();
    RoundTripTest.tensors().forEach(t -> out.add(TensorProtoCodec.encodeRecord(List.of(t))));
    Wire f = Wire.of().v(1, 2).v(2, 1).packedFloats(3, 1.5f, -2f);
    out.add(
        Wire.protos(
            f,
            Wire.of().v(2, 2).v(4, -7),
            Wire.of().v(1, 3).v(2, 3).bytes(5, new byte[] {1, 2, (byte) 0xff})));
    out.add(
        Wire.protos(
            Wire.of()
                .v(1, 2)
                .tag(3, FIXED32)
                .fixed32(0x7fc00000)
                .v(99, 1)
                .packedFloats(3)
                .tag(3, FIXED32)
                .fixed32(1)));
    out.add(Wire.protos(Wire.of().packed(1, 2, 1).v(2, 10).packed(10, -1).v(10, 1L << 40)));
    out.add(
        Wire.protos(
            Wire.of().v(1, 2).v(2, 13).tag(9, FIXED64).fixed64(1).bytes(9, Wire.of().fixed64(-1))));
    out.add(Wire.protos(Wire.of().v(1, 2).v(2, 12).bytes(5, new byte[] {1, 0x7e, 0, (byte) 0xfc})));
    out.add(Wire.protos(Wire.of().v(1, 3).v(2, 5).bytes(5, new byte[] {0, 2, 1})));
    out.add(Wire.protos(Wire.of().v(1, 2).v(2, 1).v(15, 1).bytes(13, new byte[] {1, 2, 3, 4})));
    out.add(
        Wire.protos(
            Wire.of()
                .v(1, 2)
                .v(2, 4)
                .bytes(6, new byte[0])
                .bytes(7, new byte[] {(byte) 0xc3})
                .bytes(6, new byte[] {'x'})));
    out.add(
        Wire.protos(
            Wire.of()
                .raw(f.build())
                .bytes(11, Wire.of().v(1, 0).v(2, 2))
                .bytes(8, Wire.of().v(1, 1).v(2, 0))));
    out.add(
        Wire.of()
            .v(99, 5)
            .bytes(1, f)
            .tag(7, START_GROUP)
            .v(1, 1)
            .tag(7, END_GROUP)
            .tag(8, FIXED32)
            .fixed32(0)
            .bytes(1, f)
            .build());
    out.add(
        Wire.protos(
            Wire.of()
                .raw(f.build())
                .tag(103, START_GROUP)
                .tag(104, FIXED64)
                .fixed64(0)
                .tag(103, END_GROUP)
                .tag(2, VARINT)
                .varintPadded(1, 10)));
    out.add(
        Wire.protos(
            Wire.of()
                .v(1, 1)
                .v(2, 1)
                .v(2, 2)
                .v(4, 5)
                .bytes(5, new byte[] {9})
                .bytes(5, new byte[0])));
    out.add(Wire.protos(Wire.of().v(1, 2).v(2, 42).packedFloats(3, 1, 2)));
    out.add(Wire.protos(Wire.of().v(1, 2).v(1, 2).packedFloats(3, 1, 2, 3)));
    out.add(Wire.protos(Wire.of().v(1, 2).v(2, 8).packed(4, 65535, -1)));
    out.add(Wire.protos(Wire.of().v(1, 0).v(2, 7)));
    return out;
  }

  /** Writes each seed to {@code dir} as {@code seed-NN} (the committed Jazzer corpus). */
  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    Files.createDirectories(dir);
    List<byte[]> seeds = seeds();
    for (int i = 0; i < seeds.size(); i++) {
      Files.write(dir.resolve(String.format("seed-%02d", i)), seeds.get(i));
    }
    System.out.println(
        seeds.stream().map(s -> HexFormat.of().formatHex(s)).collect(Collectors.joining("\n")));
  }
}
