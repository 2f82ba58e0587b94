package dev.cortado.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.reliability.Dbs.Rec;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Ctrl-C never leaves a half-written DB: every writing command ({@code make-mnist-db}, {@code
 * convert-db}, {@code split-db}, and {@code run-net} with a {@code Save}) on every on-disk backend
 * runs as a child JVM and gets SIGINT at a seeded random moment while it writes. Then it has either
 * finished (exit 0, the whole output) or exited 130 with no output and no partial file left, saying
 * what it removed; when an old output was being replaced (--overwrite), the old one is
 * byte-identical.
 *
 * <p>{@code cortado.crash.interrupts} runs per command and backend (1 in the default build, 10 with
 * {@code -Pcrash}); {@code cortado.crash.seed} seeds the moments.
 */
@Timeout(value = 30, unit = TimeUnit.MINUTES) // a hang guard for -Pcrash, not a timing assertion
class InterruptTest {
  private static final int RUNS = Integer.getInteger("cortado.crash.interrupts", 1);
  private static final long SEED = Long.getLong("cortado.crash.seed", 20261125L);
  private static final List<String> CHILD_OPTIONS =
      List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
  private static final int RECORDS = 30_000;
  private static final int MNIST_IMAGES = 20_000;
  private static final int SAVE_ELEMENTS = 300_000;

  @TempDir static Path data;
  private static Path source;
  private static Path images;
  private static Path labels;
  private static Path saveInit;
  private static Path saveNet;

  enum Command {
    CONVERT_DB,
    MAKE_MNIST_DB,
    SPLIT_DB,
    SAVE
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String type : Dbs.ON_DISK) {
      for (Command c : Command.values()) {
        out.add(Arguments.of(type, c));
      }
    }
    return out.stream();
  }

  @BeforeAll
  static void sources() throws IOException {
    Random r = new Random(SEED);
    List<Rec> records = new ArrayList<>();
    for (int i = 0; i < RECORDS; i++) {
      byte[] value = new byte[64 + r.nextInt(400)];
      r.nextBytes(value);
      records.add(new Rec(Dbs.key(i), value));
    }
    source = data.resolve("source.minidb");
    Dbs.write("minidb", source.toString(), records);
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
    saveInit = data.resolve("save-init.pbtxt");
    Files.writeString(
        saveInit,
        "name: \"init\"\n"
            + "op { type: \"ConstantFill\" output: \"w\" arg { name: \"shape\" ints: "
            + SAVE_ELEMENTS
            + " } arg { name: \"value\" f: 0.25 } }\n");
    saveNet = data.resolve("save-net.pbtxt");
    Files.writeString(
        saveNet,
        "name: \"save\"\nexternal_input: \"w\"\n"
            + "op { type: \"Save\" input: \"w\" arg { name: \"db\" s: \"placeholder\" }"
            + " arg { name: \"db_type\" s: \"minidb\" } arg { name: \"absolute_path\" i: 1 }"
            + " arg { name: \"chunk_size\" i: 100 } }\n");
  }

  private static List<String> args(Command c, String type, Path out, boolean overwrite) {
    List<String> a =
        new ArrayList<>(
            switch (c) {
              case CONVERT_DB ->
                  List.of(
                      "convert-db",
                      "--db",
                      source.toString(),
                      "--out",
                      out.toString(),
                      "--out-type",
                      type,
                      "--commit-every",
                      "100");
              case MAKE_MNIST_DB ->
                  List.of(
                      "make-mnist-db",
                      "--image-file",
                      images.toString(),
                      "--label-file",
                      labels.toString(),
                      "--out",
                      out.toString(),
                      "--out-type",
                      type);
              case SPLIT_DB ->
                  List.of(
                      "split-db",
                      "--db",
                      source.toString(),
                      "--splits",
                      "2",
                      "--out",
                      out.toString(),
                      "--out-type",
                      type,
                      "--commit-every",
                      "100");
              case SAVE ->
                  List.of(
                      "run-net",
                      "--init",
                      saveInit.toString(),
                      "--net",
                      saveNet.toString(),
                      "--set",
                      "db=" + out,
                      "--set",
                      "db_type=" + type);
            });
    if (overwrite) {
      a.add("--overwrite");
    }
    return a;
  }

  /** The outputs a command writes for {@code out}. */
  private static List<Path> outputs(Command c, Path out) {
    return c == Command.SPLIT_DB
        ? List.of(Path.of(out + "_split_0"), Path.of(out + "_split_1"))
        : List.of(out);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void sigintLeavesNoOutputAndNoPartialFile(String type, Command command, @TempDir Path dir)
      throws Exception {
    Random random = new Random(SEED ^ (type.hashCode() * 31L + command.ordinal()));
    long windowMs = 2000;
    int interrupted = 0;
    for (int attempt = 0; interrupted < RUNS; attempt++) {
      assertThat(attempt)
          .as("attempts to interrupt %s %s mid-write", command, type)
          .isLessThan(4 * RUNS + 4);
      Path out = dir.resolve("out-" + attempt);
      // Every other run replaces an old output, which must survive the interrupt unchanged.
      boolean replace = attempt % 2 == 1;
      List<String> old = new ArrayList<>();
      if (replace) {
        for (Path o : outputs(command, out)) {
          Dbs.write(type, o.toString(), List.of(new Rec(Dbs.key(0), new byte[] {1, 2, 3})));
          old.add(treeHash(o));
        }
      }
      Path log = dir.resolve("child-" + attempt + ".log");
      Process child =
          ChildJvm.cortado(
              log, CHILD_OPTIONS, args(command, type, out, replace).toArray(new String[0]));
      Path partial = Path.of(outputs(command, out).get(0) + ".partial-" + child.pid());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!Files.exists(partial) && child.isAlive()) {
        assertThat(System.nanoTime()).as("%s never appeared", partial).isLessThan(deadline);
        Thread.sleep(2);
      }
      long seen = System.nanoTime();
      long delay = (long) (random.nextDouble() * windowMs);
      if (child.waitFor(delay, TimeUnit.MILLISECONDS)) {
        assertThat(child.exitValue()).as("exit; log:%n%s", Files.readString(log)).isZero();
        windowMs = Math.max(20, (System.nanoTime() - seen) / 1_000_000);
        assertNoPartials(dir);
        continue;
      }
      new ProcessBuilder("kill", "-INT", String.valueOf(child.pid())).start().waitFor();
      assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("exit after SIGINT").isTrue();
      String text = Files.readString(log);
      if (child.exitValue() == 0) {
        // SIGINT came after the last rename: the whole output is there.
        continue;
      }
      interrupted++;
      assertThat(child.exitValue()).as("exit status after SIGINT; log:%n%s", text).isEqualTo(130);
      assertNoPartials(dir);
      List<Path> outs = outputs(command, out);
      boolean anyKept = false;
      for (int i = 0; i < outs.size(); i++) {
        Path o = outs.get(i);
        if (Files.exists(o) && (!replace || !treeHash(o).equals(old.get(i)))) {
          // Renamed into place before the signal arrived: it must be whole.
          assertThat(Dbs.readAll(type, o.toString()))
              .as("%s after SIGINT", o)
              .hasSize(expected(command) / outs.size());
          continue;
        }
        anyKept = true;
        if (!replace) {
          assertThat(o).as("output after SIGINT").doesNotExist();
        }
      }
      if (anyKept) {
        assertThat(text)
            .contains("interrupted: removed the partial output")
            .contains(replace ? " is unchanged" : " was created");
      }
    }
  }

  private static int expected(Command c) {
    return switch (c) {
      case CONVERT_DB, SPLIT_DB -> RECORDS;
      case MAKE_MNIST_DB -> MNIST_IMAGES;
      case SAVE -> SAVE_ELEMENTS / 100;
    };
  }

  private static void assertNoPartials(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(
              s.map(p -> p.getFileName().toString())
                  .filter(n -> n.contains(".partial-") || n.contains(".old-"))
                  .toList())
          .as("partial outputs in %s", dir)
          .isEmpty();
    }
  }

  private static String treeHash(Path root) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s.sorted()::iterator) {
        // LMDB's lock file records readers; only the data is the DB.
        if (Files.isRegularFile(p) && !p.getFileName().toString().equals("lock.mdb")) {
          sha.update(root.relativize(p).toString().getBytes());
          sha.update(Files.readAllBytes(p));
        }
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }
}
