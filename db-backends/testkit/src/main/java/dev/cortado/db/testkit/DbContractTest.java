package dev.cortado.db.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.cortado.CortadoException;
import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbException;
import dev.cortado.db.DbProvider;
import dev.cortado.db.DbReader;
import dev.cortado.db.DbRegistry;
import dev.cortado.db.Keys;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import dev.cortado.proto.DBReaderProto;
import dev.cortado.tensor.BatchAssembler;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorDigest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract every DB backend passes, built-in or plugin: extend this class in a JUnit 5 test,
 * implement {@link #dbType()} and {@link #provider()}, and override the hooks that differ from the
 * defaults ({@link #sortedKeys()}, {@link #copyFixtureFirst()}, {@link #fixture(Path)}, {@link
 * #newDbPath(Path)}, {@link #importMissingFixtures()}).
 *
 * <p>It checks: writing and reading back (with a put after a commit); key order; every shared
 * dataset's {@code expectations.json}, both the raw records and every batch of every run (batch
 * sizes 1, 7 and 64, unsharded and 3 shards), decoded with the streaming decoder and compared by
 * dtype, shape and SHA-256; every {@code bad-inputs} case that applies to the backend; an empty DB;
 * reopening; use after close; disjoint, covering shards; closing while another thread reads; {@code
 * DBReaderProto} checkpoints; and registration through {@code META-INF/services}.
 *
 * <p>The test methods are final: a backend passes the whole contract or it is not done. The shared
 * test vectors are found by {@link TestData#root()}. A backend without its own copy of a dataset
 * (any plugin) gets one written through its own {@link Transaction} from the dataset's minidb file,
 * and is checked against the sorted or the file-order expectations as {@link #sortedKeys()} says.
 */
public abstract class DbContractTest {
  /** The backend's canonical db_type, as named in the test vectors' {@code backend} fields. */
  protected abstract String dbType();

  /** A fresh provider of the backend under test. */
  protected abstract DbProvider provider();

  /**
   * Where this backend's copy of a shared dataset lives, or null when it has none. The default
   * finds {@code datasetDir/<dbType>} (a DB folder, as for lmdb) or {@code
   * datasetDir/<datasetName>.<dbType>} (a file, as for minidb).
   */
  protected Path fixture(Path datasetDir) {
    Path folder = datasetDir.resolve(dbType());
    if (Files.exists(folder)) {
      return folder;
    }
    Path file = datasetDir.resolve(datasetDir.getFileName() + "." + dbType());
    return Files.exists(file) ? file : null;
  }

  /**
   * True when opening a fixture may write into it (LevelDB and RocksDB write LOCK, LOG and MANIFEST
   * files): the fixture is then copied to a writable temporary folder first, because the shared
   * test vectors are read-only.
   */
  protected boolean copyFixtureFirst() {
    return false;
  }

  /** True when cursors return keys in unsigned byte order; false for insertion (file) order. */
  protected boolean sortedKeys() {
    return true;
  }

  /** Where a test creates a new DB inside {@code emptyDir}; the path must not exist yet. */
  protected Path newDbPath(Path emptyDir) {
    return emptyDir.resolve("db");
  }

  /**
   * True to check datasets this backend has no copy of ({@link #fixture} returns null) by writing
   * them with the backend itself first; false to skip them.
   */
  protected boolean importMissingFixtures() {
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Writing, order, reopening, closing

  @Test
  public final void writeThenReadBackWithAPutAfterACommit(@TempDir Path dir) {
    Path path = newDb(dir);
    List<byte[][]> records = numbered(12);
    try (Db db = open(path, Mode.NEW);
        Transaction tx = db.newTransaction()) {
      for (int i = 0; i < 5; i++) {
        tx.put(records.get(i)[0], records.get(i)[1]);
      }
      tx.commit();
      for (int i = 5; i < records.size(); i++) {
        tx.put(records.get(i)[0], records.get(i)[1]);
      }
      // close() commits the rest, as every Caffe2 transaction does on destruction.
    }
    assertThat(scan(path))
        .as("records read back in order")
        .containsExactlyElementsOf(texts(records));
  }

  @Test
  public final void keysComeBackInTheBackendsOrder(@TempDir Path dir) {
    byte[][] keys = {
      text("b"),
      {0},
      text("a"),
      {(byte) 0xff, 1},
      {0x7f},
      {(byte) 0x80},
      text("ab"),
      text("00000001"),
      {1, 0},
      {1}
    };
    List<byte[][]> records = new ArrayList<>();
    for (int i = 0; i < keys.length; i++) {
      records.add(new byte[][] {keys[i], text("value " + i)});
    }
    Path path = write(newDb(dir), records);
    List<byte[][]> expected = new ArrayList<>(records);
    if (sortedKeys()) {
      expected.sort((x, y) -> Arrays.compareUnsigned(x[0], y[0]));
    }
    assertThat(scan(path))
        .as(sortedKeys() ? "unsigned byte order of the keys" : "insertion order")
        .containsExactlyElementsOf(texts(expected));
  }

  @Test
  public final void anEmptyDbIsAClearErrorForAReader(@TempDir Path dir) {
    Path path = newDb(dir);
    open(path, Mode.NEW).close();
    try (Db db = open(path, Mode.READ);
        Cursor cursor = db.newCursor()) {
      assertThat(cursor.valid()).as("a cursor on an empty DB").isFalse();
    }
    assertThatThrownBy(() -> DbReader.open(registry(), dbType(), path.toString()).close())
        .isInstanceOf(DbException.class)
        .hasMessageContaining("empty")
        .hasMessageContaining(path.toString());
  }

  @Test
  public final void aDbCanBeReopenedAfterClose(@TempDir Path dir) {
    Path path = write(newDb(dir), numbered(5));
    List<String> first = scan(path);
    assertThat(scan(path)).isEqualTo(first);
    try (DbReader reader = DbReader.open(registry(), dbType(), path.toString())) {
      assertThat(text(reader.read().key())).isEqualTo("00000000");
    }
    try (DbReader reader = DbReader.open(registry(), dbType(), path.toString())) {
      assertThat(text(reader.read().key())).isEqualTo("00000000");
    }
  }

  @Test
  public final void useAfterCloseThrowsDbException(@TempDir Path dir) {
    Path path = write(newDb(dir), numbered(5));
    Db db = open(path, Mode.READ);
    Cursor cursor = db.newCursor();
    assertThat(cursor.valid()).isTrue();
    db.close();
    db.close();
    assertThatThrownBy(cursor::valid).as("valid()").isInstanceOf(DbException.class);
    assertThatThrownBy(cursor::next).as("next()").isInstanceOf(DbException.class);
    assertThatThrownBy(cursor::key).as("key()").isInstanceOf(DbException.class);
    assertThatThrownBy(cursor::value).as("value()").isInstanceOf(DbException.class);
    assertThatThrownBy(cursor::seekToFirst).as("seekToFirst()").isInstanceOf(DbException.class);
    assertThatThrownBy(db::newCursor).as("newCursor()").isInstanceOf(DbException.class);
    closeAllowingDbException(cursor);

    Db writer = open(newDb(dir.resolve("w")), Mode.NEW);
    Transaction tx = writer.newTransaction();
    tx.put(text("k"), text("v"));
    writer.close();
    assertThatThrownBy(() -> tx.put(text("k2"), text("v2")))
        .as("put()")
        .isInstanceOf(DbException.class);
    assertThatThrownBy(tx::commit).as("commit()").isInstanceOf(DbException.class);
    assertThatThrownBy(writer::newTransaction)
        .as("newTransaction()")
        .isInstanceOf(DbException.class);
    closeAllowingDbException(tx);

    DbReader reader = DbReader.open(registry(), dbType(), path.toString());
    reader.close();
    reader.close();
    assertThatThrownBy(reader::read).as("DbReader.read()").isInstanceOf(DbException.class);
  }

  @Test
  public final void threeShardsAreDisjointAndTogetherCoverTheDb(@TempDir Path dir) {
    int n = 20;
    Path path = write(newDb(dir), numbered(n));
    Set<String> seen = new HashSet<>();
    for (int shard = 0; shard < 3; shard++) {
      int cycle = (n - shard + 2) / 3;
      try (DbReader reader = DbReader.open(registry(), dbType(), path.toString(), 3, shard)) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i <= cycle; i++) {
          keys.add(text(reader.read().key()));
        }
        for (int i = 0; i < cycle; i++) {
          assertThat(keys.get(i))
              .as("shard %d read %d", shard, i)
              .isEqualTo(String.format(Locale.ROOT, "%08d", shard + 3 * i));
          assertThat(seen.add(keys.get(i))).as("%s read by two shards", keys.get(i)).isTrue();
        }
        assertThat(keys.get(cycle))
            .as("shard %d wraps to its first record", shard)
            .isEqualTo(keys.get(0));
      }
    }
    assertThat(seen).hasSize(n);
  }

  @Test
  public final void closingTheDbWhileAnotherThreadUsesACursorNeverCrashes(@TempDir Path dir)
      throws Exception {
    List<byte[][]> records = numbered(50);
    Path path = write(newDb(dir), records);
    Db db = open(path, Mode.READ);
    CountDownLatch reading = new CountDownLatch(1);
    AtomicReference<Throwable> outcome = new AtomicReference<>();
    Thread thread =
        new Thread(
            () -> {
              Cursor cursor = null;
              try {
                cursor = db.newCursor();
                for (int i = 0; i < 20_000; i++) {
                  if (!cursor.valid()) {
                    cursor.seekToFirst();
                  }
                  int index = Integer.parseInt(text(bytes(cursor.key())));
                  byte[] value = bytes(cursor.value());
                  if (!Arrays.equals(value, records.get(index)[1])) {
                    throw new AssertionError(
                        "record " + index + " read garbage while the DB closed");
                  }
                  cursor.next();
                  if (i == 20) {
                    reading.countDown();
                  }
                }
              } catch (Throwable t) {
                outcome.set(t);
              } finally {
                reading.countDown();
                if (cursor != null) {
                  try {
                    cursor.close();
                  } catch (DbException ignored) {
                    // Closing a cursor of a closed DB may say so.
                  } catch (RuntimeException e) {
                    outcome.compareAndSet(null, e);
                  }
                }
              }
            },
            "contract-reader");
    thread.start();
    reading.await();
    db.close();
    thread.join();
    if (outcome.get() != null) {
      assertThat(outcome.get())
          .as("the reading thread may only see a DbException")
          .isInstanceOf(DbException.class);
    }
    assertThatThrownBy(db::newCursor).isInstanceOf(DbException.class);
  }

  @Test
  public final void closingADbReaderWhileAnotherThreadReadsNeverCrashes(@TempDir Path dir)
      throws Exception {
    Path path = write(newDb(dir), numbered(30));
    DbReader reader = DbReader.open(registry(), dbType(), path.toString());
    CountDownLatch reading = new CountDownLatch(1);
    AtomicReference<Throwable> outcome = new AtomicReference<>();
    Thread thread =
        new Thread(
            () -> {
              try {
                for (int i = 0; ; i++) {
                  reader.read(
                      (key, value) -> {
                        if (value.remaining() == 0) {
                          throw new AssertionError("empty value");
                        }
                      });
                  if (i == 20) {
                    reading.countDown();
                  }
                }
              } catch (Throwable t) {
                outcome.set(t);
              } finally {
                reading.countDown();
              }
            },
            "contract-dbreader");
    thread.start();
    reading.await();
    reader.close();
    thread.join();
    assertThat(outcome.get()).isInstanceOf(DbException.class).hasMessageContaining("closed");
  }

  @Test
  public final void aCheckpointResumesAfterTheLastRecordRead(@TempDir Path dir) throws Exception {
    Path path = write(newDb(dir), numbered(10));
    boolean seekable;
    try (Db db = open(path, Mode.READ);
        Cursor cursor = db.newCursor()) {
      seekable = cursor.supportsSeek();
    }
    DBReaderProto proto;
    try (DbReader reader = DbReader.open(registry(), dbType(), path.toString())) {
      for (int i = 0; i < 3; i++) {
        reader.read();
      }
      proto = DBReaderProto.parseFrom(reader.toProto("checkpoint").toByteArray());
    }
    assertThat(proto.getName()).isEqualTo("checkpoint");
    assertThat(proto.getSource()).isEqualTo(path.toString());
    assertThat(proto.getDbType()).isEqualTo(dbType());
    assertThat(proto.hasKey())
        .as("Caffe2 stores the next key exactly for seekable backends")
        .isEqualTo(seekable);
    if (seekable) {
      assertThat(proto.getKey()).isEqualTo("00000003");
    }
    boolean resumable =
        proto.hasKey() || proto.getUnknownFields().hasField(DbReader.POSITION_FIELD);
    try (DbReader resumed = DbReader.fromProto(registry(), proto)) {
      assertThat(text(resumed.read().key()))
          .as(resumable ? "resumes after the last record read" : "starts over, as Caffe2 does")
          .isEqualTo(resumable ? "00000003" : "00000000");
    }
  }

  @Test
  public final void aShardedCheckpointKeepsItsShard(@TempDir Path dir) throws Exception {
    Path path = write(newDb(dir), numbered(10));
    DBReaderProto proto;
    try (DbReader reader = DbReader.open(registry(), dbType(), path.toString(), 3, 2)) {
      assertThat(text(reader.read().key())).isEqualTo("00000002");
      assertThat(text(reader.read().key())).isEqualTo("00000005");
      proto = DBReaderProto.parseFrom(reader.toProto("sharded").toByteArray());
    }
    try (DbReader resumed = DbReader.fromProto(registry(), proto)) {
      assertThat(resumed.numShards()).isEqualTo(3);
      assertThat(resumed.shardId()).isEqualTo(2);
      boolean resumable =
          proto.hasKey() || proto.getUnknownFields().hasField(DbReader.POSITION_FIELD);
      List<String> keys =
          List.of(
              text(resumed.read().key()), text(resumed.read().key()), text(resumed.read().key()));
      assertThat(keys)
          .isEqualTo(
              resumable
                  ? List.of("00000008", "00000002", "00000005")
                  : List.of("00000002", "00000005", "00000008"));
    }
  }

  @Test
  public final void theProviderIsRegisteredThroughMetaInfServices() {
    DbProvider mine = provider();
    DbRegistry registry = DbRegistry.fromServiceLoader(mine.getClass().getClassLoader());
    assertThat(registry.names()).contains(dbType().toLowerCase(Locale.ROOT));
    assertThat(registry.provider(dbType().toUpperCase(Locale.ROOT)))
        .as("META-INF/services/dev.cortado.db.DbProvider lists " + mine.getClass().getName())
        .isInstanceOf(mine.getClass());
    for (String alias : mine.aliases()) {
      assertThat(registry.provider(alias)).as("alias " + alias).isInstanceOf(mine.getClass());
    }
    assertThat(mine.name()).isEqualToIgnoringCase(dbType());
  }

  // ---------------------------------------------------------------------------------------------
  // Shared test vectors

  /** Every dataset's expectations: the raw records in read order, then every run's batches. */
  @TestFactory
  public final Stream<DynamicNode> sharedDatasets(@TempDir Path scratch) {
    List<Fixtures.Dataset> datasets = Fixtures.datasets(TestData.root());
    assertThat(datasets).as("datasets under " + TestData.root()).isNotEmpty();
    return datasets.stream()
        .map(
            dataset -> {
              Path own = fixture(dataset.dir());
              boolean imported = own == null;
              Fixtures.Group group = groupFor(dataset.groups(), imported);
              if (imported && (!importMissingFixtures() || group == null)) {
                return dynamicTest(
                    dataset.name() + " (no " + dbType() + " copy)",
                    () -> Assumptions.abort("no " + dbType() + " copy of " + dataset.dir()));
              }
              if (group == null) {
                return dynamicTest(
                    dataset.name(),
                    () ->
                        fail(
                            "no group of "
                                + dataset.dir()
                                + "/expectations.json has the order of "
                                + dbType()));
              }
              Supplier<Path> db =
                  memoize(
                      () ->
                          imported
                              ? importMiniDb(
                                  dataset.dir().resolve(dataset.name() + ".minidb"), scratch)
                              : prepare(own, scratch, dataset.name()));
              List<DynamicNode> tests = new ArrayList<>();
              tests.add(
                  dynamicTest(
                      "raw records in read order",
                      () ->
                          within(
                              dataset.name() + " raw records",
                              () -> checkRawRecords(dataset, group, db.get()))));
              for (Fixtures.Run run : group.runs()) {
                tests.add(
                    dynamicTest(
                        run.name(),
                        () ->
                            within(
                                dataset.name() + " " + run.name(),
                                () -> checkRun(dataset, run, db.get()))));
              }
              return dynamicContainer(
                  dataset.name() + (imported ? " (written by " + dbType() + ")" : ""), tests);
            });
  }

  /** Every bad-inputs case for this backend, read with batch size 1 from the first record. */
  @TestFactory
  public final Stream<DynamicNode> badInputs(@TempDir Path scratch) {
    List<Fixtures.BadCase> cases = Fixtures.badCases(TestData.root());
    assertThat(cases).isNotEmpty();
    List<DynamicNode> tests = new ArrayList<>();
    for (Fixtures.BadCase badCase : cases) {
      Path own = badCase.has(dbType()) ? fixture(badCase.dir()) : null;
      Path miniDb = badCase.dir().resolve(badCase.name() + ".minidb");
      boolean importable =
          importMissingFixtures()
              && !badCase.failsIn().startsWith("minidb")
              && badCase.has("minidb")
              && Files.isRegularFile(miniDb);
      if (own == null && !importable) {
        continue;
      }
      Supplier<Path> db =
          own != null
              ? () -> prepare(own, scratch, badCase.name())
              : () -> importMiniDb(miniDb, scratch);
      tests.add(
          dynamicTest(
              badCase.name() + (own == null ? " (written by " + dbType() + ")" : ""),
              () -> within("bad-inputs/" + badCase.name(), () -> checkBadCase(badCase, db.get()))));
    }
    assertThat(tests).as("bad-inputs cases that apply to " + dbType()).isNotEmpty();
    return tests.stream();
  }

  private void checkRawRecords(Fixtures.Dataset dataset, Fixtures.Group group, Path path) {
    try (Db db = open(path, Mode.READ);
        Cursor cursor = db.newCursor()) {
      int[] order = group.readOrder();
      for (int position = 0; position < order.length; position++) {
        Fixtures.RawRecord want = dataset.records().get(order[position]);
        assertThat(cursor.valid()).as("a record at read position %d", position).isTrue();
        ByteBuffer key = cursor.key();
        ByteBuffer value = cursor.value();
        assertThat(Keys.hex(key)).as("key at read position %d", position).isEqualTo(want.keyHex());
        assertThat(value.remaining())
            .as("value length of record %d", want.index())
            .isEqualTo(want.valueLength());
        assertThat(sha256(value))
            .as("value sha256 of record %d", want.index())
            .isEqualTo(want.valueSha256());
        cursor.next();
      }
      assertThat(cursor.valid()).as("no record after the last of %d", order.length).isFalse();
    }
  }

  private void checkRun(Fixtures.Dataset dataset, Fixtures.Run run, Path path) {
    try (DbReader reader =
        DbReader.open(registry(), dbType(), path.toString(), run.numShards(), run.shardId())) {
      for (int b = 0; b < run.batches().size(); b++) {
        Fixtures.Batch want = run.batches().get(b);
        List<byte[]> keys = new ArrayList<>();
        List<ByteBuffer> values = new ArrayList<>();
        reader.readBatch(
            run.batchSize(),
            (key, value) -> {
              keys.add(bytes(key));
              values.add(ByteBuffer.wrap(bytes(value)));
            });
        for (int i = 0; i < keys.size(); i++) {
          assertThat(HexFormat.of().formatHex(keys.get(i)))
              .as("batch %d item %d is record %d", b, i, want.records()[i])
              .isEqualTo(dataset.records().get(want.records()[i]).keyHex());
        }
        List<String> keyTexts = keys.stream().map(Keys::text).toList();
        checkBatch(BatchAssembler.assemble(values, keyTexts, dataset.numOutputs()), want, b);
      }
    }
  }

  private void checkBadCase(Fixtures.BadCase badCase, Path path) {
    List<Fixtures.Batch> before = badCase.batchesBeforeError();
    DbReader reader;
    try {
      reader = DbReader.open(registry(), dbType(), path.toString(), 1, 0);
    } catch (CortadoException e) {
      assertThat(before).as("%s failed when opened: %s", badCase.name(), e.getMessage()).isEmpty();
      checkError(badCase, e);
      return;
    }
    try (reader) {
      LayoutKeepingDecoder decoder = new LayoutKeepingDecoder(badCase.numOutputs());
      for (int b = 0; b < before.size(); b++) {
        checkBatch(readOne(reader, decoder), before.get(b), b);
      }
      try {
        List<Tensor> garbage = readOne(reader, decoder);
        fail(
            "%s: batch %d should fail (%s) but decoded to %d outputs",
            badCase.name(), before.size(), badCase.description(), garbage.size());
      } catch (CortadoException e) {
        checkError(badCase, e);
      }
    }
  }

  private static List<Tensor> readOne(DbReader reader, LayoutKeepingDecoder decoder) {
    DbReader.Record record = reader.read();
    return decoder.decode(List.of(record.key()), List.of(ByteBuffer.wrap(record.value())));
  }

  private static void checkError(Fixtures.BadCase badCase, CortadoException e) {
    String message = String.valueOf(e.getMessage());
    if (badCase.numRecords() == 0) {
      assertThat(message).as("error for an empty DB").contains("empty");
    }
    if (!badCase.errorTokens().isEmpty()) {
      assertThat(badCase.errorTokens())
          .as("the error '%s' names one of %s", message, badCase.errorTokens())
          .anyMatch(message::contains);
    }
  }

  private static void checkBatch(List<Tensor> tensors, Fixtures.Batch want, int batch) {
    assertThat(tensors).as("outputs of batch %d", batch).hasSize(want.outputs().size());
    for (int j = 0; j < tensors.size(); j++) {
      Tensor tensor = tensors.get(j);
      Fixtures.OutputHash hash = want.outputs().get(j);
      assertThat(tensor.dataType().name())
          .as("batch %d output %d dtype", batch, j)
          .isEqualTo(hash.dtype());
      assertThat(tensor.dims())
          .as("batch %d output %d shape", batch, j)
          .containsExactly(hash.shape());
      assertThat(TensorDigest.sha256Hex(tensor))
          .as("batch %d output %d sha256", batch, j)
          .isEqualTo(hash.sha256());
    }
  }

  /** The expectations group with this backend's order: its own, else the sorted or file order. */
  private Fixtures.Group groupFor(List<Fixtures.Group> groups, boolean imported) {
    if (!imported) {
      for (Fixtures.Group group : groups) {
        if (group.has(dbType())) {
          return group;
        }
      }
    }
    for (Fixtures.Group group : groups) {
      boolean sorted = group.has("lmdb") || group.has("leveldb") || group.has("rocksdb");
      if (sortedKeys() ? sorted : group.has("minidb")) {
        return group;
      }
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private DbRegistry registry() {
    return DbRegistry.of(List.of(provider()));
  }

  private Db open(Path path, Mode mode) {
    return provider().open(path.toString(), mode);
  }

  private Path newDb(Path parent) {
    try {
      return newDbPath(Files.createDirectories(parent));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes {@code records} in NEW mode, committing once halfway, and returns the path. */
  private Path write(Path path, List<byte[][]> records) {
    try (Db db = open(path, Mode.NEW);
        Transaction tx = db.newTransaction()) {
      for (int i = 0; i < records.size(); i++) {
        tx.put(records.get(i)[0], records.get(i)[1]);
        if (i == records.size() / 2) {
          tx.commit();
        }
      }
      tx.commit();
    }
    return path;
  }

  /** Every record of the DB at {@code path} as "key-hex=value-hex", in cursor order. */
  private List<String> scan(Path path) {
    List<String> out = new ArrayList<>();
    try (Db db = open(path, Mode.READ);
        Cursor cursor = db.newCursor()) {
      for (cursor.seekToFirst(); cursor.valid(); cursor.next()) {
        out.add(Keys.hex(cursor.key()) + "=" + Keys.hex(cursor.value()));
      }
    }
    return out;
  }

  private Path importMiniDb(Path miniDb, Path scratch) {
    try {
      Path dir = Files.createTempDirectory(scratch, "import-");
      return write(newDbPath(dir), MiniDbRecords.read(miniDb));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The fixture itself, or a writable copy when {@link #copyFixtureFirst()} says so. */
  private Path prepare(Path fixture, Path scratch, String name) {
    if (!copyFixtureFirst()) {
      return fixture;
    }
    try {
      Path target = Files.createTempDirectory(scratch, name + "-").resolve(fixture.getFileName());
      try (Stream<Path> files = Files.walk(fixture)) {
        for (Path from : files.toList()) {
          Path to = target.resolve(fixture.relativize(from).toString());
          if (Files.isDirectory(from)) {
            Files.createDirectories(to);
          } else {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
          }
          to.toFile().setWritable(true, true);
        }
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + fixture + " to a temporary folder", e);
    }
  }

  /**
   * Runs a dynamic test's body, naming the dataset and run in a failure: surefire's reports show
   * dynamic tests by index, not by display name.
   */
  private static void within(String what, Runnable body) {
    try {
      body.run();
    } catch (AssertionError e) {
      AssertionError named = new AssertionError(what + ": " + e.getMessage(), e);
      named.setStackTrace(e.getStackTrace());
      throw named;
    } catch (RuntimeException e) {
      throw new AssertionError(what + ": " + e, e);
    }
  }

  private static <T> Supplier<T> memoize(Supplier<T> supplier) {
    return new Supplier<>() {
      private T value;

      @Override
      public synchronized T get() {
        if (value == null) {
          value = supplier.get();
        }
        return value;
      }
    };
  }

  private static void closeAllowingDbException(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (DbException expected) {
      // Closing something whose DB is closed may say so; anything else is a bug.
    } catch (Exception e) {
      throw new AssertionError("close() after the DB closed threw " + e, e);
    }
  }

  /** Records {@code 00000000.. -> "value i" * (i + 1)}; keys sort in insertion order. */
  private static List<byte[][]> numbered(int n) {
    List<byte[][]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(
          new byte[][] {
            text(String.format(Locale.ROOT, "%08d", i)), text(("value " + i + ";").repeat(i + 1))
          });
    }
    return out;
  }

  private static List<String> texts(List<byte[][]> records) {
    return records.stream()
        .map(r -> Keys.hex(ByteBuffer.wrap(r[0])) + "=" + Keys.hex(ByteBuffer.wrap(r[1])))
        .toList();
  }

  private static byte[] text(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.duplicate().get(out);
    return out;
  }

  private static String sha256(ByteBuffer buffer) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(buffer.duplicate());
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
