package dev.cortado.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Deterministic differential fuzzing for CI: 100,000 inputs made by a seeded mutator (bit flips,
 * byte edits, inserts, deletes, truncation, over-long and broken varints, splices, length edits)
 * from every valid record of the shared datasets plus the synthetic seeds; both decoders must agree
 * on every one. Jazzer's coverage-guided run is {@link DecoderFuzzTest}.
 */
class MutationAgreementTest {
  static final int INPUTS = 100_000;

  @Test
  void decodersAgreeOnMutatedRecords() {
    List<byte[]> bases = new ArrayList<>(TestData.allValidValues());
    bases.addAll(FuzzSeeds.seeds());
    SplittableRandom random = new SplittableRandom(0x5eed_cafeL);
    Differential diff = new Differential();
    int accepted = 0;
    for (int i = 0; i < INPUTS; i++) {
      byte[] base = bases.get(random.nextInt(bases.size()));
      byte[] input = base;
      int edits = 1 + random.nextInt(random.nextInt(8) == 0 ? 8 : 3);
      for (int e = 0; e < edits; e++) {
        input = mutate(input, bases, random);
      }
      if (diff.check(input) == Differential.Outcome.ACCEPTED) {
        accepted++;
      }
    }
    // Both outcomes must be well represented, or the test exercises only one side.
    assertThat(accepted).isBetween(INPUTS / 20, INPUTS - INPUTS / 20);
  }

  @Test
  void committedJazzerCorpusHoldsEverySeed() throws IOException {
    Path dir = Path.of("src/test/resources/dev/cortado/tensor/DecoderFuzzTestInputs/decodersAgree");
    List<byte[]> files = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        files.add(Files.readAllBytes(p));
      }
    }
    for (byte[] seed : FuzzSeeds.seeds()) {
      assertThat(files.stream().anyMatch(f -> Arrays.equals(f, seed)))
          .as(
              "seed %s in the corpus (regenerate with FuzzSeeds.main)",
              java.util.HexFormat.of().formatHex(seed))
          .isTrue();
    }
  }

  static byte[] mutate(byte[] in, List<byte[]> bases, SplittableRandom r) {
    int n = in.length;
    switch (r.nextInt(10)) {
      case 0:
        { // bit flip
          if (n == 0) {
            return new byte[] {(byte) r.nextInt(256)};
          }
          byte[] out = in.clone();
          out[r.nextInt(n)] ^= (byte) (1 << r.nextInt(8));
          return out;
        }
      case 1:
        { // interesting byte
          if (n == 0) {
            return in;
          }
          byte[] out = in.clone();
          int[] values = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x10, 0x0b, 0x0c, 0x0e};
          out[r.nextInt(n)] = (byte) values[r.nextInt(values.length)];
          return out;
        }
      case 2:
        { // insert random bytes
          int at = r.nextInt(n + 1);
          byte[] ins = new byte[1 + r.nextInt(4)];
          for (int i = 0; i < ins.length; i++) {
            ins[i] = (byte) r.nextInt(256);
          }
          return splice(in, at, at, ins);
        }
      case 3:
        { // delete a range
          if (n == 0) {
            return in;
          }
          int at = r.nextInt(n);
          return splice(in, at, Math.min(n, at + 1 + r.nextInt(4)), new byte[0]);
        }
      case 4: // truncate
        return Arrays.copyOf(in, n == 0 ? 0 : r.nextInt(n));
      case 5:
        { // make a varint over-long: set the continuation bit and append a 0x80/0x00 tail
          if (n == 0) {
            return in;
          }
          int at = r.nextInt(n);
          byte[] tail = new byte[1 + r.nextInt(9)];
          for (int i = 0; i < tail.length - 1; i++) {
            tail[i] = (byte) 0x80;
          }
          tail[tail.length - 1] = (byte) (r.nextInt(4) == 0 ? 0x81 : 0x00);
          byte[] out = splice(in, at + 1, at + 1, tail);
          out[at] |= (byte) 0x80;
          return out;
        }
      case 6:
        { // length/count byte +-1
          if (n == 0) {
            return in;
          }
          byte[] out = in.clone();
          int at = r.nextInt(n);
          out[at] = (byte) (out[at] + (r.nextBoolean() ? 1 : -1));
          return out;
        }
      case 7:
        { // duplicate a slice elsewhere (repeats fields, nests chunks)
          if (n == 0) {
            return in;
          }
          int from = r.nextInt(n);
          int to = Math.min(n, from + 1 + r.nextInt(16));
          int at = r.nextInt(n + 1);
          return splice(in, at, at, Arrays.copyOfRange(in, from, to));
        }
      case 8:
        { // splice in a slice of another record
          byte[] other = bases.get(r.nextInt(bases.size()));
          if (other.length == 0) {
            return in;
          }
          int from = r.nextInt(other.length);
          int to = Math.min(other.length, from + 1 + r.nextInt(32));
          int at = r.nextInt(n + 1);
          int cut = Math.min(n, at + r.nextInt(8));
          return splice(in, at, cut, Arrays.copyOfRange(other, from, to));
        }
      default:
        { // append a random small field
          int field = 1 + r.nextInt(16);
          int type = r.nextInt(8);
          Wire w = Wire.of().raw(in).tag(field, type);
          if (type == Wire.VARINT) {
            w.varint(r.nextLong() >> r.nextInt(64));
          } else if (type == Wire.LEN) {
            w.varint(r.nextInt(4)).raw(r.nextInt(256), r.nextInt(256));
          }
          return w.build();
        }
    }
  }

  private static byte[] splice(byte[] in, int from, int to, byte[] insert) {
    byte[] out = new byte[in.length - (to - from) + insert.length];
    System.arraycopy(in, 0, out, 0, from);
    System.arraycopy(insert, 0, out, from, insert.length);
    System.arraycopy(in, to, out, from + insert.length, in.length - to);
    return out;
  }
}
