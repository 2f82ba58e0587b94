package dev.cortado.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.cpu.input.TensorBatch;
import dev.cortado.cpu.input.TensorProtosDbInput;
import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbReader;
import dev.cortado.db.Mode;
import dev.cortado.memory.BufferPool;
import dev.cortado.memory.DirectBufferAllocator;
import dev.cortado.memory.MemoryLeakException;
import dev.cortado.net.Net;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorProvider;
import dev.cortado.operator.OperatorRegistration;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.runtime.CortadoModule;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.workspace.Workspace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Off-heap buffers and file handles come back: pools end empty, fd counts end where they began. */
@Timeout(value = 300, unit = TimeUnit.SECONDS) // a hang guard, not a timing assertion
class LeakTest {
  static final List<String> BACKENDS = Dbs.ALL;

  /**
   * 100,000 batches of tiny records through a real on-disk backend with the staged path (2 decode
   * threads, pooled staging blocks) and 4 batches of read-ahead; then everything is closed and
   * every pool must have nothing lent and nothing held. (The operator's own test does the same over
   * an in-memory DB with the direct path.)
   */
  @Test
  void aHundredThousandBatchesThenNothingOutstanding(@TempDir Path dir) {
    String source = Dbs.indexedDb("lmdb", dir, 37);
    TensorProtosDbInput op;
    long allocationsWarm;
    try (Workspace ws = Nets.RUNTIME.newWorkspace()) {
      ws.runNetOnce(Nets.net("init", "", Nets.createDb("lmdb", source, "reader")));
      Net net =
          ws.createNet(
              Nets.net(
                  "read",
                  "",
                  Nets.input(
                      "leak100k",
                      "reader",
                      "",
                      Map.of("batch_size", 2L, "prefetch_depth", 4L, "decode_threads", 2L))));
      op = (TensorProtosDbInput) net.operators().get(0);
      for (int i = 0; i < 100; i++) {
        net.run();
      }
      allocationsWarm = op.pool().allocations();
      long expected = 200;
      for (int i = 100; i < 100_000; i++) {
        net.run();
        if (i % 9973 == 0) {
          long[] got = Nets.longs(ws.blob("index").tensor());
          assertThat(got).containsExactly((2L * i) % 37, (2L * i + 1) % 37);
        }
        expected += 2;
      }
      assertThat(op.metrics().get("batches")).isEqualTo(100_000L);
      assertThat(op.pool().allocations())
          .as("allocations after warm-up")
          .isEqualTo(allocationsWarm);
      assertThat(op.pool().bytesLent()).isPositive();
    }
    assertThat(op.pool().isClosed()).isTrue();
    assertThat(op.pool().bytesLent()).isZero();
    assertThat(op.pool().buffersLent()).isZero();
    assertThat(op.pool().bytesHeld()).isZero();
  }

  /** An input operator whose consumer side takes a pooled buffer and never gives it back. */
  static final class LeakyInput extends TensorProtosDbInput {
    static final OperatorSchema SCHEMA =
        OperatorSchema.builder("LeakyTensorProtosDBInput")
            .numInputs(1)
            .outputs(1, OperatorSchema.MANY)
            .doc("Leaks one buffer per run.")
            .build();

    LeakyInput(OperatorContext ctx) {
      super(ctx, DirectBufferAllocator.INSTANCE, 0);
    }

    @Override
    protected void copyPrefetched(TensorBatch batch) {
      super.copyPrefetched(batch);
      pool().acquire(96, "LeakyInput scratch copy");
    }
  }

  @Test
  void aLeakIsReportedAtCloseNamingWhoTookTheBuffers(@TempDir Path dir) {
    OperatorProvider leaky =
        new OperatorProvider() {
          @Override
          public Collection<OperatorRegistration> operators() {
            return List.of(OperatorRegistration.cpu(LeakyInput.SCHEMA, LeakyInput::new));
          }
        };
    CortadoRuntime rt =
        CortadoRuntime.create(
            binder -> CortadoModule.operatorProviders(binder).addBinding().toInstance(leaky));
    String source = Dbs.indexedDb("minidb", dir, 10);
    Workspace ws = rt.newWorkspace();
    String previous = System.setProperty(BufferPool.TRACK_SITES_PROPERTY, "true");
    Net net;
    try {
      ws.runNetOnce(Nets.net("init", "", Nets.createDb("minidb", source, "reader")));
      net =
          ws.createNet(
              Nets.net(
                  "read",
                  "",
                  Nets.input("leaker", "reader", "", Map.of("batch_size", 4L)).toBuilder()
                      .setType("LeakyTensorProtosDBInput")
                      .build()));
    } finally {
      if (previous == null) {
        System.clearProperty(BufferPool.TRACK_SITES_PROPERTY);
      } else {
        System.setProperty(BufferPool.TRACK_SITES_PROPERTY, previous);
      }
    }
    for (int i = 0; i < 3; i++) {
      net.run();
    }
    LeakyInput op = (LeakyInput) net.operators().get(0);
    assertThat(op.pool().buffersLent()).isGreaterThanOrEqualTo(3);
    String thread = Thread.currentThread().getName();
    assertThatThrownBy(ws::close)
        .satisfies(
            e -> {
              MemoryLeakException leak = find(e);
              assertThat(leak).as("a MemoryLeakException in %s", e).isNotNull();
              assertThat(leak.getMessage())
                  .contains("'LeakyInput scratch copy' (thread " + thread + ") holds 3 buffer(s)")
                  .contains("LeakyTensorProtosDBInput");
              // With allocation-site tracking on, each leaked buffer carries the stack that took
              // it.
              assertThat(leak.getSuppressed()).hasSize(3);
              assertThat(leak.getSuppressed()[0].getStackTrace())
                  .anyMatch(
                      f ->
                          f.getMethodName().equals("copyPrefetched")
                              && f.getClassName().equals(LeakyInput.class.getName()));
            });
    // The leak report does not stop the close: the batch buffers and the reader are freed.
    assertThat(op.pool().isClosed()).isTrue();
    assertThat(op.pool().bytesLent()).isEqualTo(3 * 96);
  }

  private static MemoryLeakException find(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof MemoryLeakException m) {
        return m;
      }
      for (Throwable s : t.getSuppressed()) {
        MemoryLeakException m = find(s);
        if (m != null) {
          return m;
        }
      }
    }
    return null;
  }

  private static long openFiles() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }

  /**
   * The open file count once it is at most {@code expected}, or after a second of waiting for it: a
   * handle that the JVM itself opens or closes in the background (a jar read for a class loaded
   * late, another test's channel being finalised) must not fail the test, so fewer handles than
   * before pass, while a leak of one handle per iteration still shows as hundreds. No GC is forced,
   * so a leaked channel is not closed by a cleaner meanwhile.
   */
  private static long openFilesSettled(long expected) throws IOException, InterruptedException {
    long n = openFiles();
    for (int i = 0; i < 20 && n > expected; i++) {
      Thread.sleep(50);
      n = openFiles();
    }
    return n;
  }

  /** Open, read a record, close: 1,000 times per backend, then the same file handles as before. */
  @ParameterizedTest(name = "{0}")
  @FieldSource("BACKENDS")
  void openingAndClosingADbAThousandTimesLeavesNoFileHandle(String type, @TempDir Path dir)
      throws IOException, InterruptedException {
    String source = Dbs.indexedDb(type, dir, 5);
    try {
      for (int i = 0; i < 10; i++) { // class loading, native libraries, JIT
        cycle(type, source, i);
      }
      long before = openFiles();
      for (int i = 0; i < 1000; i++) {
        cycle(type, source, i);
      }
      assertThat(openFilesSettled(before))
          .as("open files after 1,000 opens of a %s DB", type)
          .isLessThanOrEqualTo(before);
    } finally {
      Dbs.drop(type, source);
    }
  }

  private static void cycle(String type, String source, int i) {
    if (i % 2 == 0) {
      try (Db db = Dbs.REGISTRY.open(type, source, Mode.READ);
          Cursor c = db.newCursor()) {
        c.seekToFirst();
        assertThat(c.valid()).isTrue();
        assertThat(Dbs.bytes(c.key())).isEqualTo(Dbs.key(0));
      }
    } else {
      try (DbReader reader = DbReader.open(Dbs.REGISTRY, type, source, 1, 0)) {
        assertThat(reader.read().key()).isEqualTo(Dbs.key(0));
      }
    }
  }

  /**
   * Whole pipelines: a workspace with CreateDB and a prefetching, multi-threaded input, run and
   * closed 100 times per backend, leaves no file handle and no thread behind.
   */
  @ParameterizedTest(name = "{0}")
  @FieldSource("BACKENDS")
  void pipelinesOpenedAndClosedLeaveNoFileOrThread(String type, @TempDir Path dir)
      throws Exception {
    String source = Dbs.indexedDb(type, dir, 20);
    try {
      for (int i = 0; i < 5; i++) { // class loading, native libraries, JIT
        pipeline(type, source);
      }
      Set<Thread> threadsBefore = Set.copyOf(Thread.getAllStackTraces().keySet());
      long before = openFiles();
      for (int i = 0; i < 100; i++) {
        pipeline(type, source);
      }
      assertThat(Nets.survivors(Nets.newThreads(threadsBefore), 1_000)).isEmpty();
      assertThat(openFilesSettled(before))
          .as("open files after 100 %s pipelines", type)
          .isLessThanOrEqualTo(before);
    } finally {
      Dbs.drop(type, source);
    }
  }

  private static void pipeline(String type, String source) {
    try (Workspace ws = Nets.RUNTIME.newWorkspace()) {
      ws.runNetOnce(Nets.net("init", "", Nets.createDb(type, source, "reader")));
      Net net =
          ws.createNet(
              Nets.net(
                  "read",
                  "",
                  Nets.input(
                      "pipe",
                      "reader",
                      "",
                      Map.of("batch_size", 3L, "prefetch_depth", 2L, "decode_threads", 2L))));
      net.run();
      net.run();
    }
  }
}
