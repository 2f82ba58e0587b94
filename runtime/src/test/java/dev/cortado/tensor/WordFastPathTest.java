package dev.cortado.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The decoder's 8-byte fast paths (varints read from one little-endian word, packed varints counted
 * by their last bytes) against the same decoder reading byte by byte: identical tensors, or
 * identical error messages, on every input; plus protobuf-java agreement via {@link Differential}.
 * The inputs put varints of every length (1 to 11 bytes, over-long encodings and the tenth-byte
 * quirk included) at every distance from the record's end and from the enclosing message's end,
 * where the fast path must hand over to the byte path.
 */
class WordFastPathTest {
  private final TensorProtosDecoder fast = new TensorProtosDecoder();
  private final TensorProtosDecoder slow = new TensorProtosDecoder(false);
  private final Differential reference = new Differential();
  private ByteBuffer direct = ByteBuffer.allocateDirect(4096);
  private int accepted;
  private int rejected;

  @Test
  void everyVarintLengthAtEveryDistanceFromTheEnd() {
    for (int len = 1; len <= 11; len++) {
      for (int tail = 0; tail <= 12; tail++) {
        for (int variant = 0; variant < 6; variant++) {
          for (int count = 1; count <= 20; count += count < 3 ? 1 : 8) {
            agree(record(len, tail, variant, count));
          }
        }
      }
    }
    assertThat(accepted).isGreaterThan(2_500);
    assertThat(rejected).isGreaterThan(500);
  }

  @Test
  void randomVarintRunsInEveryPayloadField() {
    SplittableRandom r = new SplittableRandom(0xfa57L);
    for (int i = 0; i < 10_000; i++) {
      agree(randomRecord(r));
    }
    assertThat(accepted).isGreaterThan(1_000);
    assertThat(rejected).isGreaterThan(1_000);
  }

  @Test
  void mutatedDatasetRecords() {
    List<byte[]> bases = new ArrayList<>(TestData.allValidValues());
    bases.addAll(FuzzSeeds.seeds());
    SplittableRandom r = new SplittableRandom(0x51_0c_0dL);
    for (int i = 0; i < 20_000; i++) {
      byte[] input = bases.get(r.nextInt(bases.size()));
      int edits = 1 + r.nextInt(3);
      for (int e = 0; e < edits; e++) {
        input = MutationAgreementTest.mutate(input, bases, r);
      }
      // Agreement with protobuf-java on these is MutationAgreementTest's job.
      if (fastAgreesWithSlow(input)) {
        accepted++;
      } else {
        rejected++;
      }
    }
    assertThat(accepted).isGreaterThan(1_000);
    assertThat(rejected).isGreaterThan(1_000);
  }

  /**
   * One tensor whose payload holds {@code count} varints of {@code len} bytes, followed by {@code
   * tail} bytes of an unknown field in the tensor and nothing after it in the record.
   */
  private static byte[] record(int len, int tail, int variant, int count) {
    boolean int64 = variant % 2 == 1;
    boolean packed = variant < 4;
    boolean quirk = variant >= 4; // 10th byte with continuation and low bit set
    Wire t = Wire.of().v(1, count).v(2, int64 ? 10 : 2);
    Wire payload = Wire.of();
    for (int i = 0; i < count; i++) {
      if (!packed) {
        t.tag(int64 ? 10 : 4, Wire.VARINT);
        t.raw(varintBytes(len, quirk, i));
      } else {
        payload.raw(varintBytes(len, quirk, i));
      }
    }
    if (packed) {
      t.bytes(int64 ? 10 : 4, payload);
    }
    if (tail >= 2) {
      t.bytes(99, new byte[tail - 2]);
    } else if (tail == 1) {
      t.raw(0x80); // a truncated varint right at the end
    }
    return Wire.protos(t);
  }

  /** {@code len} bytes: continuation bits on all but the last (or on all for the quirk). */
  private static byte[] varintBytes(int len, boolean quirk, int salt) {
    byte[] b = new byte[len];
    for (int i = 0; i < len; i++) {
      b[i] = (byte) (0x80 | ((i * 37 + salt * 11 + 5) & 0x7f));
    }
    if (quirk && len >= 10) {
      b[9] = (byte) 0x81;
    } else {
      b[len - 1] &= 0x7f;
    }
    return b;
  }

  private static byte[] randomRecord(SplittableRandom r) {
    // Packed chunks of 16 bytes or more are counted eight bytes at a time; shorter ones walk.
    int n = r.nextInt(3) == 0 ? 8 + r.nextInt(40) : r.nextInt(12);
    // The varints go into int32_data (4), int64_data (10) or packed dims (1); the declared type
    // sometimes disagrees with the field, which Caffe2's count rule then rejects.
    int field = new int[] {4, 4, 10, 1}[r.nextInt(4)];
    boolean int64 = r.nextInt(4) == 0;
    Wire payload = Wire.of();
    for (int i = 0; i < n; i++) {
      int len = r.nextInt(8) == 0 ? 1 + r.nextInt(11) : 1 + r.nextInt(3);
      byte[] b = new byte[len];
      for (int j = 0; j < len; j++) {
        b[j] = (byte) (0x80 | r.nextInt(128));
      }
      if (r.nextInt(50) != 0) {
        b[len - 1] &= 0x7f;
      }
      if (len >= 10 && r.nextBoolean()) {
        b[9] = (byte) (0x80 | (r.nextInt(64) << 1) | 1);
      }
      payload.raw(b);
    }
    Wire t = Wire.of();
    if (field == 1) {
      t.v(2, int64 ? 10 : 2);
      t.bytes(1, payload);
    } else {
      t.v(1, n + (r.nextInt(10) == 0 ? 1 : 0)).v(2, field == 10 || int64 ? 10 : 2);
      if (r.nextBoolean()) {
        t.bytes(field == 10 ? 10 : 4, payload);
      } else {
        t.raw(unpacked(payload.build(), field == 10 ? 10 : 4));
      }
    }
    byte[] tensor = t.build();
    Wire rec = Wire.of();
    if (r.nextBoolean()) {
      rec.v(7, r.nextLong());
    }
    rec.bytes(1, tensor);
    for (int i = r.nextInt(3); i > 0; i--) {
      rec.bytes(1, Wire.of().v(2, 2).v(4, r.nextInt(300) - 150));
    }
    byte[] out = rec.build();
    if (r.nextInt(8) == 0 && out.length > 0) {
      byte[] cut = new byte[r.nextInt(out.length)];
      System.arraycopy(out, 0, cut, 0, cut.length);
      return cut;
    }
    return out;
  }

  /** Each varint of a packed run as its own unpacked field (a tag before each last byte run). */
  private static byte[] unpacked(byte[] packed, int field) {
    Wire w = Wire.of();
    int start = 0;
    for (int i = 0; i < packed.length; i++) {
      if (packed[i] >= 0 || i == packed.length - 1) {
        w.tag(field, Wire.VARINT);
        for (int j = start; j <= i; j++) {
          w.raw(packed[j] & 0xff);
        }
        start = i + 1;
      }
    }
    return w.build();
  }

  private void agree(byte[] input) {
    if (reference.check(input) == Differential.Outcome.ACCEPTED) {
      accepted++;
    } else {
      rejected++;
    }
    fastAgreesWithSlow(input);
  }

  /** Fast paths (heap and direct source) against byte-at-a-time reads; true when accepted. */
  private boolean fastAgreesWithSlow(byte[] input) {
    Object s = run(slow, ByteBuffer.wrap(input));
    compare(input, run(fast, ByteBuffer.wrap(input)), s);
    compare(input, run(fast, windowed(input)), s);
    return s instanceof List;
  }

  private static void compare(byte[] input, Object f, Object s) {
    boolean same;
    if (f instanceof List<?> a && s instanceof List<?> b) {
      same = a.size() == b.size();
      for (int i = 0; same && i < a.size(); i++) {
        same = ((Tensor) a.get(i)).contentEquals((Tensor) b.get(i));
      }
    } else {
      same = f.equals(s);
    }
    if (!same) {
      throw new AssertionError(
          "fast and byte-at-a-time reads differ on "
              + HexFormat.of().formatHex(input)
              + "\nfast: "
              + f
              + "\nslow: "
              + s);
    }
  }

  /** The tensors, or the error message as a String. */
  private static Object run(TensorProtosDecoder d, ByteBuffer value) {
    try {
      return d.decode(value, "k");
    } catch (DecodeException e) {
      return "rejected: " + e.getMessage();
    }
  }

  /** The input in a direct buffer between junk bytes that neither path may read. */
  private ByteBuffer windowed(byte[] input) {
    if (direct.capacity() < input.length + 32) {
      direct = ByteBuffer.allocateDirect(input.length * 2 + 32);
    }
    direct.clear();
    for (int i = 0; i < 5; i++) {
      direct.put((byte) 0x80);
    }
    direct.put(input);
    int end = direct.position();
    for (int i = 0; i < 11; i++) {
      direct.put((byte) 0x80);
    }
    return direct.limit(end).position(5);
  }
}
