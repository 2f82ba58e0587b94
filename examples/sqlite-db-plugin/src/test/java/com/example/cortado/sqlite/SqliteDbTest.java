package com.example.cortado.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbException;
import dev.cortado.db.DbProvider;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteDbTest {
  /** The plugin is found the way Cortado finds it: by ServiceLoader, nothing else. */
  private final DbProvider provider =
      ServiceLoader.load(DbProvider.class).stream()
          .map(ServiceLoader.Provider::get)
          .filter(p -> p.name().equals("sqlite"))
          .findFirst()
          .orElseThrow();

  @Test
  void cursorsIterateInUnsignedByteOrder(@TempDir Path tmp) {
    String file = tmp.resolve("d.sqlite").toString();
    try (Db db = provider.open(file, Mode.NEW);
        Transaction t = db.newTransaction()) {
      for (int b : new int[] {0x80, 0x00, 0xff, 0x7f, 0x61}) {
        t.put(new byte[] {(byte) b}, new byte[] {1});
      }
      t.put(new byte[] {0x61, 0}, new byte[] {2});
    }
    try (Db db = provider.open(file, Mode.READ)) {
      assertThat(keys(db)).containsExactly("00", "61", "6100", "7f", "80", "ff");
    }
    assertThatThrownBy(() -> provider.open(file, Mode.NEW))
        .isInstanceOf(DbException.class)
        .hasMessageContaining("already exists");
  }

  @Test
  void closingWhileAnotherThreadReadsGivesThatThreadAnException(@TempDir Path tmp)
      throws Exception {
    String file = tmp.resolve("d.sqlite").toString();
    try (Db db = provider.open(file, Mode.NEW);
        Transaction t = db.newTransaction()) {
      for (int i = 0; i < 100; i++) {
        t.put(new byte[] {(byte) i}, new byte[100]);
      }
    }
    Db db = provider.open(file, Mode.READ);
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
        byte[] k = new byte[c.key().remaining()];
        c.key().get(k);
        out.add(HexFormat.of().formatHex(k));
      }
    }
    return out;
  }
}
