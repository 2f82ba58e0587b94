package dev.cortado.tensor;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** A hand encoder for protobuf wire bytes, for tests that need encodings no library writes. */
final class Wire {
  static final int VARINT = 0;
  static final int FIXED64 = 1;
  static final int LEN = 2;
  static final int START_GROUP = 3;
  static final int END_GROUP = 4;
  static final int FIXED32 = 5;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  static Wire of() {
    return new Wire();
  }

  Wire tag(int field, int wireType) {
    return varint(((long) field << 3) | wireType);
  }

  /** A minimal varint of the 64-bit pattern v. */
  Wire varint(long v) {
    while ((v & ~0x7fL) != 0) {
      out.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
    return this;
  }

  /** A varint of v padded to exactly n bytes with continuation bytes (over-long encoding). */
  Wire varintPadded(long v, int n) {
    for (int i = 0; i < n - 1; i++) {
      out.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.write((int) (v & 0x7f));
    return this;
  }

  Wire raw(int... bytes) {
    for (int b : bytes) {
      out.write(b);
    }
    return this;
  }

  Wire raw(byte[] bytes) {
    out.writeBytes(bytes);
    return this;
  }

  Wire fixed32(int v) {
    return raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
  }

  Wire fixed64(long v) {
    return raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
  }

  /** Field with a varint value. */
  Wire v(int field, long value) {
    return tag(field, VARINT).varint(value);
  }

  /** Length-delimited field. */
  Wire bytes(int field, byte[] value) {
    return tag(field, LEN).varint(value.length).raw(value);
  }

  Wire bytes(int field, Wire nested) {
    return bytes(field, nested.build());
  }

  /** Packed varints. */
  Wire packed(int field, long... values) {
    Wire w = new Wire();
    for (long v : values) {
      w.varint(v);
    }
    return bytes(field, w);
  }

  Wire packedFloats(int field, float... values) {
    Wire w = new Wire();
    for (float f : values) {
      w.fixed32(Float.floatToRawIntBits(f));
    }
    return bytes(field, w);
  }

  byte[] build() {
    return out.toByteArray();
  }

  /** A TensorProtos with these TensorProto bodies. */
  static byte[] protos(Wire... tensors) {
    Wire w = new Wire();
    for (Wire t : tensors) {
      w.bytes(1, t);
    }
    return w.build();
  }
}
