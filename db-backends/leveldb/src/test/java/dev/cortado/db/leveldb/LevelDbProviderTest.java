package dev.cortado.db.leveldb;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbException;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import dev.cortado.db.testkit.FixtureFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

class LevelDbProviderTest {
  static final List<String> DATASETS = FixtureFiles.DATASETS;

  private final LevelDbProvider provider = new LevelDbProvider();

  @ParameterizedTest
  @FieldSource("DATASETS")
  void readsSnappyLdbTablesWrittenByCxxLevelDbAndLeavesTheCopyUnchanged(
      String dataset, @TempDir Path tmp) throws Exception {
    Path dir =
        FixtureFiles.copy(
            FixtureFiles.testdata().resolve(dataset).resolve("leveldb"), tmp.resolve("db"));
    Map<String, String> before = FixtureFiles.snapshot(dir);
    try (Db db = provider.open(dir.toString(), Mode.READ)) {
      assertThat(db.type()).isEqualTo("leveldb");
      assertThat(FixtureFiles.scan(db)).isEqualTo(FixtureFiles.expectedScan(dataset, "leveldb"));
    }
    assertThat(FixtureFiles.snapshot(dir)).isEqualTo(before);
  }

  /**
   * A directory C++ LevelDB 1.23 (plyvel 1.5) left with every record still in its log: 20 puts in
   * reverse key order, then an overwrite of 00000007 and a delete of 00000013.
   */
  @Test
  void readsRecordsStillInTheLogOfACxxLevelDb(@TempDir Path tmp) throws Exception {
    Path fixture =
        Path.of(getClass().getResource("/cxx-leveldb-log-only/CURRENT").toURI()).getParent();
    Path dir = FixtureFiles.copy(fixture, tmp.resolve("db"));
    Map<String, String> before = FixtureFiles.snapshot(dir);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      if (i == 13) {
        continue;
      }
      expected.add(
          String.format("%08d", i) + "=" + (i == 7 ? "overwritten" : ("value-" + i).repeat(50)));
    }
    try (Db db = provider.open(dir.toString(), Mode.READ)) {
      assertThat(records(db)).isEqualTo(expected);
    }
    assertThat(FixtureFiles.snapshot(dir)).isEqualTo(before);
  }

  @Test
  void whatItWritesIsLevelDbsFormatAndCxxLevelDbReadsIt(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("db");
    try (Db db = provider.open(dir.toString(), Mode.NEW);
        Transaction t = db.newTransaction()) {
      t.put(bytes("b"), bytes("2"));
      t.commit();
      t.put(bytes("a"), bytes("1"));
      t.put(new byte[] {(byte) 0xff, 0}, new byte[0]);
    }
    try (Stream<Path> files = Files.list(dir)) {
      List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
      assertThat(names).anyMatch(n -> n.endsWith(".ldb")).noneMatch(n -> n.startsWith("OPTIONS"));
      assertThat(names).contains("CURRENT", "LOCK");
    }
    assertThatThrownBy(() -> provider.open(dir.toString(), Mode.NEW))
        .isInstanceOf(DbException.class)
        .hasMessageContaining("already exists");
    try (Db db = provider.open(dir.toString(), Mode.READ)) {
      assertThat(records(db)).containsExactly("a=1", "b=2", "\u00ff\u0000=");
    }
    assertThat(CxxLevelDb.scan(dir, tmp)).containsExactly("61=31", "62=32", "ff00=");
  }

  @Test
  void appendingToACxxLevelDbKeepsItReadableByCxxLevelDb(@TempDir Path tmp) throws Exception {
    Path dir =
        FixtureFiles.copy(FixtureFiles.testdata().resolve("key-order/leveldb"), tmp.resolve("db"));
    List<String> before;
    try (Db db = provider.open(dir.toString(), Mode.READ)) {
      before = hexRecords(db);
    }
    try (Db db = provider.open(dir.toString(), Mode.WRITE);
        Transaction t = db.newTransaction()) {
      t.put(bytes("zz-appended"), bytes("new"));
    }
    List<String> expected = new ArrayList<>(before);
    expected.add("7a7a2d617070656e646564=6e6577");
    // Hex keeps unsigned byte order, so sorting the hex keys sorts the keys.
    expected.sort(java.util.Comparator.comparing(r -> r.substring(0, r.indexOf('='))));
    try (Db db = provider.open(dir.toString(), Mode.READ)) {
      assertThat(hexRecords(db)).isEqualTo(expected);
    }
    assertThat(CxxLevelDb.scan(dir, tmp)).isEqualTo(expected);
  }

  @Test
  void appendingRecoversRecordsStillInACxxLevelDbLog(@TempDir Path tmp) throws Exception {
    Path fixture =
        Path.of(getClass().getResource("/cxx-leveldb-log-only/CURRENT").toURI()).getParent();
    Path dir = FixtureFiles.copy(fixture, tmp.resolve("db"));
    try (Db db = provider.open(dir.toString(), Mode.WRITE);
        Transaction t = db.newTransaction()) {
      t.put(bytes("00000013"), bytes("back"));
      t.put(bytes("00000020"), bytes("new"));
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .as("the old log was replayed into a table and removed")
          .doesNotContain("000003.log", "MANIFEST-000002");
    }
    List<String> expected = new ArrayList<>();
    for (int i = 0; i <= 20; i++) {
      String v =
          i == 7 ? "overwritten" : i == 13 ? "back" : i == 20 ? "new" : ("value-" + i).repeat(50);
      expected.add(String.format("%08d", i) + "=" + v);
    }
    try (Db db = provider.open(dir.toString(), Mode.READ)) {
      assertThat(records(db)).isEqualTo(expected);
    }
    assertThat(CxxLevelDb.scan(dir, tmp)).hasSize(21);
  }

  @Test
  void aFullMemtableBecomesATableAndOverwritesStayNewestFirst(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("db");
    byte[] value = new byte[1000];
    // 4 KB memtable: every commit of 10 puts writes a table; the second pass overwrites keys of
    // earlier tables, so its tables overlap them and must go to level 0.
    try (Db db = LevelDbWriter.open("leveldb", dir.toString(), Mode.NEW, 4096);
        Transaction t = db.newTransaction()) {
      for (int pass = 0; pass < 2; pass++) {
        for (int i = pass * 50; i < 100; i++) {
          value[0] = (byte) (pass * 100 + i);
          t.put(bytes(String.format("%08d", i)), value);
          if (i % 10 == 9) {
            t.commit();
          }
        }
      }
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.filter(p -> p.toString().endsWith(".ldb")).count()).isGreaterThan(10);
    }
    List<String> expected = new ArrayList<>();
    try (Db db = provider.open(dir.toString(), Mode.READ);
        Cursor c = db.newCursor()) {
      int n = 0;
      for (; c.valid(); c.next(), n++) {
        int want = n < 50 ? n : 100 + n;
        assertThat(c.value().get(0)).as("record %d", n).isEqualTo((byte) want);
        expected.add(FixtureFiles.hex(c.key()) + "=" + FixtureFiles.hex(c.value()));
      }
      assertThat(n).isEqualTo(100);
    }
    assertThat(CxxLevelDb.scan(dir, tmp)).isEqualTo(expected);
  }

  @Test
  void aSecondWriterIsLockedOutAndACursorSeesCommittedRecords(@TempDir Path tmp) {
    Path dir = tmp.resolve("db");
    try (Db db = provider.open(dir.toString(), Mode.NEW)) {
      assertThatThrownBy(() -> provider.open(dir.toString(), Mode.WRITE))
          .isInstanceOf(DbException.class)
          .hasMessageContaining(dir.toString())
          .hasMessageContaining("LOCK");
      Transaction t = db.newTransaction();
      t.put(bytes("a"), bytes("1"));
      t.commit();
      t.put(bytes("b"), bytes("uncommitted"));
      try (Cursor c = db.newCursor()) {
        assertThat(US_ASCII.decode(c.key()).toString()).isEqualTo("a");
        c.next();
        assertThat(c.valid()).isFalse();
      }
    }
    try (Db db = provider.open(dir.toString(), Mode.READ)) {
      assertThat(records(db)).containsExactly("a=1", "b=uncommitted");
    }
  }

  @Test
  void closingWhileAnotherThreadReadsNeverCrashes(@TempDir Path tmp) throws Exception {
    Path dir =
        FixtureFiles.copy(
            FixtureFiles.testdata().resolve("fmnist-mini/leveldb"), tmp.resolve("db"));
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
        out.add(ISO_8859_1.decode(c.key()) + "=" + ISO_8859_1.decode(c.value()));
      }
    }
    return out;
  }

  private static List<String> hexRecords(Db db) {
    List<String> out = new ArrayList<>();
    try (Cursor c = db.newCursor()) {
      for (; c.valid(); c.next()) {
        out.add(FixtureFiles.hex(c.key()) + "=" + FixtureFiles.hex(c.value()));
      }
    }
    return out;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(US_ASCII);
  }
}
