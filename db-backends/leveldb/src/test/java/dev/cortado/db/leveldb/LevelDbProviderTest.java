package dev.cortado.db.leveldb;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbException;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

class LevelDbProviderTest {
  static final List<String> DATASETS = Fixtures.DATASETS;

  private final LevelDbProvider provider = new LevelDbProvider();

  @ParameterizedTest
  @FieldSource("DATASETS")
  void readsSnappyLdbTablesWrittenByCxxLevelDbAndLeavesTheCopyUnchanged(
      String dataset, @TempDir Path tmp) throws Exception {
    Path dir = Fixtures.copy(Fixtures.testdata().resolve(dataset).resolve("leveldb"), tmp.resolve("db"));
    Map<String, String> before = Fixtures.snapshot(dir);
    try (Db db = provider.open(dir.toString(), Mode.READ)) {
      assertThat(db.type()).isEqualTo("leveldb");
      assertThat(Fixtures.scan(db)).isEqualTo(Fixtures.expectedScan(dataset, "leveldb"));
    }
    assertThat(Fixtures.snapshot(dir)).isEqualTo(before);
  }

  /**
   * A directory C++ LevelDB 1.23 (plyvel 1.5) left with every record still in its log: 20 puts in
   * reverse key order, then an overwrite of 00000007 and a delete of 00000013.
   */
  @Test
  void readsRecordsStillInTheLogOfACxxLevelDb(@TempDir Path tmp) throws Exception {
    Path fixture = Path.of(getClass().getResource("/cxx-leveldb-log-only/CURRENT").toURI()).getParent();
    Path dir = Fixtures.copy(fixture, tmp.resolve("db"));
    Map<String, String> before = Fixtures.snapshot(dir);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      if (i == 13) {
        continue;
      }
      expected.add(String.format("%08d", i) + "=" + (i == 7 ? "overwritten" : ("value-" + i).repeat(50)));
    }
    try (Db db = provider.open(dir.toString(), Mode.READ)) {
      assertThat(records(db)).isEqualTo(expected);
    }
    assertThat(Fixtures.snapshot(dir)).isEqualTo(before);
  }

  @Test
  void appendingToACxxLevelDbDirectoryIsRefusedBeforeAnythingIsWritten(@TempDir Path tmp)
      throws Exception {
    Path dir = Fixtures.copy(Fixtures.testdata().resolve("key-order/leveldb"), tmp.resolve("db"));
    Map<String, String> before = Fixtures.snapshot(dir);
    assertThatThrownBy(() -> provider.open(dir.toString(), Mode.WRITE))
        .isInstanceOf(DbException.class)
        .hasMessageContaining(dir.toString())
        .hasMessageContaining("written by C++ LevelDB");
    assertThat(Fixtures.snapshot(dir)).isEqualTo(before);
  }

  @Test
  void writesWithCaffe2sOptionsAndReadsBack(@TempDir Path tmp) {
    try (Db db = provider.open(tmp.toString(), Mode.NEW);
        Transaction t = db.newTransaction()) {
      t.put(bytes("b"), bytes("2"));
      t.commit();
      t.put(bytes("a"), bytes("1"));
    }
    assertThatThrownBy(() -> provider.open(tmp.toString(), Mode.NEW))
        .isInstanceOf(DbException.class)
        .hasMessageContaining("exists");
    try (Db db = provider.open(tmp.toString(), Mode.WRITE);
        Transaction t = db.newTransaction()) {
      t.put(bytes("c"), bytes("3"));
    }
    try (Db db = provider.open(tmp.toString(), Mode.READ)) {
      assertThat(records(db)).containsExactly("a=1", "b=2", "c=3");
    }
  }

  @Test
  void closingWhileAnotherThreadReadsNeverCrashes(@TempDir Path tmp) throws Exception {
    Path dir = Fixtures.copy(Fixtures.testdata().resolve("fmnist-mini/leveldb"), tmp.resolve("db"));
    Db db = provider.open(dir.toString(), Mode.READ);
    CountDownLatch reading = new CountDownLatch(1);
    CompletableFuture<Throwable> reader =
        CompletableFuture.supplyAsync(
            () -> {
              try (Cursor c = db.newCursor()) {
                long records = 0;
                while (true) {
                  if (!c.valid()) {
                    c.seekToFirst();
                  }
                  c.key();
                  c.value();
                  c.next();
                  if (++records == 10) {
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

  private static List<String> records(Db db) {
    List<String> out = new ArrayList<>();
    try (Cursor c = db.newCursor()) {
      for (; c.valid(); c.next()) {
        out.add(US_ASCII.decode(c.key()) + "=" + US_ASCII.decode(c.value()));
      }
    }
    return out;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(US_ASCII);
  }
}
