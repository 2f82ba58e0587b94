package dev.cortado.cpu.input;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.TextFormat;
import dev.cortado.db.DbReader;
import dev.cortado.net.Net;
import dev.cortado.plan.PlanExecutor;
import dev.cortado.proto.Argument;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.proto.PlanDef;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Caffe2's read-ahead where users see it: a net re-created over a reader that outlives it gives the
 * same batches on every thread schedule, with producer threads and busy cores or not.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES) // a hang guard, not a timing assertion
class ReadAheadTest {
  private static final Path TESTDATA =
      Path.of(System.getProperty("cortado.testdata", "../testdata"));
  private static final Path PLAN =
      TESTDATA.resolveSibling("examples").resolve("prefetch-readahead-plan.pbtxt");
  private static final int RECORDS = 256;
  private static final int IMAGE = 28 * 28;

  @TempDir static Path copies;
  private static CortadoRuntime runtime;

  /** Every record's image and label, read inline (no prefetch thread), in minidb order. */
  private static byte[] images;

  private static int[] labels;

  @BeforeAll
  static void start() {
    runtime = CortadoRuntime.create();
    try (Workspace ws = runtime.newWorkspace()) {
      ws.runOperatorOnce(createDb("minidb", dbPath("minidb")));
      ws.runOperatorOnce(
          OperatorDef.newBuilder()
              .setType("TensorProtosDBInput")
              .addInput("r")
              .addOutput("data")
              .addOutput("label")
              .addArg(arg("batch_size", RECORDS))
              .addArg(arg("no_prefetch", 1))
              .build());
      Tensor data = ws.blob("data").tensor();
      images = new byte[RECORDS * IMAGE];
      data.data().get(0, images);
      labels = new int[RECORDS];
      ByteBuffer l = ws.blob("label").tensor().data();
      for (int i = 0; i < RECORDS; i++) {
        labels[i] = l.getInt(4 * i);
      }
    }
  }

  @AfterAll
  static void stop() {
    images = null;
  }

  static Argument arg(String name, long value) {
    return Argument.newBuilder().setName(name).setI(value).build();
  }

  static Argument arg(String name, String value) {
    return Argument.newBuilder().setName(name).setS(ByteString.copyFromUtf8(value)).build();
  }

  static OperatorDef createDb(String backend, Path path) {
    return OperatorDef.newBuilder()
        .setType("CreateDB")
        .addOutput("r")
        .addArg(arg("db_type", backend))
        .addArg(arg("db", path.toString()))
        .build();
  }

  /** The fmnist-mini DB of {@code backend}; LevelDB and RocksDB are copied (opening writes). */
  static synchronized Path dbPath(String backend) {
    Path dir = TESTDATA.resolve("fmnist-mini");
    switch (backend) {
      case "minidb":
        return dir.resolve("fmnist-mini.minidb").toAbsolutePath();
      case "lmdb":
        return dir.resolve("lmdb").toAbsolutePath();
      default:
        Path target = copies.resolve(backend);
        if (!Files.isDirectory(target)) {
          copyTree(dir.resolve(backend), target);
        }
        return target.toAbsolutePath();
    }
  }

  private static void copyTree(Path from, Path to) {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The example plan, reading {@code backend}'s copy of the DB. */
  static PlanDef plan(String backend) {
    PlanDef.Builder plan = PlanDef.newBuilder();
    try {
      TextFormat.merge(Files.readString(PLAN), plan);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    NetDef.Builder init = plan.getNetworkBuilder(0);
    assertThat(init.getOp(0).getType()).isEqualTo("CreateDB");
    init.setOp(0, createDb(backend, dbPath(backend)));
    return plan.build();
  }

  /** Asserts that {@code data} and {@code label} hold batch {@code b} of 4 (records 4b..4b+3). */
  static void assertBatch(Workspace ws, long b, String where) {
    Tensor data = ws.blob("data").tensor();
    Tensor label = ws.blob("label").tensor();
    assertThat(data.dims()).as(where).containsExactly(4, 1, 28, 28);
    byte[] got = new byte[4 * IMAGE];
    data.data().get(0, got);
    int first = (int) ((4 * b) % RECORDS);
    int[] gotLabels = new int[4];
    int[] wantLabels = new int[4];
    for (int j = 0; j < 4; j++) {
      gotLabels[j] = label.data().getInt(4 * j);
      wantLabels[j] = labels[(first + j) % RECORDS];
    }
    byte[] want = new byte[4 * IMAGE];
    for (int j = 0; j < 4; j++) {
      System.arraycopy(images, ((first + j) % RECORDS) * IMAGE, want, j * IMAGE, IMAGE);
    }
    assertThat(gotLabels).as("labels of batch %d, %s", b, where).containsExactly(wantLabels);
    assertThat(got)
        .as("images of batch %d (records %d-%d), %s", b, 4 * b, 4 * b + 3, where)
        .isEqualTo(want);
  }

  /** A thread that keeps one core busy until closed. */
  static final class Hog implements AutoCloseable {
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;

    Hog() {
      thread =
          new Thread(
              () -> {
                long x = 0;
                while (!stop.get()) {
                  x += System.nanoTime() & 1;
                }
                if (x == 42) {
                  Thread.yield();
                }
              },
              "cpu-hog");
      thread.setDaemon(true);
      thread.start();
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      thread.join();
    }
  }

  /**
   * The plan of examples/prefetch-readahead-plan.pbtxt, 200 times, half of them beside a thread
   * that keeps a core busy: each execution of the child net consumes 2 batches and 1 read ahead, so
   * it always ends on batch 7 (records 28-31), as in Caffe2.
   */
  @Test
  void thePlanEndsOnBatch7OnEveryRun() throws Exception {
    PlanDef plan = plan("minidb");
    for (int run = 0; run < 200; run++) {
      try (Hog hog = run % 2 == 1 ? new Hog() : null;
          Workspace ws = runtime.newWorkspace()) {
        PlanExecutor.run(plan, ws);
        assertBatch(ws, 7, "run " + run + (hog != null ? " beside a busy core" : ""));
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"minidb", "lmdb", "leveldb", "rocksdb"})
  void thePlanEndsOnBatch7OnEveryBackend(String backend) {
    try (Workspace ws = runtime.newWorkspace()) {
      PlanExecutor.run(plan(backend), ws);
      assertBatch(ws, 7, backend);
    }
  }

  /**
   * At the operator level, for every depth, decode thread count and backend: a net that runs k
   * times over a shared reader and is then closed leaves the reader exactly k + depth batches
   * further on, on every schedule (0, 1 or 2 busy cores beside it).
   */
  @ParameterizedTest
  @ValueSource(strings = {"minidb", "lmdb", "leveldb", "rocksdb"})
  void readAheadAtCloseIsExactForEveryDepthAndDecodeThreadCount(String backend) throws Exception {
    for (int depth : new int[] {1, 4}) {
      for (int threads : new int[] {1, 4}) {
        try (Workspace root = runtime.newWorkspace()) {
          root.runOperatorOnce(createDb(backend, dbPath(backend)));
          long position = 0; // batches the reader has given out
          for (int round = 0; round < 24; round++) {
            int runs = 1 + round % 3;
            int hogs = round % 3 == 0 ? 0 : round % 3 == 1 ? 1 : 2;
            String where =
                backend
                    + ", depth "
                    + depth
                    + ", "
                    + threads
                    + " decode threads, round "
                    + round
                    + ", "
                    + hogs
                    + " busy cores";
            try (Hog h1 = hogs >= 1 ? new Hog() : null;
                Hog h2 = hogs >= 2 ? new Hog() : null;
                Workspace child = root.createChild()) {
              Net net =
                  child.createNet(
                      NetDef.newBuilder()
                          .setName("read")
                          .addOp(
                              OperatorDef.newBuilder()
                                  .setType("TensorProtosDBInput")
                                  .addInput("r")
                                  .addOutput("data")
                                  .addOutput("label")
                                  .addArg(arg("batch_size", 4))
                                  .addArg(arg("prefetch_depth", depth))
                                  .addArg(arg("decode_threads", threads)))
                          .build());
              for (int k = 0; k < runs; k++) {
                net.run();
                assertBatch(child, position + k, where + ", run " + k);
              }
            }
            position += runs + depth;
            // The next batch, read inline, shows where the closed operator left the reader.
            try (Workspace check = root.createChild()) {
              check.runOperatorOnce(
                  OperatorDef.newBuilder()
                      .setType("TensorProtosDBInput")
                      .addInput("r")
                      .addOutput("data")
                      .addOutput("label")
                      .addArg(arg("batch_size", 4))
                      .addArg(arg("no_prefetch", 1))
                      .build());
              assertBatch(check, position, where + ", after close");
            }
            position++;
          }
        }
      }
    }
  }

  /** The reader a closed operator leaves behind is usable; with no_prefetch nothing is ahead. */
  @Test
  void noPrefetchReadsNothingAhead() {
    try (Workspace root = runtime.newWorkspace()) {
      root.runOperatorOnce(createDb("minidb", dbPath("minidb")));
      DbReader reader = root.blob("r").get(DbReader.class);
      assertThat(reader).isNotNull();
      for (int round = 0; round < 3; round++) {
        try (Workspace child = root.createChild()) {
          Net net =
              child.createNet(
                  NetDef.newBuilder()
                      .setName("read")
                      .addOp(
                          OperatorDef.newBuilder()
                              .setType("TensorProtosDBInput")
                              .addInput("r")
                              .addOutput("data")
                              .addOutput("label")
                              .addArg(arg("batch_size", 4))
                              .addArg(arg("no_prefetch", 1)))
                      .build());
          net.run();
          net.run();
          assertBatch(child, 2L * round + 1, "round " + round);
        }
      }
    }
  }
}
