package dev.cortado.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * No command destroys data, on every backend and every writing command (make-mnist-db, convert-db,
 * split-db): an output that is the input is refused (also through a symlink or {@code ..}) with the
 * input byte-identical; an existing output is refused without --overwrite and replaced with it; a
 * bad input record leaves no output and no partial file; a partial output left by a killed run is
 * removed and named by the next run. Interrupts (SIGINT, SIGKILL) are tested on child JVMs in the
 * reliability module.
 */
class OutputSafetyTest {
  @TempDir Path tmp;

  static List<String> backends() {
    return TestDbs.BACKENDS;
  }

  private Path source(String backend) {
    return TestDbs.copy(DbToolsTest.sharedDb("fmnist-mini", backend), tmp);
  }

  private Path out(String backend, String name) {
    return tmp.resolve(name + (backend.equals("minidb") ? ".minidb" : ""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void convertOntoItsOwnInputIsRefusedAndTheInputIsUnchanged(String backend) throws IOException {
    Path in = source(backend);
    String before = treeHash(in);
    Path link = tmp.resolve("link-to-input");
    Files.createSymbolicLink(link, in);
    Path dotdot = in.resolve("..").resolve(in.getFileName());
    for (Path same : List.of(in, link, dotdot)) {
      Cli.Result r =
          Cli.run(
              "convert-db",
              "--db",
              in.toString(),
              "--out",
              same.toString(),
              "--out-type",
              backend,
              "--overwrite");
      MakeMnistDbCommandTest.assertOneLineError(r, "refusing to write " + same, "it is the input");
      assertThat(treeHash(in)).as("input after convert-db onto %s", same).isEqualTo(before);
    }
    // The input inside the output, and the output inside the input.
    if (Files.isDirectory(in)) {
      Cli.Result r =
          Cli.run(
              "convert-db",
              "--db",
              in.toString(),
              "--out",
              in.resolve("nested").toString(),
              "--out-type",
              "minidb");
      MakeMnistDbCommandTest.assertOneLineError(r, "lies inside the input");
    }
    Cli.Result r =
        Cli.run(
            "convert-db",
            "--db",
            in.toString(),
            "--out",
            tmp.toString(),
            "--out-type",
            backend,
            "--overwrite");
    MakeMnistDbCommandTest.assertOneLineError(r, "the input " + in + " lies inside it");
    assertThat(treeHash(in)).isEqualTo(before);
    assertNoPartials(tmp);
  }

  @Test
  void makeMnistDbOntoItsImageFileIsRefused() throws IOException {
    Path images = tmp.resolve("images.gz");
    Files.copy(MakeMnistDbCommandTest.IMAGES, images);
    String before = treeHash(images);
    Cli.Result r =
        Cli.run(
            "make-mnist-db",
            "--image-file",
            images.toString(),
            "--label-file",
            MakeMnistDbCommandTest.LABELS.toString(),
            "--out",
            images.toString(),
            "--out-type",
            "minidb",
            "--overwrite");
    MakeMnistDbCommandTest.assertOneLineError(r, "refusing to write", "it is the input");
    assertThat(treeHash(images)).isEqualTo(before);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void anExistingOutputIsRefusedWithoutOverwriteAndReplacedWithIt(String backend)
      throws IOException {
    Path in = source(backend);
    // The old output: the first 10 records, from make-mnist-db.
    Path o = out(backend, "out");
    Cli.Result made = make(o, backend, "--data-limit", "10");
    assertThat(made.exit()).as(made.err()).isZero();
    String old = treeHash(o);
    for (String[] cmd :
        List.of(
            new String[] {
              "convert-db", "--db", in.toString(), "--out", o.toString(), "--out-type", backend
            },
            new String[] {
              "make-mnist-db",
              "--image-file",
              MakeMnistDbCommandTest.IMAGES.toString(),
              "--label-file",
              MakeMnistDbCommandTest.LABELS.toString(),
              "--out",
              o.toString(),
              "--out-type",
              backend
            })) {
      Cli.Result r = Cli.run(cmd);
      MakeMnistDbCommandTest.assertOneLineError(r, o + " already exists", "--overwrite");
      assertThat(treeHash(o)).as("old output after %s", cmd[0]).isEqualTo(old);
    }
    // split-db: one existing split refuses the whole command before any split is written.
    Path prefix = out(backend, "split");
    Path split1 = Path.of(prefix + "_split_1");
    assertThat(make(split1, backend, "--data-limit", "3").exit()).isZero();
    String oldSplit = treeHash(split1);
    Cli.Result r =
        Cli.run("split-db", "--db", in.toString(), "--splits", "3", "--out", prefix.toString());
    MakeMnistDbCommandTest.assertOneLineError(r, split1 + " already exists");
    assertThat(Path.of(prefix + "_split_0")).doesNotExist();
    assertThat(treeHash(split1)).isEqualTo(oldSplit);

    // With --overwrite the old output is replaced by the complete new one.
    r =
        Cli.run(
            "convert-db",
            "--db",
            in.toString(),
            "--out",
            o.toString(),
            "--out-type",
            backend,
            "--overwrite");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(dump(o)).isEqualTo(dump(in)).hasSize(256);
    r =
        Cli.run(
            "split-db",
            "--db",
            in.toString(),
            "--splits",
            "3",
            "--out",
            prefix.toString(),
            "--overwrite");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(dump(split1)).hasSize(85);
    assertNoPartials(tmp);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void aBadInputRecordLeavesNoOutputAndSaysSo(String backend) throws IOException {
    Path torn = Cli.testdata().resolve("bad-inputs/minidb-truncated/minidb-truncated.minidb");
    Path o = out(backend, "from-torn");
    Cli.Result r =
        Cli.run(
            "convert-db",
            "--db",
            torn.toString(),
            "--out",
            o.toString(),
            "--out-type",
            backend,
            "--commit-every",
            "2");
    MakeMnistDbCommandTest.assertOneLineError(
        r, "torn tail", "removed the partial output", "no " + o + " was created");
    assertThat(o).doesNotExist();
    assertNoPartials(tmp);

    // With an old output and --overwrite, the old one stays.
    assertThat(make(o, backend, "--data-limit", "5").exit()).isZero();
    String old = treeHash(o);
    r =
        Cli.run(
            "convert-db",
            "--db",
            torn.toString(),
            "--out",
            o.toString(),
            "--out-type",
            backend,
            "--overwrite");
    MakeMnistDbCommandTest.assertOneLineError(r, "torn tail", o + " is unchanged");
    assertThat(treeHash(o)).isEqualTo(old);

    // make-mnist-db: a gzip image file cut off in the middle (only reading finds out).
    Path shortImages = tmp.resolve("short-images-idx3-ubyte.gz");
    byte[] gz = Files.readAllBytes(MakeMnistDbCommandTest.IMAGES);
    Files.write(shortImages, java.util.Arrays.copyOf(gz, gz.length / 2));
    Path m = out(backend, "short");
    r =
        Cli.run(
            "make-mnist-db",
            "--image-file",
            shortImages.toString(),
            "--label-file",
            MakeMnistDbCommandTest.LABELS.toString(),
            "--out",
            m.toString(),
            "--out-type",
            backend);
    MakeMnistDbCommandTest.assertOneLineError(r, "no " + m + " was created");
    assertThat(m).doesNotExist();
    assertNoPartials(tmp);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void aPartialOutputOfAKilledRunIsRemovedAndNamed(String backend) throws Exception {
    Path in = source(backend);
    long dead = deadPid();
    Path o = out(backend, "after-kill");
    Path stale = Path.of(o + ".partial-" + dead);
    // What a killed writer leaves: a DB of the same type under the partial name.
    assertThat(make(stale, backend, "--data-limit", "7").exit()).isZero();
    Cli.Result r =
        Cli.run("convert-db", "--db", in.toString(), "--out", o.toString(), "--out-type", backend);
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("removed " + stale, "killed (process " + dead);
    assertThat(stale).doesNotExist();
    assertThat(dump(o)).hasSize(256);

    // A run killed between moving the old output aside and moving the new one in.
    Path moved = Path.of(o + ".old-" + dead);
    Files.move(o, moved);
    r = Cli.run("inspect", "--db", in.toString(), "--limit", "0");
    assertThat(r.exit()).isZero();
    r =
        Cli.run(
            "split-db",
            "--db",
            in.toString(),
            "--splits",
            "2",
            "--out",
            out(backend, "other").toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(moved).as("another output's cleanup leaves it alone").exists();
    r =
        Cli.run(
            "convert-db",
            "--db",
            in.toString(),
            "--out",
            o.toString(),
            "--out-type",
            backend,
            "--overwrite");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("restored " + o + " from " + moved);
    assertThat(moved).doesNotExist();
    assertNoPartials(tmp);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void saveRefusesAnExistingDbWithoutOverwriteAndReplacesItWith(String backend) throws IOException {
    Path init = tmp.resolve("init.pbtxt");
    Files.writeString(
        init,
        "name: 'init' op { type: 'ConstantFill' output: 'w'"
            + " arg { name: 'shape' ints: 3 } arg { name: 'value' f: 0.5 } }\n");
    Path net = tmp.resolve("save.pbtxt");
    Files.writeString(
        net,
        "name: 'save' external_input: 'w' op { type: 'Save' input: 'w'"
            + " arg { name: 'db' s: 'x' } arg { name: 'db_type' s: 'minidb' }"
            + " arg { name: 'absolute_path' i: 1 } }\n");
    Path o = out(backend, "saved");
    assertThat(make(o, backend, "--data-limit", "4").exit()).isZero();
    String old = treeHash(o);
    String[] args = {
      "run-net",
      "--init",
      init.toString(),
      "--net",
      net.toString(),
      "--set",
      "db=" + o,
      "--set",
      "db_type=" + backend,
      "--iterations",
      "2"
    };
    Cli.Result r = Cli.run(args);
    MakeMnistDbCommandTest.assertOneLineError(r, o + " already exists", "--overwrite");
    assertThat(treeHash(o)).isEqualTo(old);

    // With --overwrite the new DB replaces it; the second run saves over its own output.
    List<String> withFlag = new ArrayList<>(List.of(args));
    withFlag.add("--overwrite");
    r = Cli.run(withFlag.toArray(new String[0]));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(dump(o)).hasSize(1).first().asString().contains("\"key\":\"w#%0\"");
    assertNoPartials(tmp);
  }

  @Test
  void aFolderThatIsNotADbIsNeverReplaced() throws IOException {
    Path in = source("minidb");
    Path folder = Files.createDirectories(tmp.resolve("photos"));
    Files.writeString(folder.resolve("holiday.jpg"), "not a db");
    Cli.Result r =
        Cli.run(
            "convert-db",
            "--db",
            in.toString(),
            "--out",
            folder.toString(),
            "--out-type",
            "lmdb",
            "--overwrite");
    MakeMnistDbCommandTest.assertOneLineError(r, "does not look like a DB");
    assertThat(folder.resolve("holiday.jpg")).hasContent("not a db");
  }

  private static Cli.Result make(Path out, String backend, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "make-mnist-db",
                "--image-file",
                MakeMnistDbCommandTest.IMAGES.toString(),
                "--label-file",
                MakeMnistDbCommandTest.LABELS.toString(),
                "--out",
                out.toString(),
                "--out-type",
                backend,
                "--channel-first"));
    args.addAll(List.of(extra));
    return Cli.run(args.toArray(new String[0]));
  }

  private static List<String> dump(Path db) {
    Cli.Result r = Cli.run("db-dump", "--db", db.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    return r.lines();
  }

  /** The pid of a process that has exited. */
  static long deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    long pid = p.pid();
    p.waitFor();
    return pid;
  }

  static void assertNoPartials(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      assertThat(
              s.map(p -> p.getFileName().toString())
                  .filter(n -> n.contains(".partial-") || n.contains(".old-"))
                  .toList())
          .as("partial outputs left in %s", dir)
          .isEmpty();
    }
  }

  /** SHA-256 over every file's relative path and bytes, in path order. */
  static String treeHash(Path root) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s.sorted()::iterator) {
        if (Files.isRegularFile(p)) {
          sha.update(
              root.relativize(p).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
          try {
            sha.update(Files.readAllBytes(p));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }
}
