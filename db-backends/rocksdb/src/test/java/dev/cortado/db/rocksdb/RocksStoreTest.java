package dev.cortado.db.rocksdb;

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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

class RocksStoreTest {
  static final List<String> DATASETS = FixtureFiles.DATASETS;

  private final RocksDbProvider provider = new RocksDbProvider();

  @ParameterizedTest
  @FieldSource("DATASETS")
  void readsACopyOfTheSharedFixtureAndLeavesItUnchanged(String dataset, @TempDir Path tmp)
      throws Exception {
    Path dir =
        FixtureFiles.copy(
            FixtureFiles.testdata().resolve(dataset).resolve("rocksdb"), tmp.resolve("db"));
    Map<String, String> before = FixtureFiles.snapshot(dir);
    try (Db db = provider.open(dir.toString(), Mode.READ)) {
      assertThat(db.type()).isEqualTo("rocksdb");
      assertThat(FixtureFiles.scan(db)).isEqualTo(FixtureFiles.expectedScan(dataset, "rocksdb"));
    }
    assertThat(FixtureFiles.snapshot(dir)).isEqualTo(before);
  }

  @Test
  void dataOnlyInTheWriteAheadLogIsReadWithoutTouchingTheDirectory(@TempDir Path tmp)
      throws Exception {
    Path dir = tmp.resolve("db");
    // Caffe2's writer: default options, puts, close; RocksDB does not flush the memtable on close
    // while the WAL is on, so every record lives only in the log.
    try (Options options = new Options().setCreateIfMissing(true);
        RocksDB raw = RocksDB.open(options, dir.toString())) {
      for (int i = 0; i < 100; i++) {
        raw.put(String.format("%08d", 99 - i).getBytes(US_ASCII), ("value" + i).getBytes(US_ASCII));
      }
    }
    try (Stream<Path> files = Files.list(dir)) {
      List<String> names = files.map(p -> p.getFileName().toString()).toList();
      assertThat(names).noneMatch(n -> n.endsWith(".sst"));
      assertThat(names).anyMatch(n -> n.endsWith(".log") && dir.resolve(n).toFile().length() > 0);
    }
    Map<String, String> before = FixtureFiles.snapshot(dir);
    try (Db db = provider.open(dir.toString(), Mode.READ);
        Cursor c = db.newCursor()) {
      int n = 0;
      for (; c.valid(); c.next(), n++) {
        assertThat(US_ASCII.decode(c.key()).toString()).isEqualTo(String.format("%08d", n));
        assertThat(US_ASCII.decode(c.value()).toString()).isEqualTo("value" + (99 - n));
      }
      assertThat(n).isEqualTo(100);
    }
    assertThat(FixtureFiles.snapshot(dir)).isEqualTo(before);
  }

  @Test
  void writtenDbIsFlushedToTablesOnClose(@TempDir Path tmp) throws Exception {
    write(tmp, "b", "a", "c");
    try (Stream<Path> files = Files.list(tmp)) {
      assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.endsWith(".sst"));
    }
    try (Stream<Path> files = Files.list(tmp)) {
      Path options =
          files
              .filter(p -> p.getFileName().toString().startsWith("OPTIONS-"))
              .findFirst()
              .orElseThrow();
      assertThat(Files.readString(options))
          .contains("format_version=4")
          .contains("block_size=65536")
          .contains("write_buffer_size=268435456")
          .contains("max_open_files=100");
    }
    try (Db db = provider.open(tmp.toString(), Mode.READ)) {
      assertThat(keys(db)).containsExactly("a", "b", "c");
    }
  }

  @Test
  void valuesLargerThanTheCursorBuffersAreReadWhole(@TempDir Path tmp) {
    byte[] big = new byte[300_000];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31);
    }
    byte[] longKey = new byte[1000];
    java.util.Arrays.fill(longKey, (byte) 'k');
    try (Db db = provider.open(tmp.toString(), Mode.NEW);
        Transaction t = db.newTransaction()) {
      t.put(bytes("a"), bytes("small"));
      t.put(longKey, big);
    }
    try (Db db = provider.open(tmp.toString(), Mode.READ);
        Cursor c = db.newCursor()) {
      assertThat(US_ASCII.decode(c.value()).toString()).isEqualTo("small");
      c.next();
      assertThat(c.key().remaining()).isEqualTo(1000);
      ByteBuffer v = c.value();
      assertThat(v.isDirect()).isTrue();
      assertThat(v.isReadOnly()).isTrue();
      byte[] got = new byte[v.remaining()];
      v.get(got);
      assertThat(got).isEqualTo(big);
      c.next();
      assertThat(c.valid()).isFalse();
    }
  }

  @Test
  void newFailsOnAnExistingDbAndWriteAppends(@TempDir Path tmp) {
    write(tmp, "k");
    assertThatThrownBy(() -> provider.open(tmp.toString(), Mode.NEW))
        .isInstanceOf(DbException.class)
        .hasMessageContaining(tmp.toString())
        .hasMessageContaining("NEW")
        .hasMessageContaining("exists");
    try (Db db = provider.open(tmp.toString(), Mode.WRITE);
        Transaction t = db.newTransaction()) {
      t.put(bytes("a"), bytes("x"));
    }
    try (Db db = provider.open(tmp.toString(), Mode.READ)) {
      assertThat(keys(db)).containsExactly("a", "k");
    }
  }

  @Test
  void readOfAMissingDirectoryNamesThePathAndMode(@TempDir Path tmp) {
    assertThatThrownBy(() -> provider.open(tmp.resolve("missing").toString(), Mode.READ))
        .isInstanceOf(DbException.class)
        .hasMessageContaining(tmp.resolve("missing").toString())
        .hasMessageContaining("READ");
    assertThat(tmp.resolve("missing")).doesNotExist();
  }

  @Test
  void seekLandsOnTheFirstKeyAtOrAfterTheTarget(@TempDir Path tmp) {
    write(tmp, "a", "c", "e");
    try (Db db = provider.open(tmp.toString(), Mode.READ);
        Cursor c = db.newCursor()) {
      c.seek(bytes("b"));
      assertThat(US_ASCII.decode(c.key()).toString()).isEqualTo("c");
      c.seek(bytes("f"));
      assertThat(c.valid()).isFalse();
      c.seekToFirst();
      assertThat(US_ASCII.decode(c.key()).toString()).isEqualTo("a");
    }
  }

  @Test
  void closingWhileAnotherThreadReadsNeverCrashes(@TempDir Path tmp) throws Exception {
    Path dir =
        FixtureFiles.copy(
            FixtureFiles.testdata().resolve("fmnist-mini/rocksdb"), tmp.resolve("db"));
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
    db.close(); // waits for the reader's native call in flight, then frees the iterator
    Throwable t = reader.get(10, TimeUnit.SECONDS);
    assertThat(t).isInstanceOf(DbException.class).hasMessageContaining("after the DB was closed");
    db.close();
  }

  @Test
  void everyCallAfterCloseThrowsAndPendingPutsAreCommitted(@TempDir Path tmp) {
    write(tmp, "a");
    Db db = provider.open(tmp.toString(), Mode.WRITE);
    Cursor c = db.newCursor();
    ByteBuffer held = c.value();
    Transaction t = db.newTransaction();
    t.put(bytes("b"), bytes("pending"));
    db.close();
    assertThat(US_ASCII.decode(held).toString()).isEqualTo("va"); // cursor-owned memory
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
            db::newTransaction,
            db::newCursor)) {
      assertThatThrownBy(call::run).isInstanceOf(DbException.class);
    }
    c.close();
    t.close();
    try (Db again = provider.open(tmp.toString(), Mode.READ)) {
      assertThat(keys(again)).containsExactly("a", "b");
    }
  }

  @Test
  void readModeRefusesTransactions() {
    Path dir = FixtureFiles.testdata().resolve("key-order/rocksdb");
    try (Db db = provider.open(dir.toString(), Mode.READ)) {
      assertThatThrownBy(db::newTransaction)
          .isInstanceOf(DbException.class)
          .hasMessageContaining("READ");
    }
  }

  @Test
  void blocksAreCachedOnlyWhenTheTablesFitTheCache(@TempDir Path tmp) {
    String[] many = new String[2000];
    for (int i = 0; i < many.length; i++) {
      many[i] = String.format("%06d", i);
    }
    write(tmp, many);
    List<String> expected = List.of(many);
    for (long cacheBytes : new long[] {RocksStore.DEFAULT_BLOCK_CACHE_BYTES, 1024, 0}) {
      try (RocksStore db = RocksStore.open("rocksdb", tmp.toString(), Mode.READ, cacheBytes)) {
        assertThat(db.fillsCache())
            .as("cache of %d bytes", cacheBytes)
            .isEqualTo(cacheBytes > 1024);
        // Two epochs: the second reads the cached blocks when filling.
        assertThat(keys(db)).isEqualTo(expected);
        assertThat(keys(db)).isEqualTo(expected);
      }
    }
  }

  @Test
  void aBadBlockCacheSizeIsRefusedWithThePropertyName(@TempDir Path tmp) {
    write(tmp, "a");
    String saved = System.getProperty(RocksStore.BLOCK_CACHE_PROPERTY);
    System.setProperty(RocksStore.BLOCK_CACHE_PROPERTY, "-5");
    try {
      assertThatThrownBy(() -> provider.open(tmp.toString(), Mode.READ))
          .isInstanceOf(DbException.class)
          .hasMessageContaining(RocksStore.BLOCK_CACHE_PROPERTY)
          .hasMessageContaining("'-5'");
    } finally {
      if (saved == null) {
        System.clearProperty(RocksStore.BLOCK_CACHE_PROPERTY);
      } else {
        System.setProperty(RocksStore.BLOCK_CACHE_PROPERTY, saved);
      }
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
