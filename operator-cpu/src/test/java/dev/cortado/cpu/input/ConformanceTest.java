package dev.cortado.cpu.input;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.cortado.net.Net;
import dev.cortado.proto.Argument;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorDigest;
import dev.cortado.workspace.Workspace;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * CreateDB + TensorProtosDBInput through nets against the shared test vectors: every batch hash of
 * every expectations.json, and every bad-inputs case, for every backend on the test classpath, with
 * prefetch at depth 1 and 4 and off, and 1 and 4 decode threads.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES) // a hang guard, not a timing assertion
class ConformanceTest {
  private static final Path TESTDATA =
      Path.of(System.getProperty("cortado.testdata", "../../testdata"));
  private static final List<String> DATASETS =
      List.of("fmnist-mini", "all-dtypes", "wire-variants", "key-order");

  /** Backends whose fixture directories are written to when opened, so tests read a copy. */
  private static final Set<String> COPY_FIRST = Set.of("leveldb", "rocksdb");

  /** Prefetch depth (0 = no_prefetch) and decode threads. */
  record Mode(int depth, int threads) {
    Argument[] args() {
      return new Argument[] {
        arg("no_prefetch", depth == 0 ? 1 : 0),
        arg("prefetch_depth", Math.max(depth, 1)),
        arg("decode_threads", threads)
      };
    }

    @Override
    public String toString() {
      return (depth == 0 ? "no_prefetch" : "depth " + depth) + ", " + threads + " decode threads";
    }
  }

  private static final List<Mode> MODES =
      List.of(
          new Mode(1, 1),
          new Mode(4, 1),
          new Mode(0, 1),
          new Mode(1, 4),
          new Mode(4, 4),
          new Mode(0, 4));

  @TempDir static Path copies;
  private static CortadoRuntime runtime;
  private static final Map<Path, Path> copied = new HashMap<>();

  @BeforeAll
  static void start() {
    runtime = CortadoRuntime.create();
  }

  @AfterAll
  static void forget() {
    copied.clear();
  }

  static Argument arg(String name, long value) {
    return Argument.newBuilder().setName(name).setI(value).build();
  }

  static Argument arg(String name, String value) {
    return Argument.newBuilder()
        .setName(name)
        .setS(com.google.protobuf.ByteString.copyFromUtf8(value))
        .build();
  }

  private static JsonObject json(Path file) {
    try (Reader r = Files.newBufferedReader(file)) {
      return JsonParser.parseReader(r).getAsJsonObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean available(String backend) {
    return runtime.dbs().find(backend).isPresent();
  }

  /** The path CreateDB opens: LevelDB/RocksDB directories are copied once to a temp dir. */
  private static synchronized Path dbPath(Path fixture, String backend) {
    if (!COPY_FIRST.contains(backend)) {
      return fixture;
    }
    return copied.computeIfAbsent(
        fixture,
        f -> {
          Path target = copies.resolve(TESTDATA.relativize(f).toString().replace('/', '_'));
          try (Stream<Path> files = Files.walk(f)) {
            for (Path p : (Iterable<Path>) files::iterator) {
              Path to = target.resolve(f.relativize(p).toString());
              if (Files.isDirectory(p)) {
                Files.createDirectories(to);
              } else {
                Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
              }
            }
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          return target;
        });
  }

  /** A workspace with the init net already run and a read net built. */
  private static final class Pipeline implements AutoCloseable {
    final Workspace ws = runtime.newWorkspace();
    final Net read;
    final int outputs;

    Pipeline(
        Path db, String backend, int outputs, int batchSize, int shards, int shard, Mode mode) {
      this.outputs = outputs;
      OperatorDef.Builder create =
          OperatorDef.newBuilder()
              .setType("CreateDB")
              .addOutput("dbreader")
              .addArg(arg("db", db.toString()))
              .addArg(arg("db_type", backend));
      if (shards != 1) {
        create.addArg(arg("num_shards", shards)).addArg(arg("shard_id", shard));
      }
      try {
        ws.runNetOnce(NetDef.newBuilder().setName("init").addOp(create).build());
        OperatorDef.Builder input =
            OperatorDef.newBuilder()
                .setType("TensorProtosDBInput")
                .addInput("dbreader")
                .addArg(arg("batch_size", batchSize));
        for (Argument a : mode.args()) {
          input.addArg(a);
        }
        for (int i = 0; i < outputs; i++) {
          input.addOutput("out" + i);
        }
        read = ws.createNet(NetDef.newBuilder().setName("read").addOp(input).build());
      } catch (RuntimeException e) {
        ws.close();
        throw e;
      }
    }

    void checkBatch(JsonObject expected, String where) {
      JsonArray outs = expected.getAsJsonArray("outputs");
      assertThat(outs.size()).isEqualTo(outputs);
      for (int i = 0; i < outputs; i++) {
        JsonObject o = outs.get(i).getAsJsonObject();
        Tensor t = ws.blob("out" + i).tensor();
        List<Long> shape = new ArrayList<>();
        for (JsonElement d : o.getAsJsonArray("shape")) {
          shape.add(d.getAsLong());
        }
        assertThat(t.dataType().name())
            .as("%s output %d dtype", where, i)
            .isEqualTo(o.get("dtype").getAsString());
        assertThat(t.dims())
            .as("%s output %d shape", where, i)
            .containsExactly(shape.stream().mapToLong(Long::longValue).toArray());
        assertThat(TensorDigest.sha256Hex(t))
            .as("%s output %d sha256", where, i)
            .isEqualTo(o.get("sha256").getAsString());
      }
    }

    @Override
    public void close() {
      ws.close();
    }
  }

  @TestFactory
  Stream<DynamicTest> everyBatchOfEveryDatasetAndBackend() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String dataset : DATASETS) {
      Path dir = TESTDATA.resolve(dataset);
      JsonObject e = json(dir.resolve("expectations.json"));
      int outputs = e.getAsJsonArray("outputs").size();
      for (JsonElement g : e.getAsJsonArray("groups")) {
        JsonObject group = g.getAsJsonObject();
        for (JsonElement d : group.getAsJsonArray("dbs")) {
          String backend = d.getAsJsonObject().get("backend").getAsString();
          Path fixture = dir.resolve(d.getAsJsonObject().get("path").getAsString());
          for (JsonElement r : group.getAsJsonArray("runs")) {
            JsonObject run = r.getAsJsonObject();
            int batch = run.get("batch_size").getAsInt();
            int shards = run.get("num_shards").getAsInt();
            int shard = run.get("shard_id").getAsInt();
            for (Mode mode : MODES) {
              String name =
                  dataset + " " + backend + " batch " + batch + " shard " + shard + "/" + shards
                      + ", " + mode;
              tests.add(
                  dynamicTest(
                      name,
                      () -> {
                        org.junit.jupiter.api.Assumptions.assumeTrue(
                            available(backend),
                            "backend " + backend + " is not on the test classpath");
                        try (Pipeline p =
                            new Pipeline(
                                dbPath(fixture, backend),
                                backend,
                                outputs,
                                batch,
                                shards,
                                shard,
                                mode)) {
                          JsonArray batches = run.getAsJsonArray("batches");
                          assertThat(batches.size()).isEqualTo(run.get("num_batches").getAsInt());
                          for (int b = 0; b < batches.size(); b++) {
                            p.read.run();
                            p.checkBatch(batches.get(b).getAsJsonObject(), name + " batch " + b);
                          }
                        }
                      }));
            }
          }
        }
      }
    }
    return tests.stream();
  }

  private static Throwable rootCause(Throwable t) {
    Throwable r = t;
    while (r.getCause() != null) {
      r = r.getCause();
    }
    return r;
  }

  @TestFactory
  Stream<DynamicTest> everyBadInputFailsClearlyAfterTheGoodBatches() {
    Path dir = TESTDATA.resolve("bad-inputs");
    JsonObject manifest = json(dir.resolve("manifest.json"));
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonElement c : manifest.getAsJsonArray("cases")) {
      JsonObject kase = c.getAsJsonObject();
      String caseName = kase.get("case").getAsString();
      List<String> tokens = new ArrayList<>();
      kase.getAsJsonArray("error_must_contain_any_of").forEach(t -> tokens.add(t.getAsString()));
      JsonArray before = kase.getAsJsonArray("batch_size_1_batches_before_error");
      for (JsonElement d : kase.getAsJsonArray("dbs")) {
        String backend = d.getAsJsonObject().get("backend").getAsString();
        Path fixture = dir.resolve(d.getAsJsonObject().get("path").getAsString());
        for (Mode mode : MODES) {
          String name = caseName + " " + backend + ", " + mode;
          tests.add(
              dynamicTest(
                  name,
                  () -> {
                    org.junit.jupiter.api.Assumptions.assumeTrue(
                        available(backend), "backend " + backend + " is not on the test classpath");
                    Throwable failure = null;
                    Pipeline p = null;
                    try {
                      p = new Pipeline(dbPath(fixture, backend), backend, 3, 1, 1, 0, mode);
                    } catch (RuntimeException opening) {
                      // Only an empty DB may fail this early (CreateDB cannot open it).
                      assertThat(before.size())
                          .as("%s failed before any batch: %s", name, opening)
                          .isZero();
                      failure = opening;
                    }
                    if (p != null) {
                      try (Pipeline pipeline = p) {
                        for (int b = 0; b < before.size(); b++) {
                          pipeline.read.run();
                          pipeline.checkBatch(
                              before.get(b).getAsJsonObject(), name + " batch " + b);
                        }
                        Throwable first = catchThrowable(pipeline.read::run);
                        assertThat(first)
                            .as("%s: the run after the good batches", name)
                            .isNotNull();
                        // The failure is sticky: the next run fails at once with the same cause.
                        Throwable second = catchThrowable(pipeline.read::run);
                        assertThat(second).isNotNull();
                        assertThat(rootCause(second)).isSameAs(rootCause(first));
                        failure = first;
                      }
                    }
                    assertThat(failure).as("%s must fail", name).isNotNull();
                    assertThat(failure).isNotInstanceOf(OutOfMemoryError.class);
                    String message = String.valueOf(failure.getMessage());
                    assertThat(message).as("one line").doesNotContain("\n");
                    if (tokens.isEmpty()) {
                      assertThat(message).containsIgnoringCase("empty");
                    } else {
                      assertThat(tokens).as("tokens in: %s", message).anyMatch(message::contains);
                    }
                  }));
        }
      }
    }
    return tests.stream();
  }
}
