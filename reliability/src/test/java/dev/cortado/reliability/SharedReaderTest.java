package dev.cortado.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.db.DbReader;
import dev.cortado.db.RecordVisitor;
import dev.cortado.reliability.Dbs.Rec;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Caffe2's {@code Read} contract under contention, on every backend: 8 threads share one {@link
 * DbReader} for 10 epochs, mixing single reads and batches of different sizes. Every read is
 * numbered inside the visitor, where the reader's lock is held, so the global order of reads is
 * known exactly: it must be the shard's records in backend order, repeated, each epoch reading
 * every record of the shard exactly once, and every value must be byte-identical to what was
 * written.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a hang guard, not a timing assertion
class SharedReaderTest {
  private static final int THREADS = 8;
  private static final int EPOCHS = 10;
  private static final int RECORDS = 101;

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String type : Dbs.ALL) {
      out.add(Arguments.of(type, 1, 0));
      out.add(Arguments.of(type, 3, 2));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}, shard {2} of {1}")
  @MethodSource("cases")
  void eightThreadsTenEpochsReadEveryRecordOncePerEpoch(
      String type, int numShards, int shardId, @TempDir Path dir) throws Exception {
    List<Rec> records = Dbs.indexedRecords(RECORDS);
    String source = Dbs.newSource(type, dir);
    Dbs.write(type, source, records);
    // Keys are written in sorted order, so every backend returns them in insertion order.
    List<Rec> shard = new ArrayList<>();
    for (int i = shardId; i < RECORDS; i += numShards) {
      shard.add(records.get(i));
    }
    int total = EPOCHS * shard.size();
    int[] order = new int[total];
    AtomicInteger sequence = new AtomicInteger();
    AtomicInteger claimed = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    // Called with the reader's lock held: the sequence number is the global order of reads.
    RecordVisitor visitor =
        (ByteBuffer key, ByteBuffer value) -> {
          int s = sequence.getAndIncrement();
          Rec expected = shard.get(s % shard.size());
          Rec got = new Rec(Dbs.bytes(key), Dbs.bytes(value));
          if (!got.sameAs(expected)) {
            throw new AssertionError(
                "read "
                    + s
                    + " returned key "
                    + got.keyString()
                    + " ("
                    + got.value().length
                    + " value bytes), expected "
                    + expected.keyString());
          }
          order[s] = Integer.parseInt(got.keyString());
        };
    try (DbReader reader = DbReader.open(Dbs.REGISTRY, type, source, numShards, shardId)) {
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        // Thread 0 reads one record at a time, the others batches of 2..8 records.
        int batch = t == 0 ? 1 : t + 1;
        Thread thread =
            new Thread(
                () -> {
                  try {
                    while (true) {
                      int start = claimed.getAndAdd(batch);
                      if (start >= total) {
                        return;
                      }
                      int n = Math.min(batch, total - start);
                      if (n == 1) {
                        reader.read(visitor);
                      } else {
                        reader.readBatch(n, visitor);
                      }
                    }
                  } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                  }
                },
                "shared-reader-" + t);
        threads.add(thread);
      }
      threads.forEach(Thread::start);
      for (Thread thread : threads) {
        thread.join();
      }
    } finally {
      Dbs.drop(type, source);
    }
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
    assertThat(sequence.get()).isEqualTo(total);
    for (int epoch = 0; epoch < EPOCHS; epoch++) {
      List<Integer> got = new ArrayList<>();
      for (int j = 0; j < shard.size(); j++) {
        got.add(order[epoch * shard.size() + j]);
      }
      List<Integer> expected = new ArrayList<>();
      for (int i = shardId; i < RECORDS; i += numShards) {
        expected.add(i);
      }
      assertThat(got)
          .as("epoch %d of %s shard %d/%d", epoch, type, shardId, numShards)
          .containsExactlyElementsOf(expected);
    }
  }
}
