package dev.cortado.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A CPU tensor: a data type, dims of {@code long}, and either off-heap little-endian storage
 * (direct, 64-byte aligned) for fixed-size types or one byte string per element for STRING.
 *
 * <p>The dims and type are fixed; the element bytes are mutable through {@link #data()}. A tensor
 * made by {@link #wrap} does not own its storage (a pool does).
 */
public final class Tensor {
  /** Alignment of every storage buffer Cortado allocates, as in Caffe2's CPU allocator. */
  public static final int ALIGNMENT = 64;

  private final DataType type;
  private final long[] dims;
  private final long numel;
  private final ByteBuffer data;
  private final byte[][] strings;

  private Tensor(DataType type, long[] dims, ByteBuffer data, byte[][] strings) {
    this.type = Objects.requireNonNull(type, "type");
    this.dims = dims.clone();
    this.numel = Shapes.numel(this.dims);
    this.data = data;
    this.strings = strings;
  }

  /** A zero-filled tensor with fresh aligned storage (or empty strings for STRING). */
  public static Tensor allocate(DataType type, long... dims) {
    long n = Shapes.numel(dims);
    if (type == DataType.STRING) {
      byte[][] values = new byte[Math.toIntExact(n)][];
      Arrays.fill(values, new byte[0]);
      return new Tensor(type, dims, null, values);
    }
    if (!type.isFixedSize()) {
      throw new DecodeException("cannot allocate a tensor of type " + type);
    }
    long bytes = n * type.elementSize(); // n <= 2^31 - 1, so this cannot overflow
    if (bytes > Integer.MAX_VALUE) {
      throw new DecodeException(
          type
              + " tensor "
              + Shapes.toString(dims)
              + " needs "
              + bytes
              + " bytes, more than one buffer holds ("
              + Integer.MAX_VALUE
              + ")");
    }
    return new Tensor(type, dims, allocateAligned((int) bytes), null);
  }

  /**
   * A tensor over existing storage. The buffer's position..limit must hold exactly {@code numel *
   * elementSize} bytes; the tensor sees that window, little-endian.
   */
  public static Tensor wrap(DataType type, long[] dims, ByteBuffer storage) {
    if (!type.isFixedSize()) {
      throw new IllegalArgumentException("wrap needs a fixed-size type, got " + type);
    }
    long expected = Math.multiplyExact(Shapes.numel(dims), type.elementSize());
    if (storage.remaining() != expected) {
      throw new IllegalArgumentException(
          "storage holds "
              + storage.remaining()
              + " bytes, "
              + type
              + " "
              + Shapes.toString(dims)
              + " needs "
              + expected);
    }
    return new Tensor(type, dims, storage.slice().order(ByteOrder.LITTLE_ENDIAN), null);
  }

  /** A STRING tensor; the array is used as is, one entry per element in C order. */
  public static Tensor ofStrings(long[] dims, byte[][] values) {
    if (values.length != Shapes.numel(dims)) {
      throw new IllegalArgumentException(
          values.length + " strings for shape " + Shapes.toString(dims));
    }
    return new Tensor(DataType.STRING, dims, null, values);
  }

  /** Fresh direct storage of {@code bytes} bytes, 64-byte aligned, little-endian, zero-filled. */
  public static ByteBuffer allocateAligned(int bytes) {
    // alignedSlice() would also round the end down; skip to the first aligned address instead.
    ByteBuffer raw = ByteBuffer.allocateDirect(bytes + ALIGNMENT);
    int skip = (ALIGNMENT - raw.alignmentOffset(0, ALIGNMENT)) % ALIGNMENT;
    return raw.slice(skip, bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  public DataType dataType() {
    return type;
  }

  /** A copy of the dims, outermost first; empty for a scalar. */
  public long[] dims() {
    return dims.clone();
  }

  public int rank() {
    return dims.length;
  }

  public long dim(int i) {
    return dims[i];
  }

  /** Element count: the product of the dims (1 for a scalar). */
  public long numel() {
    return numel;
  }

  /** Storage size in bytes for fixed-size types; for STRING the sum of the string lengths. */
  public long nbytes() {
    if (strings != null) {
      long total = 0;
      for (byte[] s : strings) {
        total += s.length;
      }
      return total;
    }
    return data.capacity();
  }

  /**
   * The element bytes: a little-endian view from position 0 to the end. Writes through the view
   * change the tensor. Throws for STRING tensors.
   */
  public ByteBuffer data() {
    if (data == null) {
      throw new IllegalStateException("a " + type + " tensor has no byte storage");
    }
    return data.duplicate().clear().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** The byte strings of a STRING tensor, one per element in C order (the live array). */
  public byte[][] strings() {
    if (strings == null) {
      throw new IllegalStateException("a " + type + " tensor has no strings");
    }
    return strings;
  }

  /** True when both tensors have the same type, dims and element bytes. */
  public boolean contentEquals(Tensor other) {
    if (type != other.type || !Arrays.equals(dims, other.dims)) {
      return false;
    }
    if (strings != null) {
      return Arrays.deepEquals(strings, other.strings);
    }
    return data().equals(other.data());
  }

  @Override
  public String toString() {
    return "Tensor[" + type.shortName() + " " + Shapes.toString(dims) + "]";
  }
}
