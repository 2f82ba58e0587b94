package dev.cortado.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 of a tensor's elements by the shared test-data hashing rule: the raw little-endian
 * element bytes in C order; for STRING, per element a uint32 little-endian length and then the
 * bytes. Dims and type are not hashed. Used by the CLI, the tests and the benchmarks.
 */
public final class TensorDigest {
  private TensorDigest() {}

  /** Lower-case hex SHA-256 of the tensor's elements. */
  public static String sha256Hex(Tensor t) {
    return HexFormat.of().formatHex(sha256(t));
  }

  /** SHA-256 of the tensor's elements. */
  public static byte[] sha256(Tensor t) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform provides SHA-256", e);
    }
    if (t.dataType() == DataType.STRING) {
      ByteBuffer len = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
      for (byte[] s : t.strings()) {
        len.putInt(0, s.length);
        md.update(len.array());
        md.update(s);
      }
    } else {
      md.update(t.data());
    }
    return md.digest();
  }
}
