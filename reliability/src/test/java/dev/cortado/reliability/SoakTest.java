package dev.cortado.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.cli.Main;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The soak run ({@code -Psoak}, {@code -Dsoak.duration=10m}): {@code cortado run-net} reads an LMDB
 * of MNIST-shaped records (TensorProtosDBInput, batch 64, prefetch depth 4, 2 decode threads, then
 * Cast and Scale) for the given time, while {@code cortado convert-db} children copy the same DB
 * into a new RocksDB, one after another. The reader's resident set size (VmRSS from
 * /proc/PID/status) is printed every minute; it must stay flat (the second half of the run at most
 * 10% + 16 MiB above the first half's peak), and the reader must keep running throughout.
 */
@EnabledIfSystemProperty(named = "cortado.soak.duration", matches = ".+")
class SoakTest {
  private static final int IMAGES = 20_000;

  static Duration parse(String s) {
    String v = s.trim();
    long n = Long.parseLong(v.substring(0, v.length() - 1));
    return switch (v.charAt(v.length() - 1)) {
      case 's' -> Duration.ofSeconds(n);
      case 'm' -> Duration.ofMinutes(n);
      case 'h' -> Duration.ofHours(n);
      default -> throw new IllegalArgumentException("duration like 90s, 10m or 1h: " + s);
    };
  }

  @Test
  void readingForHoursKeepsMemoryFlat(@TempDir Path dir) throws Exception {
    Duration duration = parse(System.getProperty("cortado.soak.duration"));
    Duration interval = parse(System.getProperty("cortado.soak.interval", "60s"));
    Path db = makeMnistLmdb(dir);
    Path init = dir.resolve("init.pbtxt");
    Files.writeString(
        init,
        "name: \"init\"\nop { type: \"CreateDB\" output: \"dbreader\""
            + " arg { name: \"db_type\" s: \"lmdb\" } arg { name: \"db\" s: \""
            + db
            + "\" } }\n");
    Path net = dir.resolve("read.pbtxt");
    Files.writeString(
        net,
        "name: \"read\"\nexternal_input: \"dbreader\"\n"
            + "op { type: \"TensorProtosDBInput\" input: \"dbreader\" output: \"image\""
            + " output: \"label\" arg { name: \"batch_size\" i: 64 } arg { name: \"prefetch_depth\""
            + " i: 4 } arg { name: \"decode_threads\" i: 2 } }\n"
            + "op { type: \"Cast\" input: \"image\" output: \"data\" arg { name: \"to\" i: 1 } }\n"
            + "op { type: \"Scale\" input: \"data\" output: \"data\" arg { name: \"scale\""
            + " f: 0.00390625 } }\n");
    Process reader =
        ChildJvm.cortado(
            dir.resolve("run-net.log"),
            List.of("-Xmx256m"),
            "run-net",
            "--init",
            init.toString(),
            "--net",
            net.toString(),
            "--iterations",
            "2000000000",
            "--quiet");
    long pid = reader.pid();
    List<Long> rss = new ArrayList<>();
    List<Long> cpu = new ArrayList<>();
    int conversions = 0;
    Process writer = null;
    long start = System.nanoTime();
    long nextSample = start + interval.toNanos();
    try {
      while (System.nanoTime() - start < duration.toNanos()) {
        assertThat(reader.isAlive())
            .as("run-net ended early; log:%n%s", log(dir.resolve("run-net.log")))
            .isTrue();
        if (writer == null || !writer.isAlive()) {
          if (writer != null) {
            assertThat(writer.exitValue())
                .as("convert-db %d; log:%n%s", conversions, log(dir.resolve("convert.log")))
                .isZero();
            conversions++;
          }
          Path out = dir.resolve("copy");
          Dbs.deleteTree(out);
          writer =
              ChildJvm.cortado(
                  dir.resolve("convert.log"),
                  List.of("-Xmx256m"),
                  "convert-db",
                  "--input-db",
                  db.toString(),
                  "--input-db-type",
                  "lmdb",
                  "--output-db",
                  out.toString(),
                  "--output-db-type",
                  "rocksdb",
                  "--quiet");
        }
        if (System.nanoTime() >= nextSample) {
          long kib = vmRssKib(pid);
          long ticks = cpuTicks(pid);
          rss.add(kib);
          cpu.add(ticks);
          System.out.printf(
              "soak %s: run-net VmRSS %d MiB, cpu %.1f s, convert-db runs %d%n",
              Duration.ofNanos(System.nanoTime() - start)
                  .truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
              kib / 1024,
              ticks / 100.0,
              conversions);
          nextSample += interval.toNanos();
        }
        Thread.sleep(200);
      }
    } finally {
      reader.destroyForcibly();
      if (writer != null) {
        writer.destroyForcibly();
      }
      reader.waitFor(30, TimeUnit.SECONDS);
    }
    assertThat(rss).as("RSS samples").hasSizeGreaterThanOrEqualTo(2);
    for (int i = 1; i < cpu.size(); i++) {
      assertThat(cpu.get(i))
          .as("run-net kept working in interval %d", i)
          .isGreaterThan(cpu.get(i - 1));
    }
    int half = rss.size() / 2;
    long firstPeak = rss.subList(0, Math.max(1, half)).stream().max(Long::compare).orElseThrow();
    long secondPeak =
        rss.subList(Math.max(1, half), rss.size()).stream().max(Long::compare).orElseThrow();
    System.out.printf(
        "soak done: %d samples, VmRSS first-half peak %d MiB, second-half peak %d"
            + " MiB, %d convert-db runs%n",
        rss.size(), firstPeak / 1024, secondPeak / 1024, conversions);
    assertThat(secondPeak)
        .as("VmRSS KiB, second half vs first half: %s", rss)
        .isLessThanOrEqualTo(firstPeak + firstPeak / 10 + 16 * 1024);
    assertThat(conversions).isPositive();
  }

  private static String log(Path p) throws IOException {
    return Files.exists(p) ? Files.readString(p) : "";
  }

  static long vmRssKib(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IOException("no VmRSS in /proc/" + pid + "/status");
  }

  /** utime + stime of a process, in clock ticks (100 per second on Linux). */
  static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  private static Path makeMnistLmdb(Path dir) throws IOException {
    Path images = dir.resolve("images-idx3-ubyte");
    Path labels = dir.resolve("labels-idx1-ubyte");
    Random r = new Random(7);
    try (DataOutputStream img = new DataOutputStream(Files.newOutputStream(images));
        DataOutputStream lab = new DataOutputStream(Files.newOutputStream(labels))) {
      img.writeInt(2051);
      img.writeInt(IMAGES);
      img.writeInt(28);
      img.writeInt(28);
      lab.writeInt(2049);
      lab.writeInt(IMAGES);
      byte[] pixels = new byte[28 * 28];
      for (int i = 0; i < IMAGES; i++) {
        r.nextBytes(pixels);
        img.write(pixels);
        lab.write(r.nextInt(10));
      }
    }
    Path db = dir.resolve("mnist-lmdb");
    StringWriter err = new StringWriter();
    int exit =
        Main.run(
            new PrintWriter(new StringWriter()),
            new PrintWriter(err),
            "make-mnist-db",
            "--image-file",
            images.toString(),
            "--label-file",
            labels.toString(),
            "--output-file",
            db.toString(),
            "--db-type",
            "lmdb",
            "--channel-first");
    assertThat(exit).as(err.toString()).isZero();
    return db;
  }
}
