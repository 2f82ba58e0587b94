package dev.cortado.reliability;

import java.io.ByteArrayOutputStream;

/** Hand-written protobuf wire bytes, for headers no encoder would write. */
final class Wire {
  static final int VARINT = 0;
  static final int LEN = 2;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  static Wire of() {
    return new Wire();
  }

  Wire varint(long v) {
    while ((v & ~0x7fL) != 0) {
      out.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
    return this;
  }

  Wire tag(int field, int wireType) {
    return varint(((long) field << 3) | wireType);
  }

  /** A varint field. */
  Wire v(int field, long value) {
    return tag(field, VARINT).varint(value);
  }

  /** A length-delimited field with its real length. */
  Wire bytes(int field, byte[] b) {
    tag(field, LEN).varint(b.length);
    return raw(b);
  }

  /** A length-delimited field whose prefix says {@code declared} but only {@code b} follows. */
  Wire lying(int field, long declared, byte[] b) {
    tag(field, LEN).varint(declared);
    return raw(b);
  }

  Wire raw(byte[] b) {
    out.write(b, 0, b.length);
    return this;
  }

  byte[] build() {
    return out.toByteArray();
  }

  /** A TensorProtos holding one proto with these bytes. */
  static byte[] protos(Wire proto) {
    return of().bytes(1, proto.build()).build();
  }
}
