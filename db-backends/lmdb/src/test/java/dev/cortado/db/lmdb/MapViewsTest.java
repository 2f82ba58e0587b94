package dev.cortado.db.lmdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.Mode;
import dev.cortado.db.testkit.FixtureFiles;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/** The reusable key/value views: same contract as a fresh read-only view per call. */
class MapViewsTest {
  @Test
  void viewsCanBeRepointedUnderTheTestFlags() {
    // surefire passes lmdbjava's --add-opens, so the fast path is the one these tests exercise.
    assertThat(MapViews.AVAILABLE).isTrue();
  }

  @Test
  void aViewShowsExactlyTheSourceWindowReadOnly() {
    ByteBuffer src = ByteBuffer.allocateDirect(32);
    for (int i = 0; i < 32; i++) {
      src.put(i, (byte) i);
    }
    src.position(4).limit(9);
    ByteBuffer view = MapViews.view(MapViews.newView(), src);
    assertThat(view.isReadOnly()).isTrue();
    assertThat(view.isDirect()).isTrue();
    assertThat(view.position()).isZero();
    assertThat(view.limit()).isEqualTo(5);
    assertThat(view.capacity()).isEqualTo(5);
    assertThat(view.get(0)).isEqualTo((byte) 4);
    assertThat(view.get(4)).isEqualTo((byte) 8);
    Assertions.assertThatThrownBy(() -> view.get(5)).isInstanceOf(IndexOutOfBoundsException.class);
    Assertions.assertThatThrownBy(() -> view.put(0, (byte) 1))
        .isInstanceOf(ReadOnlyBufferException.class);
  }

  @Test
  void withoutAReusableViewEachCallGetsAFreshReadOnlyView() {
    ByteBuffer src = ByteBuffer.allocateDirect(8).position(2);
    ByteBuffer a = MapViews.view(null, src);
    ByteBuffer b = MapViews.view(null, src);
    assertThat(a).isNotSameAs(b);
    assertThat(a.isReadOnly()).isTrue();
    assertThat(a.remaining()).isEqualTo(6);
  }

  @Test
  void cursorBuffersAreResetOnEveryCallAndFollowTheCursor() throws Exception {
    Path dir = FixtureFiles.testdata().resolve("fmnist-mini/lmdb");
    try (Db db = new LmdbProvider().open(dir.toString(), Mode.READ);
        Cursor c = db.newCursor()) {
      ByteBuffer v = c.value();
      int length = v.limit();
      byte first = v.get(0);
      // A caller may move, narrow or re-order the buffer; the next call hands it back pristine.
      v.position(3).limit(7);
      v.order(ByteOrder.LITTLE_ENDIAN);
      v.mark();
      ByteBuffer again = c.value();
      assertThat(again.position()).isZero();
      assertThat(again.limit()).isEqualTo(length);
      assertThat(again.order()).isEqualTo(ByteOrder.BIG_ENDIAN);
      assertThat(again.get(0)).isEqualTo(first);
      Assertions.assertThatThrownBy(again::reset).isInstanceOf(java.nio.InvalidMarkException.class);
      // Every record read through the views, after the caller consumed them, is the expected one.
      List<String> seen = new ArrayList<>();
      for (c.seekToFirst(); c.valid(); c.next()) {
        ByteBuffer k = c.key();
        ByteBuffer val = c.value();
        assertThat(k.isReadOnly() && val.isReadOnly()).isTrue();
        k.get(new byte[k.remaining()]);
        val.position(val.limit());
        seen.add(
            FixtureFiles.hex(c.key())
                + " "
                + c.value().remaining()
                + " "
                + FixtureFiles.sha256(c.value()));
      }
      assertThat(seen).isEqualTo(FixtureFiles.expectedScan("fmnist-mini", "lmdb"));
    }
  }
}
