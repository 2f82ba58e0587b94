package dev.cortado.db.minidb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.db.Db;
import dev.cortado.db.Mode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Checks the minidb reader against a plain reference parser on arbitrary bytes: the same records in
 * the same order, an error exactly when the framing breaks and at the same offset, the same
 * recoverable length, and no exception other than {@link MiniDbFormatException}.
 */
final class FramingOracle {
  private final Path file;

  FramingOracle(Path file) {
    this.file = file;
  }

  /** What the reference parser makes of {@code data}. */
  record Expected(List<byte[][]> records, long goodLength, boolean broken) {}

  static Expected reference(byte[] data) {
    ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    List<byte[][]> records = new ArrayList<>();
    long at = 0;
    while (at < data.length) {
      long left = data.length - at;
      if (left < 8) {
        return new Expected(records, at, true);
      }
      int k = b.getInt((int) at);
      int v = b.getInt((int) at + 4);
      if (k <= 0 || v <= 0 || (long) k + v > left - 8) {
        return new Expected(records, at, true);
      }
      int keyAt = (int) at + 8;
      records.add(
          new byte[][] {
            Arrays.copyOfRange(data, keyAt, keyAt + k),
            Arrays.copyOfRange(data, keyAt + k, keyAt + k + v)
          });
      at += 8L + k + v;
    }
    return new Expected(records, at, false);
  }

  void check(byte[] data, int windowBytes) {
    try {
      Files.write(file, data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Expected want = reference(data);
    List<byte[][]> got = new ArrayList<>();
    MiniDbFormatException error = null;
    try (Db db = new MiniDbProvider(windowBytes).open(file.toString(), Mode.READ);
        var cursor = db.newCursor()) {
      for (; cursor.valid(); cursor.next()) {
        got.add(new byte[][] {bytes(cursor.key()), bytes(cursor.value())});
      }
    } catch (MiniDbFormatException e) {
      error = e;
    }
    assertThat(got).as("records").hasSameSizeAs(want.records());
    for (int i = 0; i < got.size(); i++) {
      assertThat(got.get(i)[0]).as("key %d", i).isEqualTo(want.records().get(i)[0]);
      assertThat(got.get(i)[1]).as("value %d", i).isEqualTo(want.records().get(i)[1]);
    }
    assertThat(error != null).as("framing error").isEqualTo(want.broken());
    if (error != null) {
      assertThat(error.offset()).isEqualTo(want.goodLength());
      assertThat(error.getMessage()).contains("byte offset " + want.goodLength());
    }
    assertThat(MiniDb.recoverableLength(file)).isEqualTo(want.goodLength());
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.duplicate().get(out);
    return out;
  }
}
