package dev.cortado.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.CortadoException;
import dev.cortado.cpu.input.TensorProtosDbInput;
import dev.cortado.db.DbException;
import dev.cortado.db.DbReader;
import dev.cortado.net.Net;
import dev.cortado.proto.OperatorDef;
import dev.cortado.workspace.Workspace;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * TensorProtosDBInput operators sharing one reader, and nets closed while their prefetchers run, on
 * every backend (the native ones included, where a read after close would crash the JVM).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a hang guard, not a timing assertion
class InputConcurrencyTest {
  static final List<String> BACKENDS = Dbs.ALL;

  private static final int RECORDS = 60;
  private static final int BATCH = 5;

  private static Map<String, Long> args(long... kv) {
    String[] names = {"batch_size", "prefetch_depth", "no_prefetch", "decode_threads"};
    Map<String, Long> out = new HashMap<>();
    for (int i = 0; i < kv.length; i++) {
      out.put(names[i], kv[i]);
    }
    return out;
  }

  /**
   * Four operators (two decoding on two threads) in a dag net read one reader for 3 epochs. Without
   * prefetch they read exactly what they deliver, so the batches together are 3 copies of every
   * record; with prefetch each also read one batch ahead, which closing discards: what was
   * delivered plus 4 whole batches is 3 copies of every record.
   */
  @ParameterizedTest(name = "{0}")
  @FieldSource("BACKENDS")
  void fourOperatorsOnOneReaderDeliverAPermutationOfTheRecords(String type, @TempDir Path dir)
      throws Exception {
    for (int noPrefetch = 1; noPrefetch >= 0; noPrefetch--) {
      String source = Dbs.indexedDb(type, dir, RECORDS);
      int runs = noPrefetch == 1 ? 9 : 8;
      int[] delivered = new int[RECORDS];
      List<TensorProtosDbInput> ops = new ArrayList<>();
      try (Workspace ws = Nets.RUNTIME.newWorkspace()) {
        ws.runNetOnce(Nets.net("init", "", Nets.createDb(type, source, "reader")));
        OperatorDef[] defs = new OperatorDef[4];
        for (int k = 0; k < 4; k++) {
          defs[k] =
              Nets.input(
                  "shared" + k,
                  "reader",
                  String.valueOf(k),
                  args(BATCH, 1, noPrefetch, k % 2 == 0 ? 1 : 2));
        }
        Net net = ws.createNet(Nets.net("read4", "dag", defs));
        net.operators().forEach(op -> ops.add((TensorProtosDbInput) op));
        for (int r = 0; r < runs; r++) {
          net.run();
          for (int k = 0; k < 4; k++) {
            long[] got = Nets.longs(ws.blob("index" + k).tensor());
            for (int j = 0; j < BATCH; j++) {
              // A batch is BATCH consecutive records of the reader (it never straddles: 60 % 5 ==
              // 0).
              assertThat(got[j]).as("run %d op %d slot %d", r, k, j).isEqualTo(got[0] + j);
              delivered[(int) got[j]]++;
            }
            assertThat(got[0] % BATCH).isZero();
          }
        }
        if (noPrefetch == 0) {
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
          for (TensorProtosDbInput op : ops) {
            while (op.metrics().get("records_read").longValue() < (runs + 1L) * BATCH) {
              assertThat(System.nanoTime()).as("read-ahead of %s", op).isLessThan(deadline);
              Thread.sleep(1);
            }
          }
        }
      } finally {
        Dbs.drop(type, source);
      }
      for (TensorProtosDbInput op : ops) {
        assertThat(op.metrics().get("records_read").longValue())
            .isEqualTo((long) (runs + 1 - noPrefetch) * BATCH);
      }
      // The reader handed out 180 records = 3 epochs.
      List<Integer> missingBlocks = new ArrayList<>();
      for (int block = 0; block < RECORDS / BATCH; block++) {
        int first = delivered[block * BATCH];
        for (int j = 0; j < BATCH; j++) {
          assertThat(delivered[block * BATCH + j])
              .as("record %d", block * BATCH + j)
              .isEqualTo(first);
        }
        assertThat(first).isBetween(2, 3);
        if (first == 2) {
          missingBlocks.add(block);
        }
      }
      assertThat(missingBlocks)
          .as("blocks read ahead and discarded, no_prefetch=%d", noPrefetch)
          .hasSize(noPrefetch == 1 ? 0 : 4);
    }
  }

  /**
   * Closes the workspace at seeded random moments: after some runs, or while another thread is
   * inside run(). Close must return (a producer still running after 1 s would make it throw), every
   * thread the net started must end, and the reader, the net and the backend must refuse use
   * afterwards instead of crashing.
   */
  @ParameterizedTest(name = "{0}")
  @FieldSource("BACKENDS")
  void closingWhilePrefetchersRunIsBoundedAndLeavesNoThread(String type, @TempDir Path dir)
      throws Exception {
    Random random = new Random(type.hashCode());
    String source = Dbs.indexedDb(type, dir, RECORDS);
    long slowest = 0;
    try {
      for (int round = 0; round < 6; round++) {
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        Workspace ws = Nets.RUNTIME.newWorkspace();
        ws.runNetOnce(Nets.net("init", "", Nets.createDb(type, source, "reader")));
        String name = "closing-" + type + "-" + round;
        Net net =
            ws.createNet(
                Nets.net(
                    "read",
                    round % 2 == 0 ? "dag" : "simple",
                    Nets.input(name + "a", "reader", "a", args(8, 4, 0, 2)),
                    Nets.input(name + "b", "reader", "b", args(3, 1, 0, 1))));
        DbReader reader = ws.blob("reader").get(DbReader.class);
        int runs = random.nextInt(20);
        for (int r = 0; r < runs; r++) {
          net.run();
        }
        AtomicReference<Throwable> runnerEnd = new AtomicReference<>();
        Thread runner = null;
        if (round % 3 != 0) {
          runner =
              new Thread(
                  () -> {
                    try {
                      while (true) {
                        net.run();
                      }
                    } catch (Throwable t) {
                      runnerEnd.set(t);
                    }
                  },
                  name + "-runner");
          runner.start();
          Thread.sleep(random.nextInt(30));
        }
        long start = System.nanoTime();
        ws.close(); // throws PrefetchException when a producer outlives the 1 s bound
        long took = System.nanoTime() - start;
        slowest = Math.max(slowest, took);
        assertThat(took).as("close took %d ms", took / 1_000_000).isLessThan(3_000_000_000L);
        if (runner != null) {
          runner.join(5_000);
          assertThat(runner.isAlive()).as("a run in progress when the net closed").isFalse();
          assertThat(runnerEnd.get()).isInstanceOf(CortadoException.class);
        }
        Set<Thread> left = Nets.survivors(Nets.newThreads(before), 1_000);
        assertThat(left).as("threads left after close, round %d", round).isEmpty();
        assertThatThrownBy(net::run).isInstanceOf(CortadoException.class);
        assertThatThrownBy(() -> reader.read()).isInstanceOf(DbException.class);
        assertThatThrownBy(() -> reader.readBatch(2, (k, v) -> {})).isInstanceOf(DbException.class);
      }
    } finally {
      Dbs.drop(type, source);
    }
    System.out.printf(
        "%s: slowest workspace close with running prefetchers: %d ms%n", type, slowest / 1_000_000);
  }
}
