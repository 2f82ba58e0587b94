package dev.cortado.db.minidb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.db.Db;
import dev.cortado.db.DbException;
import dev.cortado.db.DbReader;
import dev.cortado.db.DbRegistry;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import dev.cortado.db.testkit.TestData;
import dev.cortado.proto.DBReaderProto;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MiniDbTest {
  @TempDir Path dir;

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** Caffe2's encoding of one record, written by hand. */
  private static byte[] record(String key, String value) {
    ByteBuffer b =
        ByteBuffer.allocate(8 + key.length() + value.length()).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(key.length()).putInt(value.length()).put(ascii(key)).put(ascii(value));
    return b.array();
  }

  private static byte[] header(int keyLength, int valueLength) {
    return ByteBuffer.allocate(8)
        .order(ByteOrder.LITTLE_ENDIAN)
        .putInt(keyLength)
        .putInt(valueLength)
        .array();
  }

  private Path file(byte[]... parts) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.write(part);
    }
    Path path = Files.createTempFile(dir, "db", ".minidb");
    Files.write(path, out.toByteArray());
    return path;
  }

  /** Reads keys with a raw cursor until the end or a failure; returns the keys and the failure. */
  private static List<String> keysUntilFailure(Path path, DbException[] failure) {
    List<String> keys = new ArrayList<>();
    try (MiniDb db = MiniDb.open(path, Mode.READ);
        MiniDbCursor cursor = db.newCursor()) {
      for (; cursor.valid(); cursor.next()) {
        keys.add(StandardCharsets.US_ASCII.decode(cursor.key()).toString());
      }
    } catch (DbException e) {
      failure[0] = e;
    }
    return keys;
  }

  private static Path fixture(String name) {
    return TestData.root().resolve("bad-inputs").resolve(name).resolve(name + ".minidb");
  }

  @Test
  void writesCaffe2sBytesExactly() throws IOException {
    Path path = dir.resolve("a.minidb");
    try (MiniDb db = MiniDb.open(path, Mode.NEW);
        Transaction tx = db.newTransaction()) {
      tx.put(ascii("k1"), ascii("value1"));
      tx.commit();
      tx.put(ascii("key2"), ascii("v"));
    }
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.write(record("k1", "value1"));
    expected.write(record("key2", "v"));
    assertThat(Files.readAllBytes(path)).isEqualTo(expected.toByteArray());
  }

  @Test
  void newTruncatesWriteAppendsAndCreatesReadNeedsTheFile() throws IOException {
    Path path = dir.resolve("m.minidb");
    assertThatThrownBy(() -> MiniDb.open(path, Mode.READ))
        .isInstanceOf(DbException.class)
        .hasMessage("cannot open minidb file " + path + " in READ mode: no such file");
    try (MiniDb db = MiniDb.open(path, Mode.WRITE);
        Transaction tx = db.newTransaction()) {
      tx.put(ascii("a"), ascii("1"));
    }
    try (MiniDb db = MiniDb.open(path, Mode.WRITE);
        Transaction tx = db.newTransaction()) {
      tx.put(ascii("b"), ascii("2"));
    }
    assertThat(Files.readAllBytes(path)).hasSize(2 * record("a", "1").length);
    try (MiniDb db = MiniDb.open(path, Mode.NEW);
        Transaction tx = db.newTransaction()) {
      tx.put(ascii("c"), ascii("3"));
    }
    assertThat(Files.readAllBytes(path)).isEqualTo(record("c", "3"));
    assertThatThrownBy(() -> MiniDb.open(dir.resolve("no/such/folder.minidb"), Mode.NEW))
        .isInstanceOf(DbException.class)
        .hasMessageContaining("its folder does not exist");
    assertThatThrownBy(() -> MiniDb.open(dir, Mode.READ))
        .isInstanceOf(DbException.class)
        .hasMessageContaining("is a directory");
  }

  @Test
  void closingTheDbCommitsAnOpenTransaction() {
    Path path = dir.resolve("c.minidb");
    MiniDb db = MiniDb.open(path, Mode.NEW);
    db.newTransaction().put(ascii("k"), ascii("v"));
    db.close();
    DbException[] failure = new DbException[1];
    assertThat(keysUntilFailure(path, failure)).containsExactly("k");
    assertThat(failure[0]).isNull();
  }

  @Test
  void emptyKeysAndValuesAreRejectedBecauseNoReaderCouldReadThem() {
    try (MiniDb db = MiniDb.open(dir.resolve("e.minidb"), Mode.NEW);
        Transaction tx = db.newTransaction()) {
      assertThatThrownBy(() -> tx.put(new byte[0], ascii("v")))
          .isInstanceOf(DbException.class)
          .hasMessageContaining("empty key");
      assertThatThrownBy(() -> tx.put(ascii("k"), new byte[0]))
          .isInstanceOf(DbException.class)
          .hasMessageContaining("empty value for key 'k'");
    }
  }

  @Test
  void modesGuardCursorsAndTransactions() {
    Path path = dir.resolve("g.minidb");
    try (MiniDb db = MiniDb.open(path, Mode.NEW)) {
      assertThatThrownBy(db::newCursor).hasMessageContaining("a cursor needs READ mode");
      Transaction tx = db.newTransaction();
      assertThatThrownBy(db::newTransaction)
          .hasMessageContaining("already has an open transaction");
      tx.close();
      db.newTransaction().close();
    }
    try (MiniDb db = MiniDb.open(path, Mode.READ)) {
      assertThatThrownBy(db::newTransaction).hasMessageContaining("writing needs WRITE or NEW");
    }
  }

  @Test
  void seekByKeyIsAClearErrorNotAnAbort() throws IOException {
    Path path = file(record("a", "1"));
    try (MiniDb db = MiniDb.open(path, Mode.READ);
        MiniDbCursor cursor = db.newCursor()) {
      assertThat(cursor.supportsSeek()).isFalse();
      assertThatThrownBy(() -> cursor.seek(ascii("a")))
          .isInstanceOf(DbException.class)
          .hasMessageContaining("cannot seek to key 'a'")
          .hasMessageContaining(path.toString());
    }
  }

  @Test
  void theTruncatedFixtureReturnsFiveRecordsThenNamesOffset305AndTheKey() {
    Path path = fixture("minidb-truncated");
    DbException[] failure = new DbException[1];
    assertThat(keysUntilFailure(path, failure))
        .containsExactly("00000000", "00000001", "00000002", "00000003", "00000004");
    assertThat(failure[0])
        .isInstanceOf(MiniDbFormatException.class)
        .hasMessageContaining("record #5 (key '00000005') at byte offset 305 is truncated")
        .hasMessageContaining("value length is 45 bytes but only 22 bytes remain")
        .hasMessageContaining(path.toString());
    MiniDbFormatException e = (MiniDbFormatException) failure[0];
    assertThat(e.offset()).isEqualTo(305);
    assertThat(e.tornTail()).isTrue();
    assertThat(MiniDb.recoverableLength(path)).isEqualTo(305);
  }

  @Test
  void theNegativeLengthFixtureNamesOffset183WithoutUsingTheLength() {
    Path path = fixture("minidb-negative-length");
    DbException[] failure = new DbException[1];
    assertThat(keysUntilFailure(path, failure)).containsExactly("00000000", "00000001", "00000002");
    assertThat(failure[0])
        .isInstanceOf(MiniDbFormatException.class)
        .hasMessageContaining(
            "record #3 (key '00000003') at byte offset 183 has a negative"
                + " length -8 for the value");
    assertThat(((MiniDbFormatException) failure[0]).tornTail()).isFalse();
    assertThat(MiniDb.recoverableLength(path)).isEqualTo(183);
  }

  @ParameterizedTest(name = "{0} junk bytes")
  @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7})
  void trailingJunkIsReportedAsATornTailAfterEveryWholeRecord(int junk) throws IOException {
    byte[] sound = record("k0", "v0");
    Path path = file(sound, record("k1", "v1"), new byte[junk]);
    long end = 2L * sound.length;
    DbException[] failure = new DbException[1];
    assertThat(keysUntilFailure(path, failure)).containsExactly("k0", "k1");
    assertThat(failure[0])
        .hasMessageContaining(
            "record #2 at byte offset " + end + " is truncated: only " + junk + " bytes remain")
        .hasMessageContaining("torn tail");
    assertThat(MiniDb.recoverableLength(path)).isEqualTo(end);
  }

  @Test
  void everyCutInsideTheLastRecordIsATornTailThatCanBeRepairedAndAppendedTo() throws IOException {
    byte[] first = record("00000000", "first value");
    byte[] last = record("00000001", "the last value");
    for (int cut = 1; cut < last.length; cut++) {
      byte[] partial = java.util.Arrays.copyOf(last, cut);
      Path path = file(first, partial);
      DbException[] failure = new DbException[1];
      assertThat(keysUntilFailure(path, failure)).as("cut %d", cut).containsExactly("00000000");
      assertThat(failure[0])
          .as("cut %d", cut)
          .isInstanceOf(MiniDbFormatException.class)
          .hasMessageContaining("at byte offset " + first.length + " is truncated");
      assertThatThrownBy(() -> MiniDb.open(path, Mode.WRITE))
          .as("cut %d", cut)
          .isInstanceOf(DbException.class)
          .hasMessageContaining("cannot append")
          .hasMessageContaining("cortado repair-db --db " + path);
      assertThat(MiniDb.truncateToRecoverable(path)).isEqualTo(cut);
      try (MiniDb db = MiniDb.open(path, Mode.WRITE);
          Transaction tx = db.newTransaction()) {
        tx.put(ascii("00000002"), ascii("appended"));
      }
      assertThat(keysUntilFailure(path, failure)).containsExactly("00000000", "00000002");
    }
  }

  @Test
  void zeroLengthsAreFramingErrors() throws IOException {
    Path zeroKey = file(record("a", "1"), header(0, 1), ascii("x"));
    DbException[] failure = new DbException[1];
    assertThat(keysUntilFailure(zeroKey, failure)).containsExactly("a");
    assertThat(failure[0]).hasMessageContaining("at byte offset 10 has a zero length for the key");
    Path zeroValue = file(header(1, 0), ascii("k"));
    assertThat(keysUntilFailure(zeroValue, failure)).isEmpty();
    assertThat(failure[0])
        .hasMessageContaining(
            "record #0 (key 'k') at byte offset 0 has a zero length for the value");
  }

  @Test
  void aHugeLyingLengthIsReportedWithoutAllocatingIt() throws IOException {
    Path hugeValue = file(header(3, Integer.MAX_VALUE), ascii("key"), ascii("tiny"));
    DbException[] failure = new DbException[1];
    assertThat(keysUntilFailure(hugeValue, failure)).isEmpty();
    assertThat(failure[0])
        .hasMessageContaining(
            "its value length is 2147483647 bytes but only 4 bytes remain before the end of the file");
    Path hugeKey = file(header(Integer.MAX_VALUE, Integer.MAX_VALUE), ascii("k"));
    assertThat(keysUntilFailure(hugeKey, failure)).isEmpty();
    assertThat(failure[0]).hasMessageContaining("its key length is 2147483647 bytes but only 1");
  }

  @Test
  void aDbReaderDeliversEveryWholeRecordBeforeTheFramingError() {
    DbRegistry registry = DbRegistry.of(List.of(new MiniDbProvider()));
    Path path = fixture("minidb-truncated");
    try (DbReader reader = DbReader.open(registry, "MiniDB", path.toString())) {
      for (int i = 0; i < 5; i++) {
        assertThat(new String(reader.read().key(), StandardCharsets.US_ASCII))
            .isEqualTo("0000000" + i);
      }
      assertThatThrownBy(reader::read)
          .isInstanceOf(DbException.class)
          .hasMessageContaining("byte offset 305");
      assertThatThrownBy(reader::read).as("sticky").hasMessageContaining("byte offset 305");
    }
  }

  @Test
  void positionsResumeExactlyAndACheckpointDetectsAChangedFile() throws IOException {
    Path path = file(record("a", "1"), record("bb", "22"), record("ccc", "333"));
    DbRegistry registry = DbRegistry.of(List.of(new MiniDbProvider()));
    DBReaderProto proto;
    try (DbReader reader = DbReader.open(registry, "minidb", path.toString())) {
      reader.read();
      proto = reader.toProto("r");
    }
    assertThat(proto.hasKey()).as("a key would make Caffe2 try to seek minidb").isFalse();
    try (DbReader resumed = DbReader.fromProto(registry, proto)) {
      assertThat(resumed.read().key()).isEqualTo(ascii("bb"));
      assertThat(resumed.read().key()).isEqualTo(ascii("ccc"));
      assertThat(resumed.read().key()).isEqualTo(ascii("a"));
    }
    Files.write(path, record("b", "2"));
    assertThatThrownBy(() -> DbReader.fromProto(registry, proto))
        .isInstanceOf(DbException.class)
        .hasMessageContaining("past the end");
    Files.write(path, concat(record("a", "1"), concat(header(2, 50), ascii("bb"))));
    assertThatThrownBy(() -> DbReader.fromProto(registry, proto))
        .isInstanceOf(DbException.class)
        .hasMessageContaining("DBReaderProto 'r' resumes at position 10")
        .hasMessageContaining("changed since the checkpoint")
        .hasMessageContaining("truncated");
    Files.write(path, concat(record("a", "1"), record("bX", "22")));
    assertThatThrownBy(() -> DbReader.fromProto(registry, proto))
        .isInstanceOf(DbException.class)
        .hasMessageContaining("expecting key 'bb' there, but found 'bX'");
  }

  @Test
  void seekToPositionOffARecordBoundaryIsAFramingErrorNotGarbage() throws IOException {
    Path path = file(record("a", "1"), record("b", "2"));
    try (MiniDb db = MiniDb.open(path, Mode.READ);
        MiniDbCursor cursor = db.newCursor()) {
      cursor.next();
      assertThat(cursor.position()).hasValue(10);
      cursor.seekToFirst();
      assertThat(cursor.position()).hasValue(0);
      assertThatThrownBy(() -> cursor.seekToPosition(3)).isInstanceOf(MiniDbFormatException.class);
      assertThatThrownBy(cursor::key).isInstanceOf(MiniDbFormatException.class);
      cursor.seekToPosition(10);
      assertThat(StandardCharsets.US_ASCII.decode(cursor.key()).toString()).isEqualTo("b");
      assertThatThrownBy(() -> cursor.seekToPosition(-1)).hasMessageContaining("no byte offset -1");
    }
  }

  @Test
  void keysAndValuesAreReadOnlySlicesOfTheMap() throws IOException {
    Path path = file(record("key", "value"));
    try (MiniDb db = MiniDb.open(path, Mode.READ);
        MiniDbCursor cursor = db.newCursor()) {
      ByteBuffer value = cursor.value();
      assertThat(value.isReadOnly()).isTrue();
      assertThat(value.isDirect()).as("a slice of the memory map, not a heap copy").isTrue();
      assertThat(value.position()).isZero();
      assertThat(value.remaining()).isEqualTo(5);
      assertThat(cursor.location()).isEqualTo("byte offset 0, record #0");
    }
  }

  @Test
  void aRecordLargerThanTheMapWindowGetsItsOwnMap() throws IOException {
    String big = "x".repeat(1000);
    Path path = file(record("a", "1"), record("big", big), record("c", "3"));
    try (Db db = new MiniDbProvider(64).open(path.toString(), Mode.READ);
        var cursor = db.newCursor()) {
      cursor.next();
      assertThat(StandardCharsets.US_ASCII.decode(cursor.value()).toString()).isEqualTo(big);
      cursor.next();
      assertThat(StandardCharsets.US_ASCII.decode(cursor.key()).toString()).isEqualTo("c");
      cursor.next();
      assertThat(cursor.valid()).isFalse();
    }
  }

  @Test
  void recordsAppendedAfterOpenAreSeenAfterTheNextSeekToFirst() throws IOException {
    Path path = file(record("a", "1"));
    try (MiniDb db = MiniDb.open(path, Mode.READ);
        MiniDbCursor cursor = db.newCursor()) {
      try (FileChannel ch = FileChannel.open(path, StandardOpenOption.APPEND)) {
        ch.write(ByteBuffer.wrap(record("b", "2")));
      }
      cursor.next();
      assertThat(cursor.valid()).as("the size is fixed until a repositioning call").isFalse();
      cursor.seekToFirst();
      cursor.next();
      assertThat(StandardCharsets.US_ASCII.decode(cursor.key()).toString()).isEqualTo("b");
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
