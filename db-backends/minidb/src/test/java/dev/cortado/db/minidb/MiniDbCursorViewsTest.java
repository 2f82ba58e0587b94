package dev.cortado.db.minidb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.db.Mode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.InvalidMarkException;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The cursor hands out one key view and one value view per record (no duplicate per call): each
 * call returns them pristine, and what a caller does to them never changes where the cursor goes
 * next. Run with the default window and with windows small enough that headers straddle them.
 */
class MiniDbCursorViewsTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(ints = {MiniDb.DEFAULT_WINDOW_BYTES, 37, 13})
  void buffersComeBackPristineAndCallersCannotSteerTheCursor(int windowBytes) throws IOException {
    List<String> written = new ArrayList<>();
    Path path = dir.resolve("db.minidb");
    try (MiniDb db = MiniDb.open(path, Mode.NEW);
        var t = db.newTransaction()) {
      for (int i = 0; i < 40; i++) {
        String k = "key" + i;
        String v = "value-" + "x".repeat(i % 7) + i;
        t.put(k.getBytes(StandardCharsets.US_ASCII), v.getBytes(StandardCharsets.US_ASCII));
        written.add(k + "=" + v);
      }
      t.commit();
    }
    List<String> read = new ArrayList<>();
    try (MiniDb db = MiniDb.open(path, path.toString(), Mode.READ, windowBytes);
        MiniDbCursor c = db.newCursor()) {
      for (; c.valid(); c.next()) {
        ByteBuffer k = c.key();
        ByteBuffer v = c.value();
        assertThat(k.isReadOnly() && v.isReadOnly()).isTrue();
        int keyLength = k.limit();
        // A caller consumes, narrows, marks and re-orders what it was given...
        String key = StandardCharsets.US_ASCII.decode(k).toString();
        v.position(1).limit(2).mark();
        v.order(ByteOrder.LITTLE_ENDIAN);
        // ...and the next calls hand the record back whole.
        ByteBuffer again = c.value();
        assertThat(again.position()).isZero();
        assertThat(again.order()).isEqualTo(ByteOrder.BIG_ENDIAN);
        assertThatThrownBy(again::reset).isInstanceOf(InvalidMarkException.class);
        assertThat(c.key().remaining()).isEqualTo(keyLength);
        assertThatThrownBy(() -> again.put(0, (byte) 1))
            .isInstanceOf(ReadOnlyBufferException.class);
        read.add(key + "=" + StandardCharsets.US_ASCII.decode(again));
      }
    }
    assertThat(read).isEqualTo(written);
  }

  @ParameterizedTest
  @ValueSource(ints = {MiniDb.DEFAULT_WINDOW_BYTES, 13})
  void aTornTailIsStillFoundAfterConsumedBuffers(int windowBytes) throws IOException {
    Path path = dir.resolve("torn.minidb");
    try (MiniDb db = MiniDb.open(path, Mode.NEW);
        var t = db.newTransaction()) {
      t.put("a".getBytes(StandardCharsets.US_ASCII), "1".getBytes(StandardCharsets.US_ASCII));
      t.put("b".getBytes(StandardCharsets.US_ASCII), "22".getBytes(StandardCharsets.US_ASCII));
      t.commit();
    }
    Files.write(path, new byte[] {5, 0, 0}, java.nio.file.StandardOpenOption.APPEND);
    try (MiniDb db = MiniDb.open(path, path.toString(), Mode.READ, windowBytes);
        MiniDbCursor c = db.newCursor()) {
      c.value().position(1);
      c.next();
      c.key().position(1);
      assertThat(StandardCharsets.US_ASCII.decode(c.value()).toString()).isEqualTo("22");
      assertThatThrownBy(c::next)
          .isInstanceOf(MiniDbFormatException.class)
          .hasMessageContaining("torn tail");
    }
  }
}
