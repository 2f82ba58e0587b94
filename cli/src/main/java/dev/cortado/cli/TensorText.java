package dev.cortado.cli;

import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import java.nio.ByteBuffer;

/** Short human-readable renderings of tensor values for tables and summaries. */
final class TensorText {
  private TensorText() {}

  /** The first {@code max} elements separated by spaces, then "... (n values)" when cut. */
  static String values(Tensor t, int max) {
    long n = t.numel();
    int shown = (int) Math.min(n, max);
    StringBuilder sb = new StringBuilder();
    ByteBuffer data = t.dataType() == DataType.STRING ? null : t.data();
    for (int i = 0; i < shown; i++) {
      if (i > 0) {
        sb.append(' ');
      }
      sb.append(element(t, data, i));
    }
    if (n > shown) {
      sb.append(" ... (").append(n).append(" values)");
    }
    return sb.toString();
  }

  private static String element(Tensor t, ByteBuffer d, int i) {
    return switch (t.dataType()) {
      case FLOAT -> shortFloat(d.getFloat(i * 4));
      case DOUBLE -> shortFloat(d.getDouble(i * 8));
      case INT32 -> Integer.toString(d.getInt(i * 4));
      case INT64 -> Long.toString(d.getLong(i * 8));
      case INT16 -> Short.toString(d.getShort(i * 2));
      case UINT16 -> Integer.toString(d.getShort(i * 2) & 0xffff);
      case INT8 -> Byte.toString(d.get(i));
      case UINT8, BYTE -> Integer.toString(d.get(i) & 0xff);
      case BOOL -> d.get(i) != 0 ? "true" : "false";
      case FLOAT16 -> shortFloat(halfToFloat(d.getShort(i * 2)));
      case STRING -> quoted(t.strings()[i], 24);
      default -> "?";
    };
  }

  /** A compact decimal: integers without ".0", otherwise up to 6 significant digits. */
  static String shortFloat(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return Double.toString(v);
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return (v == 0 && 1 / v < 0) ? "-0" : Long.toString((long) v);
    }
    String s = String.format("%.6g", v);
    if (s.contains("e") || s.contains("E")) {
      return s;
    }
    return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
  }

  /** IEEE 754 half (bit pattern) to float; Java 17 has no Float.float16ToFloat. */
  static float halfToFloat(short bits) {
    int h = bits & 0xffff;
    int sign = (h >>> 15) << 31;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      if (mant == 0) {
        return Float.intBitsToFloat(sign);
      }
      float v = mant / 1024f / 16384f;
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
  }

  /** A byte string as a quoted literal, non-printable bytes as \xNN, cut after {@code max}. */
  static String quoted(byte[] s, int max) {
    StringBuilder sb = new StringBuilder("\"");
    int shown = Math.min(s.length, max);
    for (int i = 0; i < shown; i++) {
      int b = s[i] & 0xff;
      if (b == '"' || b == '\\') {
        sb.append('\\').append((char) b);
      } else if (b >= 0x20 && b < 0x7f) {
        sb.append((char) b);
      } else {
        sb.append(String.format("\\x%02x", b));
      }
    }
    sb.append(s.length > shown ? "...\"" : "\"");
    return sb.toString();
  }
}
