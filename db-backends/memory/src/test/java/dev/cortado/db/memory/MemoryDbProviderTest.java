package dev.cortado.db.memory;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbException;
import dev.cortado.db.DbProvider;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MemoryDbProviderTest {
  private final MemoryDbProvider provider = new MemoryDbProvider();
  private final String name = "test-" + System.nanoTime();

  @AfterEach
  void drop() {
    MemoryDbProvider.drop(name);
  }

  @Test
  void isFoundByTheServiceLoader() {
    assertThat(ServiceLoader.load(DbProvider.class).stream().map(p -> p.get().name()))
        .contains("memory");
  }

  @Test
  void iteratesInUnsignedByteOrderAndAWriterIsSeenByALaterReader() {
    try (Db db = provider.open(name, Mode.NEW);
        Transaction t = db.newTransaction()) {
      for (String k : List.of("b", "\u00ff", "a", "\u0000", "\u007f", "\u0080", "ab")) {
        t.put(k.getBytes(ISO_8859_1), ("v" + k).getBytes(ISO_8859_1));
      }
    }
    try (Db db = provider.open(name, Mode.READ)) {
      assertThat(keys(db)).containsExactly("\u0000", "a", "ab", "b", "\u007f", "\u0080", "\u00ff");
    }
  }

  @Test
  void putsAreInvisibleUntilCommitAndNewStartsEmpty() {
    try (Db db = provider.open(name, Mode.NEW)) {
      Transaction t = db.newTransaction();
      t.put(new byte[] {1}, new byte[] {1});
      assertThat(keys(db)).isEmpty();
      t.commit();
      assertThat(keys(db)).hasSize(1);
      t.put(new byte[] {2}, new byte[] {2});
      t.close();
      assertThat(keys(db)).hasSize(2);
    }
    try (Db db = provider.open(name, Mode.WRITE);
        Transaction t = db.newTransaction()) {
      t.put(new byte[] {3}, new byte[] {3});
    }
    try (Db db = provider.open(name, Mode.READ)) {
      assertThat(keys(db)).hasSize(3);
    }
    provider.open(name, Mode.NEW).close();
    try (Db db = provider.open(name, Mode.READ)) {
      assertThat(keys(db)).isEmpty();
    }
  }

  @Test
  void readOfAnUnknownNameFailsAndSaysSo() {
    assertThatThrownBy(() -> provider.open(name, Mode.READ))
        .isInstanceOf(DbException.class)
        .hasMessageContaining(name)
        .hasMessageContaining("no in-memory DB of that name");
  }

  @Test
  void seekAndBuffers() {
    try (Db db = provider.open(name, Mode.NEW);
        Transaction t = db.newTransaction()) {
      t.put("a".getBytes(ISO_8859_1), "1".getBytes(ISO_8859_1));
      t.put("c".getBytes(ISO_8859_1), "3".getBytes(ISO_8859_1));
    }
    try (Db db = provider.open(name, Mode.READ);
        Cursor c = db.newCursor()) {
      c.seek("b".getBytes(ISO_8859_1));
      assertThat(ISO_8859_1.decode(c.key()).toString()).isEqualTo("c");
      assertThat(c.value().isReadOnly()).isTrue();
      assertThat(c.value().position()).isZero();
      c.next();
      assertThat(c.valid()).isFalse();
      assertThatThrownBy(c::value)
          .isInstanceOf(DbException.class)
          .hasMessageContaining("past the end");
    }
  }

  @Test
  void closingWhileAnotherThreadReadsGivesThatThreadAnException() throws Exception {
    try (Db db = provider.open(name, Mode.NEW);
        Transaction t = db.newTransaction()) {
      for (int i = 0; i < 10; i++) {
        t.put(new byte[] {(byte) i}, new byte[] {(byte) i});
      }
    }
    Db db = provider.open(name, Mode.READ);
    CountDownLatch reading = new CountDownLatch(1);
    CompletableFuture<Throwable> reader =
        CompletableFuture.supplyAsync(
            () -> {
              try (Cursor c = db.newCursor()) {
                for (long n = 0; ; n++) {
                  if (!c.valid()) {
                    c.seekToFirst();
                  }
                  c.value();
                  c.next();
                  if (n == 10) {
                    reading.countDown();
                  }
                }
              } catch (Throwable t) {
                return t;
              }
            });
    assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
    db.close();
    assertThat(reader.get(10, TimeUnit.SECONDS))
        .isInstanceOf(DbException.class)
        .hasMessageContaining("after the DB was closed");
  }

  private static List<String> keys(Db db) {
    List<String> out = new ArrayList<>();
    try (Cursor c = db.newCursor()) {
      for (; c.valid(); c.next()) {
        out.add(ISO_8859_1.decode(c.key()).toString());
      }
    }
    return out;
  }
}
