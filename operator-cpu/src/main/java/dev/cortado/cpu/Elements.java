package dev.cortado.cpu;

import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import java.nio.ByteBuffer;

/**
 * Element access for the numeric CPU operators: reads and writes element {@code i} of a fixed-size
 * tensor as a long or a double, with C's conversion rules on x86-64 (the platform Caffe2's results
 * come from).
 */
final class Elements {
  private Elements() {}

  /** True for FLOAT, DOUBLE and FLOAT16. */
  static boolean isFloating(DataType t) {
    return t == DataType.FLOAT || t == DataType.DOUBLE || t == DataType.FLOAT16;
  }

  static double getDouble(ByteBuffer b, DataType t, int i) {
    return switch (t) {
      case FLOAT -> b.getFloat(i * 4);
      case DOUBLE -> b.getDouble(i * 8);
      case FLOAT16 -> halfToFloat(b.getShort(i * 2));
      default -> getLong(b, t, i);
    };
  }

  static long getLong(ByteBuffer b, DataType t, int i) {
    return switch (t) {
      case INT32 -> b.getInt(i * 4);
      case INT64 -> b.getLong(i * 8);
      case INT16 -> b.getShort(i * 2);
      case UINT16 -> b.getShort(i * 2) & 0xFFFF;
      case INT8 -> b.get(i);
      case UINT8, BYTE -> b.get(i) & 0xFF;
      case BOOL -> b.get(i) != 0 ? 1 : 0;
      case FLOAT -> toInt64(b.getFloat(i * 4));
      case DOUBLE -> toInt64(b.getDouble(i * 8));
      default -> throw new IllegalArgumentException("no numeric elements in " + t);
    };
  }

  /** Writes {@code v} converted like a C cast from an integer. */
  static void putLong(ByteBuffer b, DataType t, int i, long v) {
    switch (t) {
      case FLOAT -> b.putFloat(i * 4, (float) v);
      case DOUBLE -> b.putDouble(i * 8, (double) v);
      case INT32 -> b.putInt(i * 4, (int) v);
      case INT64 -> b.putLong(i * 8, v);
      case INT16, UINT16 -> b.putShort(i * 2, (short) v);
      case INT8, UINT8, BYTE -> b.put(i, (byte) v);
      case BOOL -> b.put(i, (byte) (v != 0 ? 1 : 0));
      default -> throw new IllegalArgumentException("cannot store numbers in " + t);
    }
  }

  /**
   * Writes {@code v} converted like a C cast from a floating-point value on x86-64: truncation
   * toward zero; NaN and out-of-range values give the "integer indefinite" value (the minimum of
   * the 32- or 64-bit type), and the small integer types truncate that 32-bit result.
   */
  static void putDouble(ByteBuffer b, DataType t, int i, double v) {
    switch (t) {
      case FLOAT -> b.putFloat(i * 4, (float) v);
      case DOUBLE -> b.putDouble(i * 8, v);
      case INT64 -> b.putLong(i * 8, toInt64(v));
      case INT32 -> b.putInt(i * 4, toInt32(v));
      case INT16, UINT16 -> b.putShort(i * 2, (short) toInt32(v));
      case INT8, UINT8, BYTE -> b.put(i, (byte) toInt32(v));
      case BOOL -> b.put(i, (byte) (v != 0 ? 1 : 0)); // NaN != 0, as in C
      default -> throw new IllegalArgumentException("cannot store numbers in " + t);
    }
  }

  static int toInt32(double v) {
    if (Double.isNaN(v) || v >= 2147483648.0 || v <= -2147483649.0) {
      return Integer.MIN_VALUE;
    }
    return (int) v;
  }

  static long toInt64(double v) {
    if (Double.isNaN(v) || v >= 9.223372036854775807E18 || v < -9.223372036854775808E18) {
      return Long.MIN_VALUE;
    }
    return (long) v;
  }

  /** IEEE half bits to float (Java 17 has no Float.float16ToFloat). */
  static float halfToFloat(short bits) {
    int h = bits & 0xFFFF;
    int sign = (h >>> 15) << 31;
    int exp = (h >>> 10) & 0x1F;
    int mant = h & 0x3FF;
    if (exp == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
    }
    if (exp == 0) {
      if (mant == 0) {
        return Float.intBitsToFloat(sign);
      }
      float f = mant / 1024f / 16384f; // mant * 2^-24
      return sign != 0 ? -f : f;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  /** Reuses the output blob's tensor when it already has this type and shape, else allocates. */
  static Tensor reuseOrAllocate(Object current, DataType type, long[] dims) {
    if (current instanceof Tensor t
        && t.dataType() == type
        && java.util.Arrays.equals(t.dims(), dims)) {
      return t;
    }
    return Tensor.allocate(type, dims);
  }

  /** A deep copy of a tensor (strings included). */
  static Tensor copy(Tensor src, Object currentOutput) {
    if (src.dataType() == DataType.STRING) {
      return Tensor.ofStrings(src.dims(), src.strings().clone());
    }
    Tensor out = reuseOrAllocate(currentOutput, src.dataType(), src.dims());
    if (out != src) {
      out.data().put(src.data());
    }
    return out;
  }
}
