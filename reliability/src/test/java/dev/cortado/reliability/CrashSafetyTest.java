package dev.cortado.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.cli.Main;
import dev.cortado.db.Db;
import dev.cortado.db.Mode;
import dev.cortado.db.minidb.MiniDb;
import dev.cortado.db.minidb.MiniDbFormatException;
import dev.cortado.reliability.Dbs.Rec;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Crash-safe writes: {@code cortado convert-db}, {@code make-mnist-db} and a {@code run-net} whose
 * net is a {@code Save} (and, for minidb, a convert-db of records larger than its write buffer) run
 * as child JVMs and are killed with SIGKILL ({@link Process#destroyForcibly()}) at seeded random
 * moments while they write. Outputs are atomic: the output itself must not exist after a kill, only
 * its {@code <out>.partial-<pid>} sibling; that must open, hold a prefix of whole records of what
 * the writer was writing (for the transactional backends: a prefix ending at a commit), and every
 * record must be byte-identical to the source. The next run of the same command removes the partial
 * output, says so, and writes the whole DB.
 *
 * <p>minidb has no transactions: a kill can leave a torn last record. Reading reports it ({@link
 * MiniDbFormatException#tornTail()}) after every whole record, and {@link
 * MiniDb#truncateToRecoverable(Path)} cuts the file back to the whole-record prefix, which then
 * reads cleanly; that path is checked whenever a kill tears the tail.
 *
 * <p>{@code cortado.crash.kills} kills mid-write per writer and backend (a kill that lands after
 * the output is renamed into place checks the whole DB and does not count; 1 in the default build,
 * so 3 per backend, 4 for minidb; 20 with {@code -Pcrash}); {@code cortado.crash.seed} seeds the
 * moments.
 */
@Timeout(value = 30, unit = TimeUnit.MINUTES) // a hang guard for -Pcrash, not a timing assertion
class CrashSafetyTest {
  private static final int KILLS = Integer.getInteger("cortado.crash.kills", 1);
  private static final long SEED = Long.getLong("cortado.crash.seed", 20261125L);

  /** Only the cases whose "backend writer" name contains this (for example "minidb convert-db"). */
  private static final String ONLY = System.getProperty("cortado.crash.only", "");

  private static final List<String> CHILD_OPTIONS =
      List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  private static final int CONVERT_RECORDS = 30_000;
  private static final int CONVERT_BATCH = 100;
  private static final int LARGE_RECORDS = 24;

  /** One commit at the end: the writer spends its time in write calls, where a kill can cut one. */
  private static final int LARGE_BATCH = 1000;

  private static final int MNIST_IMAGES = 20_000;
  private static final int MNIST_COMMIT = 1000;
  private static final int SAVE_ELEMENTS = 300_000;
  private static final int SAVE_CHUNK = 100;

  @TempDir static Path data;
  private static Path convertSource;
  private static List<Rec> convertRecords;
  private static Path largeSource;
  private static List<Rec> largeRecords;
  private static Path images;
  private static Path labels;
  private static List<Rec> mnistRecords;
  private static Path saveInit;
  private static Path saveNet;
  private static List<Rec> saveRecords;
  private static final Map<String, String> SUMMARY = new LinkedHashMap<>();

  enum Writer {
    CONVERT_DB("convert-db"),
    /**
     * convert-db of records of 1..4 MiB, larger than minidb's 64 KiB write buffer: only such a
     * record goes to the file in a write call that a kill can cut short (smaller ones reach it
     * whole from the buffer), so only this writer can tear a minidb tail.
     */
    CONVERT_DB_LARGE("convert-db (large records)"),
    MAKE_MNIST_DB("make-mnist-db"),
    SAVE("run-net Save");

    final String label;

    Writer(String label) {
      this.label = label;
    }
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String type : Dbs.ON_DISK) {
      for (Writer w : Writer.values()) {
        boolean wanted = ONLY.isEmpty() || (type + " " + w.label).contains(ONLY);
        if (wanted && (w != Writer.CONVERT_DB_LARGE || type.equals("minidb"))) {
          out.add(Arguments.of(type, w));
        }
      }
    }
    return out.stream();
  }

  @BeforeAll
  static void sources() throws IOException {
    Random r = new Random(SEED);
    convertRecords = new ArrayList<>();
    for (int i = 0; i < CONVERT_RECORDS; i++) {
      byte[] value = new byte[64 + r.nextInt(400)];
      r.nextBytes(value);
      convertRecords.add(new Rec(Dbs.key(i), value));
    }
    convertSource = data.resolve("convert-source.minidb");
    Dbs.write("minidb", convertSource.toString(), convertRecords);

    largeRecords = new ArrayList<>();
    for (int i = 0; i < LARGE_RECORDS; i++) {
      byte[] value = new byte[(1 << 20) + r.nextInt(3 << 20)];
      r.nextBytes(value);
      largeRecords.add(new Rec(Dbs.key(i), value));
    }
    largeSource = data.resolve("large-source.minidb");
    Dbs.write("minidb", largeSource.toString(), largeRecords);

    images = data.resolve("images-idx3-ubyte");
    labels = data.resolve("labels-idx1-ubyte");
    try (DataOutputStream img = new DataOutputStream(Files.newOutputStream(images));
        DataOutputStream lab = new DataOutputStream(Files.newOutputStream(labels))) {
      img.writeInt(2051);
      img.writeInt(MNIST_IMAGES);
      img.writeInt(28);
      img.writeInt(28);
      lab.writeInt(2049);
      lab.writeInt(MNIST_IMAGES);
      byte[] pixels = new byte[28 * 28];
      for (int i = 0; i < MNIST_IMAGES; i++) {
        r.nextBytes(pixels);
        img.write(pixels);
        lab.write(r.nextInt(10));
      }
    }
    Path mnistRef = data.resolve("mnist-ref.minidb");
    cortadoInProcess(
        "make-mnist-db",
        "--image-file",
        images.toString(),
        "--label-file",
        labels.toString(),
        "--output-file",
        mnistRef.toString(),
        "--db-type",
        "minidb",
        "--channel-first");
    mnistRecords = Dbs.readAll("minidb", mnistRef.toString());
    assertThat(mnistRecords).hasSize(MNIST_IMAGES);

    saveInit = data.resolve("save-init.pbtxt");
    Files.writeString(
        saveInit,
        "name: \"init\"\n"
            + "op { type: \"ConstantFill\" output: \"w\" arg { name: \"shape\" ints: "
            + SAVE_ELEMENTS
            + " } arg { name: \"value\" f: 0.25 } }\n"
            + "op { type: \"ConstantFill\" output: \"b\" arg { name: \"shape\" ints: 1000 }"
            + " arg { name: \"value\" i: 7 } arg { name: \"dtype\" i: 10 } }\n");
    saveNet = data.resolve("save-net.pbtxt");
    Files.writeString(
        saveNet,
        "name: \"save\"\nexternal_input: \"w\"\nexternal_input: \"b\"\n"
            + "op { type: \"Save\" input: \"w\" input: \"b\" arg { name: \"db\" s: \"placeholder\" }"
            + " arg { name: \"db_type\" s: \"minidb\" } arg { name: \"absolute_path\" i: 1 }"
            + " arg { name: \"chunk_size\" i: "
            + SAVE_CHUNK
            + " } }\n");
    Path saveRef = data.resolve("save-ref.minidb");
    cortadoInProcess(
        "run-net",
        "--init",
        saveInit.toString(),
        "--net",
        saveNet.toString(),
        "--set",
        "db=" + saveRef,
        "--set",
        "db_type=minidb");
    saveRecords = Dbs.readAll("minidb", saveRef.toString());
    assertThat(saveRecords).hasSize(SAVE_ELEMENTS / SAVE_CHUNK + 1000 / SAVE_CHUNK);
  }

  /** Runs the CLI in this JVM; returns its stderr and what operators (Save) wrote to System.err. */
  private static String cortadoInProcess(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    java.io.PrintStream systemErr = System.err;
    java.io.ByteArrayOutputStream operators = new java.io.ByteArrayOutputStream();
    int exit;
    System.setErr(
        new java.io.PrintStream(operators, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      exit = Main.run(new PrintWriter(out), new PrintWriter(err), args);
    } finally {
      System.setErr(systemErr);
    }
    assertThat(exit).as("cortado %s: %s", Arrays.toString(args), err).isZero();
    return err + operators.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  @AfterAll
  static void report() throws IOException {
    StringBuilder sb = new StringBuilder();
    SUMMARY.forEach((k, v) -> sb.append(k).append(": ").append(v).append('\n'));
    System.out.print(sb);
    Path target = Path.of("target");
    if (Files.isDirectory(target)) {
      Files.writeString(
          target.resolve("crash-summary.txt"),
          "seed " + SEED + ", " + KILLS + " kills mid-write per writer and backend\n" + sb);
    }
  }

  /** Where the writer has created the DB far enough that an open would find it. */
  private static Path marker(String type, Path db) {
    return switch (type) {
      case "minidb" -> db;
      case "lmdb" -> db.resolve("data.mdb");
      default -> db.resolve("CURRENT");
    };
  }

  private static String[] args(Writer w, String type, Path db) {
    return switch (w) {
      case CONVERT_DB ->
          new String[] {
            "convert-db",
            "--input-db",
            convertSource.toString(),
            "--input-db-type",
            "minidb",
            "--output-db",
            db.toString(),
            "--output-db-type",
            type,
            "--batch-size",
            String.valueOf(CONVERT_BATCH)
          };
      case CONVERT_DB_LARGE ->
          new String[] {
            "convert-db",
            "--input-db",
            largeSource.toString(),
            "--input-db-type",
            "minidb",
            "--output-db",
            db.toString(),
            "--output-db-type",
            type,
            "--batch-size",
            String.valueOf(LARGE_BATCH)
          };
      case MAKE_MNIST_DB ->
          new String[] {
            "make-mnist-db",
            "--image-file",
            images.toString(),
            "--label-file",
            labels.toString(),
            "--output-file",
            db.toString(),
            "--db-type",
            type,
            "--channel-first"
          };
      case SAVE ->
          new String[] {
            "run-net",
            "--init",
            saveInit.toString(),
            "--net",
            saveNet.toString(),
            "--set",
            "db=" + db,
            "--set",
            "db_type=" + type
          };
    };
  }

  private static List<Rec> reference(Writer w) {
    return switch (w) {
      case CONVERT_DB -> convertRecords;
      case CONVERT_DB_LARGE -> largeRecords;
      case MAKE_MNIST_DB -> mnistRecords;
      case SAVE -> saveRecords;
    };
  }

  /** Records per commit of a transactional backend's writer; 1 = every record is a commit. */
  private static int commitEvery(Writer w) {
    return switch (w) {
      case CONVERT_DB -> CONVERT_BATCH;
      case CONVERT_DB_LARGE -> LARGE_BATCH;
      case MAKE_MNIST_DB -> MNIST_COMMIT;
      case SAVE -> 1;
    };
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void aKilledWriterLeavesAPrefixOfWholeRecords(String type, Writer writer, @TempDir Path dir)
      throws Exception {
    Random random = new Random(SEED ^ (type.hashCode() * 31L + writer.ordinal()));
    List<Rec> ref = reference(writer);
    // How long after the marker appears the writer may still run; learned from runs that ended
    // before their kill, so later kills land inside the write.
    long windowMs = 3000;
    int kills = 0;
    int finished = 0;
    int torn = 0;
    int minKept = Integer.MAX_VALUE;
    int maxKept = -1;
    for (int attempt = 0; kills < KILLS; attempt++) {
      assertThat(attempt)
          .as("attempts to kill %s %s mid-write", writer, type)
          .isLessThan(4 * KILLS + 4);
      Path db = dir.resolve("out-" + attempt + (type.equals("minidb") ? ".minidb" : ""));
      Path log = dir.resolve("child-" + attempt + ".log");
      Process child = ChildJvm.cortado(log, CHILD_OPTIONS, args(writer, type, db));
      Path partial = Path.of(db + ".partial-" + child.pid());
      Path marker = marker(type, partial);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!Files.exists(marker) && child.isAlive()) {
        assertThat(System.nanoTime()).as("%s never appeared", marker).isLessThan(deadline);
        Thread.sleep(2);
      }
      long markerAt = System.nanoTime();
      long delay = (long) (random.nextDouble() * windowMs);
      boolean exited = child.waitFor(delay, TimeUnit.MILLISECONDS);
      if (exited) {
        // It finished first: the whole DB must be there; shrink the window to the real write time.
        assertThat(child.exitValue())
            .as("exit of %s; log:%n%s", writer, Files.readString(log))
            .isZero();
        windowMs = Math.max(20, (System.nanoTime() - markerAt) / 1_000_000);
        finished++;
        Check c = check(type, writer, db, ref);
        assertThat(c.kept).as("records of a finished %s", writer).isEqualTo(ref.size());
        Dbs.deleteTree(db);
        continue;
      }
      child.destroyForcibly(); // SIGKILL
      assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
      if (!Files.exists(partial) && Files.exists(db)) {
        // Killed after the rename: the whole DB is in place. Not a kill mid-write: the next
        // attempt kills sooner.
        assertThat(check(type, writer, db, ref).kept).isEqualTo(ref.size());
        windowMs = Math.max(20, delay);
        finished++;
        Dbs.deleteTree(db);
        continue;
      }
      kills++;
      assertThat(db).as("the output of a killed %s", writer).doesNotExist();
      Check c = check(type, writer, partial, ref);
      torn += c.torn ? 1 : 0;
      minKept = Math.min(minKept, c.kept);
      maxKept = Math.max(maxKept, c.kept);
      if (kills == 1) {
        // The next run removes the partial output and names it.
        String err = cortadoInProcess(args(writer, type, db));
        assertThat(err).contains("removed " + partial, "process " + child.pid());
        assertThat(partial).doesNotExist();
        assertThat(Dbs.readAll(type, db.toString())).hasSize(ref.size());
      }
      Dbs.deleteTree(partial);
      Dbs.deleteTree(db);
    }
    SUMMARY.put(
        type + " " + writer.label,
        kills
            + " kills mid-write, all prefixes intact (records kept "
            + minKept
            + ".."
            + maxKept
            + " of "
            + ref.size()
            + "; "
            + torn
            + " torn minidb tails truncated; "
            + finished
            + " runs finished before their kill)");
  }

  private record Check(int kept, boolean torn) {}

  /** Opens the DB and checks it holds a committed prefix of {@code ref}, byte for byte. */
  private static Check check(String type, Writer writer, Path db, List<Rec> ref)
      throws IOException {
    boolean torn = false;
    List<Rec> got;
    if (type.equals("minidb")) {
      try {
        got = Dbs.readAll(type, db.toString());
      } catch (MiniDbFormatException e) {
        assertThat(e.tornTail()).as("a kill can only tear the tail: %s", e.getMessage()).isTrue();
        long before = Files.size(db);
        long keep = MiniDb.recoverableLength(db);
        assertThat(MiniDb.truncateToRecoverable(db)).isEqualTo(before - keep).isPositive();
        torn = true;
        got = Dbs.readAll(type, db.toString());
        // Appending works again after the repair.
        try (Db again = MiniDb.open(db, Mode.WRITE)) {
          assertThat(again.type()).isEqualTo("minidb");
        }
      }
    } else {
      got = Dbs.readAll(type, db.toString());
    }
    int k = got.size();
    assertThat(k).isLessThanOrEqualTo(ref.size());
    if (writer == Writer.SAVE && !type.equals("minidb")) {
      // Save writes chunk keys "w#%0", "w#%1", ..., "w#%10": a sorted backend lists them in a
      // different order, so compare as a set: exactly the first k records written.
      Map<String, Rec> written = new HashMap<>();
      for (Rec r : ref.subList(0, k)) {
        written.put(r.keyString(), r);
      }
      for (Rec r : got) {
        Rec want = written.get(r.keyString());
        assertThat(want)
            .as(
                "%s holds %s, which is not among the first %d records written",
                db, r.keyString(), k)
            .isNotNull();
        assertThat(r.sameAs(want)).as("record %s differs from the source", r.keyString()).isTrue();
      }
    } else {
      for (int i = 0; i < k; i++) {
        Rec r = got.get(i);
        if (!r.sameAs(ref.get(i))) {
          throw new AssertionError(
              db
                  + ": record "
                  + i
                  + " ("
                  + r.keyString()
                  + ", "
                  + r.value().length
                  + " bytes) is not the source's "
                  + ref.get(i).keyString()
                  + " ("
                  + ref.get(i).value().length
                  + " bytes)");
        }
      }
    }
    if (!type.equals("minidb")) {
      int every = commitEvery(writer);
      assertThat(k % every == 0 || k == ref.size())
          .as("%s kept %d records: not a commit boundary (every %d)", type, k, every)
          .isTrue();
    }
    return new Check(k, torn);
  }
}
