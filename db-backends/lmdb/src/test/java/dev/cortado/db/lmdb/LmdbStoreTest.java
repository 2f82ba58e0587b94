package dev.cortado.db.lmdb;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbException;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import dev.cortado.db.testkit.FixtureFiles;
import java.nio.ByteBuffer;
import java.nio.file.Files;
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
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;

class LmdbStoreTest {
  static final List<String> DATASETS = FixtureFiles.DATASETS;

  private final LmdbProvider provider = new LmdbProvider();

  @ParameterizedTest
  @FieldSource("DATASETS")
  void readsSharedFixtureInPlaceWithoutWritingAnything(String dataset) throws Exception {
    Path dir = FixtureFiles.testdata().resolve(dataset).resolve("lmdb");
    Map<String, String> before = FixtureFiles.snapshot(dir);
    try (Db db = provider.open(dir.toString(), Mode.READ)) {
      assertThat(FixtureFiles.scan(db)).isEqualTo(FixtureFiles.expectedScan(dataset, "lmdb"));
    }
    assertThat(FixtureFiles.snapshot(dir)).isEqualTo(before);
  }

  @Test
  void readOnlyOpenOfAWritableCopyTakesNoLockAndChangesNoByte(@TempDir Path tmp) throws Exception {
    Path dir =
        FixtureFiles.copy(FixtureFiles.testdata().resolve("all-dtypes/lmdb"), tmp.resolve("db"));
    Files.delete(dir.resolve("lock.mdb")); // MDB_NOLOCK must not recreate it
    Map<String, String> before = FixtureFiles.snapshot(dir);
    try (Db db = provider.open(dir.toString(), Mode.READ)) {
      assertThat(FixtureFiles.scan(db)).hasSize(50);
    }
    try (Db db = provider.open(dir.resolve("data.mdb").toString(), Mode.READ)) {
      assertThat(FixtureFiles.scan(db)).isEqualTo(FixtureFiles.expectedScan("all-dtypes", "lmdb"));
    }
    assertThat(FixtureFiles.snapshot(dir)).isEqualTo(before);
    assertThat(tmp.resolve("db/data.mdb-lock")).doesNotExist();
  }

  @Test
  void valuesAreReadOnlyDirectViewsIntoTheMap() {
    Path dir = FixtureFiles.testdata().resolve("fmnist-mini/lmdb");
    try (Db db = provider.open(dir.toString(), Mode.READ);
        Cursor c = db.newCursor()) {
      ByteBuffer value = c.value();
      assertThat(value.isDirect()).isTrue();
      assertThat(value.isReadOnly()).isTrue();
      assertThat(value.position()).isZero();
      assertThat(value.limit()).isEqualTo(value.capacity());
      assertThat(c.key().isReadOnly()).isTrue();
    }
  }

  @Test
  void missingOrEmptySourceNamesThePath(@TempDir Path tmp) {
    assertThatThrownBy(() -> provider.open(tmp.resolve("nope").toString(), Mode.READ))
        .isInstanceOf(DbException.class)
        .hasMessageContaining(tmp.resolve("nope").toString())
        .hasMessageContaining("data.mdb");
    assertThatThrownBy(() -> provider.open(tmp.toString(), Mode.READ))
        .isInstanceOf(DbException.class)
        .hasMessageContaining("a directory without data.mdb");
  }

  @Test
  void newRefusesAnExistingEnvironmentButAcceptsAnEmptyDirectory(@TempDir Path tmp) {
    try (Db db = provider.open(tmp.toString(), Mode.NEW);
        Transaction t = db.newTransaction()) {
      t.put(bytes("k"), bytes("v"));
    }
    assertThatThrownBy(() -> provider.open(tmp.toString(), Mode.NEW))
        .isInstanceOf(DbException.class)
        .hasMessageContaining("already exists")
        .hasMessageContaining(tmp.toString());
    try (Db db = provider.open(tmp.toString(), Mode.WRITE);
        Transaction t = db.newTransaction()) {
      t.put(bytes("a"), bytes("first"));
    }
    try (Db db = provider.open(tmp.toString(), Mode.READ)) {
      assertThat(keys(db)).containsExactly("a", "k");
    }
  }

  @Test
  void mapGrowsWhenABigDbIsWritten(@TempDir Path tmp) {
    byte[] value = new byte[100_000];
    // 1 MiB map, 40 MB of data: the map must double several times, within one commit and across.
    try (Db db = LmdbStore.openWrite("lmdb", tmp.toString(), tmp, Mode.NEW, 1 << 20);
        Transaction t = db.newTransaction()) {
      for (int i = 0; i < 400; i++) {
        value[0] = (byte) i;
        t.put(bytes(String.format("%08d", i)), value);
        if (i % 150 == 149) {
          t.commit();
        }
      }
    }
    try (Db db = provider.open(tmp.toString(), Mode.READ);
        Cursor c = db.newCursor()) {
      int n = 0;
      for (; c.valid(); c.next(), n++) {
        assertThat(c.value().remaining()).isEqualTo(100_000);
        assertThat(c.value().get(0)).isEqualTo((byte) n);
      }
      assertThat(n).isEqualTo(400);
    }
  }

  @Test
  void transactionCommitsByItselfEveryThousandPuts(@TempDir Path tmp) {
    try (Db db = provider.open(tmp.toString(), Mode.NEW)) {
      Transaction t = db.newTransaction();
      for (int i = 0; i < LmdbStore.AUTO_COMMIT_PUTS + 5; i++) {
        t.put(bytes(String.format("%08d", i)), bytes("v"));
      }
      try (Cursor c = db.newCursor()) {
        int n = 0;
        for (; c.valid(); c.next()) {
          n++;
        }
        assertThat(n).isEqualTo(LmdbStore.AUTO_COMMIT_PUTS);
      }
      t.close();
      assertThat(keys(db)).hasSize(LmdbStore.AUTO_COMMIT_PUTS + 5);
    }
  }

  @Test
  void keysWrittenInOrderFillWholePages(@TempDir Path tmp) throws Exception {
    // 6,000 values of 800 bytes, in key order over six auto-commits. A 4 KiB page holds four such
    // records: appended, the pages are full (1,500 pages, 6.1 MB); split in half whenever one
    // fills, as plain puts in key order do, they hold three (2,000 pages, 8.2 MB).
    byte[] value = new byte[800];
    try (Db db = provider.open(tmp.toString(), Mode.NEW);
        Transaction t = db.newTransaction()) {
      for (int i = 0; i < 6000; i++) {
        t.put(bytes(String.format("%08d", i)), value);
      }
    }
    assertThat(Files.size(tmp.resolve("data.mdb"))).isLessThan(6000L / 4 * 4096 * 21 / 20);
  }

  @Test
  void keysOutOfOrderPrefixesAndOverwritesAcrossCommitsReadBackSorted(@TempDir Path tmp) {
    // Appends and plain puts mixed: ascending runs, a key below the last one, a prefix of the
    // last one (memcmp puts it first), an overwrite of the last key and of an earlier one.
    String[][] commits = {
      {"b", "c", "d"}, {"a", "e", "f"}, {"f", "ff", "f0"}, {"c", "z", "y"}, {"e"}, {"zz", "z"}
    };
    Map<String, String> expected = new java.util.TreeMap<>();
    try (Db db = provider.open(tmp.toString(), Mode.NEW);
        Transaction t = db.newTransaction()) {
      int round = 0;
      for (String[] commit : commits) {
        for (String k : commit) {
          t.put(bytes(k), bytes(k + round));
          expected.put(k, k + round);
        }
        t.commit();
        round++;
      }
    }
    Map<String, String> found = new java.util.LinkedHashMap<>();
    try (Db db = provider.open(tmp.toString(), Mode.READ);
        Cursor c = db.newCursor()) {
      for (; c.valid(); c.next()) {
        found.put(US_ASCII.decode(c.key()).toString(), US_ASCII.decode(c.value()).toString());
      }
    }
    assertThat(found).containsExactlyEntriesOf(expected);
  }

  @Test
  void aDbThatOrdersKeysOtherwiseTakesPlainPuts(@TempDir Path tmp) {
    // A main DB made elsewhere with MDB_REVERSEKEY compares keys from their last byte: "b0" sorts
    // before "a1" there, although memcmp puts it after. Its append is refused; the put still lands.
    try (Env<ByteBuffer> env = Env.create().setMaxDbs(1).open(tmp.toFile())) {
      env.openDbi((String) null, DbiFlags.MDB_REVERSEKEY, DbiFlags.MDB_CREATE);
    }
    try (Db db = provider.open(tmp.toString(), Mode.WRITE);
        Transaction t = db.newTransaction()) {
      for (String k : new String[] {"a1", "b0", "c2", "d1"}) {
        t.put(bytes(k), bytes("v" + k));
      }
    }
    try (Db db = provider.open(tmp.toString(), Mode.READ)) {
      assertThat(keys(db)).containsExactly("b0", "a1", "d1", "c2");
    }
  }

  @Test
  void seekLandsOnTheFirstKeyAtOrAfterTheTarget(@TempDir Path tmp) {
    write(tmp, "a", "c", "e");
    try (Db db = provider.open(tmp.toString(), Mode.READ);
        Cursor c = db.newCursor()) {
      assertThat(c.supportsSeek()).isTrue();
      c.seek(bytes("b"));
      assertThat(US_ASCII.decode(c.key()).toString()).isEqualTo("c");
      c.seek(bytes("e"));
      assertThat(US_ASCII.decode(c.key()).toString()).isEqualTo("e");
      c.seek(bytes("f"));
      assertThat(c.valid()).isFalse();
      c.seek(new byte[0]);
      assertThat(US_ASCII.decode(c.key()).toString()).isEqualTo("a");
    }
  }

  @Test
  void emptyKeyIsRefusedWithAClearMessage(@TempDir Path tmp) {
    try (Db db = provider.open(tmp.toString(), Mode.NEW)) {
      Transaction t = db.newTransaction();
      t.put(new byte[0], bytes("v"));
      assertThatThrownBy(t::commit)
          .isInstanceOf(DbException.class)
          .hasMessageContaining("empty key")
          .hasMessageContaining("1 to 511 bytes");
    }
  }

  @Test
  void closingWhileAnotherThreadReadsNeverCrashes() throws Exception {
    Path dir = FixtureFiles.testdata().resolve("fmnist-mini/lmdb");
    LmdbStore db = (LmdbStore) provider.open(dir.toString(), Mode.READ);
    CountDownLatch reading = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    CompletableFuture<Throwable> reader =
        CompletableFuture.supplyAsync(
            () -> {
              Cursor c = db.newCursor();
              try {
                ByteBuffer held = c.value();
                reading.countDown();
                closed.await(10, TimeUnit.SECONDS);
                // The map is still mapped: a value handed out before close stays readable.
                long sum = 0;
                for (int i = 0; i < held.limit(); i++) {
                  sum += held.get(i);
                }
                assertThat(sum).isNotZero();
                while (true) {
                  c.next();
                  c.value();
                }
              } catch (Throwable t) {
                return t;
              } finally {
                c.close();
              }
            });
    reading.await(10, TimeUnit.SECONDS);
    db.close();
    assertThat(db.envClosed()).isFalse();
    closed.countDown();
    Throwable t = reader.get(10, TimeUnit.SECONDS);
    assertThat(t).isInstanceOf(DbException.class).hasMessageContaining("after the DB was closed");
    assertThat(db.envClosed()).isTrue();
    assertThatThrownBy(db::newCursor).isInstanceOf(DbException.class);
    db.close(); // idempotent
  }

  @Test
  void everyCallOnAClosedCursorOrDbThrows(@TempDir Path tmp) {
    write(tmp, "a");
    Db db = provider.open(tmp.toString(), Mode.WRITE);
    Cursor c = db.newCursor();
    Transaction t = db.newTransaction();
    t.put(bytes("b"), bytes("pending"));
    db.close();
    for (Runnable call :
        List.<Runnable>of(
            c::next,
            c::key,
            c::value,
            c::valid,
            c::seekToFirst,
            () -> c.seek(bytes("a")),
            () -> t.put(bytes("x"), bytes("y")),
            t::commit,
            db::newTransaction)) {
      assertThatThrownBy(call::run).isInstanceOf(DbException.class);
    }
    c.close();
    t.close();
    try (Db again = provider.open(tmp.toString(), Mode.READ)) {
      assertThat(keys(again)).containsExactly("a", "b"); // close committed the pending put
    }
  }

  private void write(Path dir, String... keys) {
    try (Db db = provider.open(dir.toString(), Mode.NEW);
        Transaction t = db.newTransaction()) {
      for (String k : keys) {
        t.put(bytes(k), bytes("v" + k));
      }
    }
  }

  private static List<String> keys(Db db) {
    List<String> out = new ArrayList<>();
    try (Cursor c = db.newCursor()) {
      for (; c.valid(); c.next()) {
        out.add(US_ASCII.decode(c.key()).toString());
      }
    }
    return out;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(US_ASCII);
  }
}
