package dev.cortado.tensor;

import java.util.Locale;
import java.util.Optional;

/**
 * Caffe2's tensor element types ({@code TensorProto.DataType}), with their wire numbers, element
 * sizes and names.
 */
public enum DataType {
  UNDEFINED(0, 0, "undefined"),
  FLOAT(1, 4, "float32"),
  INT32(2, 4, "int32"),
  /** Legacy raw bytes; reads as {@code uint8}. */
  BYTE(3, 1, "uint8"),
  STRING(4, 0, "string"),
  BOOL(5, 1, "bool"),
  UINT8(6, 1, "uint8"),
  INT8(7, 1, "int8"),
  UINT16(8, 2, "uint16"),
  INT16(9, 2, "int16"),
  INT64(10, 8, "int64"),
  FLOAT16(12, 2, "float16"),
  DOUBLE(13, 8, "float64");

  private static final DataType[] BY_NUMBER = new DataType[14];

  static {
    for (DataType t : values()) {
      BY_NUMBER[t.number] = t;
    }
  }

  private final int number;
  private final int elementSize;
  private final String shortName;

  DataType(int number, int elementSize, String shortName) {
    this.number = number;
    this.elementSize = elementSize;
    this.shortName = shortName;
  }

  /** The {@code TensorProto.DataType} wire number. */
  public int number() {
    return number;
  }

  /** Bytes per element; 0 for STRING and UNDEFINED, which have no fixed size. */
  public int elementSize() {
    return elementSize;
  }

  /** Caffe2's enum name, such as {@code FLOAT}. */
  public String caffe2Name() {
    return name();
  }

  /** The short name used in digests and listings, such as {@code float32}. */
  public String shortName() {
    return shortName;
  }

  /** True for every type whose elements have a fixed size and live off-heap. */
  public boolean isFixedSize() {
    return elementSize > 0;
  }

  /** The type for a wire number, or empty when the number is not a Caffe2 data type. */
  public static Optional<DataType> fromNumber(int number) {
    if (number < 0 || number >= BY_NUMBER.length) {
      return Optional.empty();
    }
    return Optional.ofNullable(BY_NUMBER[number]);
  }

  /**
   * The type for a Caffe2 enum name or short name, case-insensitive ({@code "float"}, {@code
   * "FLOAT"}, {@code "float32"}).
   */
  public static Optional<DataType> fromName(String name) {
    String trimmed = name.trim();
    String upper = trimmed.toUpperCase(Locale.ROOT);
    for (DataType t : values()) {
      if (t.name().equals(upper)) {
        return Optional.of(t);
      }
    }
    for (DataType t : values()) {
      if (t != BYTE && t.shortName.equalsIgnoreCase(trimmed)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
