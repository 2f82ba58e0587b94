package dev.cortado.db.minidb;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A deterministic property run in every build: a thousand sound minidb files, mutated by byte
 * flips, length rewrites, truncation and appended junk, all read exactly as the reference parser
 * says (with whole-file and with tiny map windows).
 */
class MiniDbMutationTest {
  @Test
  void mutatedFilesReadAsTheReferenceSays(@TempDir Path dir) {
    FramingOracle oracle = new FramingOracle(dir.resolve("m.minidb"));
    Random random = new Random(20251125L);
    for (int round = 0; round < 1000; round++) {
      byte[] data = mutate(soundFile(random), random);
      oracle.check(data, round % 2 == 0 ? MiniDb.DEFAULT_WINDOW_BYTES : 1 + random.nextInt(40));
      if (round % 250 == 249) {
        System.gc(); // unmaps the files of earlier rounds before the map count limit is near
      }
    }
  }

  private static byte[] soundFile(Random random) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int records = random.nextInt(6);
    for (int i = 0; i < records; i++) {
      byte[] key = new byte[1 + random.nextInt(10)];
      byte[] value = new byte[1 + random.nextInt(60)];
      random.nextBytes(key);
      random.nextBytes(value);
      out.writeBytes(
          ByteBuffer.allocate(8)
              .order(ByteOrder.LITTLE_ENDIAN)
              .putInt(key.length)
              .putInt(value.length)
              .array());
      out.writeBytes(key);
      out.writeBytes(value);
    }
    return out.toByteArray();
  }

  private static byte[] mutate(byte[] data, Random random) {
    switch (random.nextInt(5)) {
      case 0 -> {
        return data;
      }
      case 1 -> {
        return data.length == 0 ? data : Arrays.copyOf(data, random.nextInt(data.length));
      }
      case 2 -> {
        byte[] junk = new byte[1 + random.nextInt(12)];
        random.nextBytes(junk);
        byte[] out = Arrays.copyOf(data, data.length + junk.length);
        System.arraycopy(junk, 0, out, data.length, junk.length);
        return out;
      }
      case 3 -> {
        if (data.length >= 4) {
          int at = random.nextInt(data.length - 3);
          int[] lengths = {0, -1, -8, Integer.MIN_VALUE, Integer.MAX_VALUE, 1, 7, 1 << 20};
          ByteBuffer.wrap(data)
              .order(ByteOrder.LITTLE_ENDIAN)
              .putInt(at, lengths[random.nextInt(lengths.length)]);
        }
        return data;
      }
      default -> {
        for (int flips = 1 + random.nextInt(3); flips > 0 && data.length > 0; flips--) {
          data[random.nextInt(data.length)] ^= (byte) (1 << random.nextInt(8));
        }
        return data;
      }
    }
  }
}
