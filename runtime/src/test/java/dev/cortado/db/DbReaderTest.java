package dev.cortado.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.proto.DBReaderProto;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DbReaderTest {
  private static List<Integer> readIndices(DbReader reader, int n) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Integer.parseInt(FakeDb.keyString(reader.read().key())));
    }
    return out;
  }

  private static DbRegistry registryOf(FakeDb db) {
    DbProvider provider =
        new DbProvider() {
          @Override
          public String name() {
            return "fake";
          }

          @Override
          public Db open(String source, Mode mode) {
            assertThat(mode).isEqualTo(Mode.READ);
            assertThat(source).isEqualTo(db.source);
            db.closed = false;
            return db;
          }
        };
    return DbRegistry.of(List.of(provider));
  }

  @ParameterizedTest(name = "{0} shards, shard {1}")
  @CsvSource(
      delimiter = ';',
      value = {
        "1;0;0,1,2,3,4,5,6,7,8,9,0,1,2",
        "3;0;0,3,6,9,0,3,6,9,0",
        "3;1;1,4,7,1,4,7,1",
        "3;2;2,5,8,2,5,8",
        "10;9;9,9,9",
        "4;3;3,7,3,7"
      })
  void followsCaffe2ShardOrder(int numShards, int shardId, String expected) {
    List<Integer> want = new ArrayList<>();
    for (String s : expected.split(",")) {
      want.add(Integer.parseInt(s));
    }
    try (DbReader reader = new DbReader(new FakeDb("/data/ten", 10), numShards, shardId)) {
      assertThat(readIndices(reader, want.size())).isEqualTo(want);
    }
  }

  @Test
  void readBatchReturnsTheSameRecordsAsSingleReads() {
    try (DbReader single = new DbReader(new FakeDb("a", 10), 3, 1);
        DbReader batched = new DbReader(new FakeDb("a", 10), 3, 1)) {
      List<Integer> fromBatches = new ArrayList<>();
      for (int b = 0; b < 4; b++) {
        batched.readBatch(
            5,
            (k, v) ->
                fromBatches.add(Integer.parseInt(StandardCharsets.US_ASCII.decode(k).toString())));
      }
      assertThat(fromBatches).isEqualTo(readIndices(single, 20));
    }
  }

  @ParameterizedTest(name = "{0} shards, shard {1}, batches of {2}")
  @CsvSource(
      delimiter = ';',
      value = {
        "1;0;4;0,1,2,3|4,5,6,7|8,9|0,1,2,3",
        "3;1;2;1,4|7|1,4|7",
        "3;0;5;0,3,6,9|0,3,6,9",
        "1;0;10;0,1,2,3,4,5,6,7,8,9|0,1,2,3,4,5,6,7,8,9"
      })
  void readBatchInCycleStopsAtTheEndOfTheShardsCycle(
      int numShards, int shardId, int n, String expected) {
    try (DbReader reader = new DbReader(new FakeDb("/data/ten", 10), numShards, shardId)) {
      List<String> batches = new ArrayList<>();
      for (String want : expected.split("\\|")) {
        List<String> got = new ArrayList<>();
        int visited =
            reader.readBatchInCycle(
                n,
                (k, v) ->
                    got.add(
                        String.valueOf(
                            Integer.parseInt(StandardCharsets.US_ASCII.decode(k).toString()))));
        assertThat(visited).isEqualTo(got.size());
        batches.add(String.join(",", got));
      }
      assertThat(String.join("|", batches)).isEqualTo(expected);
    }
  }

  @Test
  void visitorSeesReadOnlyBuffersAtPositionZero() {
    try (DbReader reader = new DbReader(new FakeDb("a", 3), 1, 0)) {
      reader.read(
          (k, v) -> {
            assertThat(k.position()).isZero();
            assertThat(k.remaining()).isEqualTo(8);
            assertThat(v.isReadOnly()).isTrue();
          });
    }
  }

  @Test
  void emptyDbFailsAtOpenNamingPathAndType() {
    FakeDb db = new FakeDb("/data/empty", 0);
    assertThatThrownBy(() -> new DbReader(db, 1, 0))
        .isInstanceOf(DbException.class)
        .hasMessageContaining("/data/empty")
        .hasMessageContaining("(fake)")
        .hasMessageContaining("is empty");
    assertThat(db.closed).as("the reader owned the db and closed it").isTrue();
  }

  @Test
  void shardBeyondTheRecordsFails() {
    assertThatThrownBy(() -> new DbReader(new FakeDb("/data/two", 2), 3, 2))
        .isInstanceOf(DbException.class)
        .hasMessageContaining("fewer rows than shard id")
        .hasMessageContaining("/data/two");
  }

  @ParameterizedTest(name = "num_shards {0}, shard_id {1}")
  @CsvSource({"0,0", "-1,0", "3,3", "3,-1"})
  void invalidShardSettingsAreRejected(int numShards, int shardId) {
    FakeDb db = new FakeDb("x", 5);
    assertThatThrownBy(() -> new DbReader(db, numShards, shardId))
        .isInstanceOf(DbException.class)
        .hasMessageContaining(numShards < 1 ? "num_shards must be >= 1" : "shard_id must be in");
    assertThat(db.closed).isTrue();
  }

  @Test
  void seekToFirstGoesBackToTheShardStart() {
    try (DbReader reader = new DbReader(new FakeDb("a", 10), 3, 2)) {
      readIndices(reader, 2);
      reader.seekToFirst();
      assertThat(readIndices(reader, 2)).containsExactly(2, 5);
    }
  }

  @Test
  void aFailureWhileMovingKeepsTheRecordAndIsReportedByTheNextRead() {
    FakeDb db = new FakeDb("/data/broken", 6);
    db.failMovingOnto = 3;
    try (DbReader reader = new DbReader(db, 1, 0)) {
      assertThat(readIndices(reader, 3)).containsExactly(0, 1, 2);
      assertThatThrownBy(reader::read)
          .isInstanceOf(DbException.class)
          .hasMessageContaining("injected failure moving onto record 3")
          .hasMessageContaining("/data/broken");
      assertThatThrownBy(reader::read).hasMessageContaining("injected failure");
      assertThatThrownBy(() -> reader.toProto("ckpt")).hasMessageContaining("failed earlier");
      reader.seekToFirst();
      assertThat(readIndices(reader, 2)).containsExactly(0, 1);
    }
  }

  @Test
  void aFailureInsideABatchFailsThatBatch() {
    FakeDb db = new FakeDb("b", 6);
    db.failMovingOnto = 3;
    try (DbReader reader = new DbReader(db, 1, 0)) {
      List<String> seen = new ArrayList<>();
      assertThatThrownBy(
              () ->
                  reader.readBatch(
                      5, (k, v) -> seen.add(StandardCharsets.US_ASCII.decode(k).toString())))
          .hasMessageContaining("injected failure");
      assertThat(seen).containsExactly("00000000", "00000001", "00000002");
    }
  }

  @Test
  void aThrowingVisitorStillConsumesTheRecord() {
    try (DbReader reader = new DbReader(new FakeDb("a", 5), 1, 0)) {
      assertThatThrownBy(
              () ->
                  reader.read(
                      (k, v) -> {
                        throw new IllegalStateException("decode failed");
                      }))
          .isInstanceOf(IllegalStateException.class);
      assertThat(readIndices(reader, 1)).containsExactly(1);
    }
  }

  @Test
  void closeIsIdempotentClosesTheDbAndLaterReadsThrow() {
    FakeDb db = new FakeDb("/data/c", 4);
    DbReader reader = new DbReader(db, 1, 0);
    reader.read();
    reader.close();
    reader.close();
    assertThat(db.closed).isTrue();
    assertThat(db.cursorsOpen).isZero();
    assertThatThrownBy(reader::read).isInstanceOf(DbException.class).hasMessageContaining("closed");
    assertThatThrownBy(() -> reader.readBatch(2, (k, v) -> {})).isInstanceOf(DbException.class);
    assertThatThrownBy(reader::seekToFirst).isInstanceOf(DbException.class);
    assertThatThrownBy(() -> reader.toProto("x")).isInstanceOf(DbException.class);
  }

  @Test
  void concurrentReadersEachGetWholeRecordsAndTogetherReadEveryOneEqually() throws Exception {
    try (DbReader reader = new DbReader(new FakeDb("a", 10), 1, 0)) {
      Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        Thread thread =
            new Thread(
                () -> {
                  for (int i = 0; i < 250; i++) {
                    DbReader.Record r = reader.read();
                    String key = FakeDb.keyString(r.key());
                    assertThat(new String(r.value(), StandardCharsets.US_ASCII))
                        .isEqualTo("value-" + Integer.parseInt(key));
                    counts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                  }
                });
        threads.add(thread);
        thread.start();
      }
      for (Thread thread : threads) {
        thread.join();
      }
      assertThat(counts).hasSize(10);
      assertThat(counts.values()).allSatisfy(c -> assertThat(c.get()).isEqualTo(100));
    }
  }

  @Test
  void closingWhileAnotherThreadReadsWaitsForTheReadOrMakesItThrow() throws Exception {
    DbReader reader = new DbReader(new FakeDb("a", 10), 1, 0);
    AtomicInteger reads = new AtomicInteger();
    Throwable[] failure = new Throwable[1];
    Thread thread =
        new Thread(
            () -> {
              try {
                while (true) {
                  reader.read((k, v) -> reads.incrementAndGet());
                }
              } catch (Throwable t) {
                failure[0] = t;
              }
            });
    thread.start();
    while (reads.get() < 100) {
      Thread.onSpinWait();
    }
    reader.close();
    thread.join();
    assertThat(failure[0]).isInstanceOf(DbException.class).hasMessageContaining("closed");
  }

  @Test
  void checkpointOfASeekableBackendStoresTheNextKeyAndResumesThere() throws Exception {
    FakeDb db = new FakeDb("/data/s", 10);
    db.seekable = true;
    DBReaderProto proto;
    try (DbReader reader = new DbReader(db, 1, 0)) {
      readIndices(reader, 3);
      proto = DBReaderProto.parseFrom(reader.toProto("reader").toByteArray());
    }
    assertThat(proto.getName()).isEqualTo("reader");
    assertThat(proto.getSource()).isEqualTo("/data/s");
    assertThat(proto.getDbType()).isEqualTo("fake");
    assertThat(proto.getKey()).isEqualTo("00000003");
    assertThat(proto.getUnknownFields().asMap()).isEmpty();
    try (DbReader resumed = DbReader.fromProto(registryOf(db), proto)) {
      assertThat(readIndices(resumed, 9)).containsExactly(3, 4, 5, 6, 7, 8, 9, 0, 1);
    }
  }

  @Test
  void checkpointKeepsShardSettings() throws Exception {
    FakeDb db = new FakeDb("/data/s", 10);
    db.seekable = true;
    DBReaderProto proto;
    try (DbReader reader = new DbReader(db, 3, 1)) {
      assertThat(readIndices(reader, 2)).containsExactly(1, 4);
      proto = DBReaderProto.parseFrom(reader.toProto("r").toByteArray());
    }
    try (DbReader resumed = DbReader.fromProto(registryOf(db), proto)) {
      assertThat(resumed.numShards()).isEqualTo(3);
      assertThat(resumed.shardId()).isEqualTo(1);
      assertThat(readIndices(resumed, 4)).containsExactly(7, 1, 4, 7);
    }
  }

  @Test
  void aCaffe2CheckpointWithoutShardsResumesUnsharded() {
    FakeDb db = new FakeDb("/data/s", 10);
    db.seekable = true;
    DBReaderProto proto =
        DBReaderProto.newBuilder()
            .setName("r")
            .setSource("/data/s")
            .setDbType("FAKE")
            .setKey("00000007")
            .build();
    try (DbReader resumed = DbReader.fromProto(registryOf(db), proto)) {
      assertThat(resumed.numShards()).isEqualTo(1);
      assertThat(resumed.dbType()).isEqualTo("FAKE");
      assertThat(readIndices(resumed, 4)).containsExactly(7, 8, 9, 0);
    }
  }

  @Test
  void checkpointByPositionResumesAndDetectsAChangedDb() throws Exception {
    FakeDb db = new FakeDb("/data/p", 6);
    db.positions = true;
    DBReaderProto proto;
    try (DbReader reader = new DbReader(db, 1, 0)) {
      readIndices(reader, 4);
      proto = DBReaderProto.parseFrom(reader.toProto("r").toByteArray());
    }
    assertThat(proto.hasKey()).as("no key: Caffe2 would try to seek").isFalse();
    try (DbReader resumed = DbReader.fromProto(registryOf(db), proto)) {
      assertThat(readIndices(resumed, 3)).containsExactly(4, 5, 0);
    }
    db.records.remove(0);
    assertThatThrownBy(() -> DbReader.fromProto(registryOf(db), proto))
        .isInstanceOf(DbException.class)
        .hasMessageContaining("expecting key '00000004'")
        .hasMessageContaining("found '00000005'")
        .hasMessageContaining("changed");
    assertThat(db.closed).isTrue();
  }

  @Test
  void aBackendWithoutSeekOrPositionStartsOverLikeCaffe2() {
    FakeDb db = new FakeDb("/data/n", 6);
    DBReaderProto proto;
    try (DbReader reader = new DbReader(db, 1, 0)) {
      readIndices(reader, 4);
      proto = reader.toProto("r");
    }
    assertThat(proto.hasKey()).isFalse();
    try (DbReader resumed = DbReader.fromProto(registryOf(db), proto)) {
      assertThat(readIndices(resumed, 1)).containsExactly(0);
    }
  }

  @Test
  void aKeyForABackendThatCannotSeekIsAnError() {
    FakeDb db = new FakeDb("/data/n", 6);
    DBReaderProto proto =
        DBReaderProto.newBuilder()
            .setName("r")
            .setSource("/data/n")
            .setDbType("fake")
            .setKey("00000002")
            .build();
    assertThatThrownBy(() -> DbReader.fromProto(registryOf(db), proto))
        .isInstanceOf(DbException.class)
        .hasMessageContaining("needs seeking")
        .hasMessageContaining("does not support it");
    assertThat(db.closed).isTrue();
  }

  @Test
  void aReaderOverADbReportsItsRealTypeAndSource() {
    try (DbReader reader = new DbReader(new FakeDb("/data/x", 1), 1, 0)) {
      assertThat(reader.dbType()).isEqualTo("fake");
      assertThat(reader.source()).isEqualTo("/data/x");
      assertThat(reader.read())
          .isEqualTo(
              new DbReader.Record(FakeDb.key(0), "value-0".getBytes(StandardCharsets.US_ASCII)));
    }
  }

  @Test
  void scanToEndVisitsFromTheCurrentRecordToTheLastThenGoesBackToTheShardStart() {
    try (DbReader reader = new DbReader(new FakeDb("a", 10), 3, 1)) {
      assertThat(readIndices(reader, 2)).containsExactly(1, 4);
      List<String> seen = new ArrayList<>();
      long n = reader.scanToEnd((k, v) -> seen.add(StandardCharsets.US_ASCII.decode(k).toString()));
      assertThat(n).isEqualTo(3);
      assertThat(seen).containsExactly("00000007", "00000008", "00000009");
      assertThat(readIndices(reader, 2)).containsExactly(1, 4);
    }
  }
}
