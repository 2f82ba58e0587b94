package dev.cortado.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbRegistry;
import dev.cortado.db.Mode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MakeMnistDbCommandTest {
  static final Path IMAGES = Cli.slice().resolve("train-images-idx3-ubyte.gz");
  static final Path LABELS = Cli.slice().resolve("train-labels-idx1-ubyte.gz");

  @TempDir Path tmp;

  @Test
  void sliceChannelFirstMatchesCaffe2RecordsOnMinidb() throws Exception {
    Path out = tmp.resolve("fmnist.minidb");
    Cli.Result r = make(out, "minidb", "--channel-first");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("wrote 1000 records");

    List<Expectations.Rec> expected = Expectations.load("fmnist-mini").records();
    try (Db db = DbRegistry.fromServiceLoader().open("minidb", out.toString(), Mode.READ);
        Cursor c = db.newCursor()) {
      int n = 0;
      for (; c.valid(); c.next(), n++) {
        if (n < expected.size()) {
          Expectations.Rec rec = expected.get(n);
          assertThat(hex(DbBytes.copy(c.key()))).isEqualTo(rec.keyHex());
          assertThat(MnistRecordsTest.sha256(DbBytes.copy(c.value())))
              .as("record %d", n)
              .isEqualTo(rec.valueSha256());
        }
      }
      assertThat(n).isEqualTo(1000);
    }
  }

  @Test
  void dataLimitStopsAfterExactlyThatManyRecords() throws Exception {
    Path out = tmp.resolve("limited.minidb");
    Cli.Result r = make(out, "minidb", "--data-limit", "300");
    assertThat(r.exit()).as(r.err()).isZero();
    try (Db db = DbRegistry.fromServiceLoader().open("minidb", out.toString(), Mode.READ);
        Cursor c = db.newCursor()) {
      int n = 0;
      byte[] last = null;
      for (; c.valid(); c.next(), n++) {
        last = DbBytes.copy(c.key());
      }
      assertThat(n).isEqualTo(300);
      assertThat(new String(last, java.nio.charset.StandardCharsets.US_ASCII))
          .isEqualTo("00000299");
    }
  }

  @Test
  void missingImageFileIsOneLineNamingThePath() {
    Path missing = tmp.resolve("nope-images.gz");
    Cli.Result r =
        Cli.run(
            "make-mnist-db",
            "--image-file",
            missing.toString(),
            "--label-file",
            LABELS.toString(),
            "--output-file",
            tmp.resolve("o").toString(),
            "--db-type",
            "minidb");
    assertOneLineError(r, missing.toString(), "no such file");
  }

  @Test
  void unknownDbTypeListsTheKnownOnes() {
    Cli.Result r = make(tmp.resolve("o"), "lmbd");
    assertOneLineError(r, "unknown db_type 'lmbd'", "minidb");
    assertThat(r.err()).contains(tmp.resolve("o").toString());
  }

  @Test
  void truncatedRawIdxIsReportedBeforeWriting() throws Exception {
    byte[] raw = gunzip(IMAGES);
    Path cut = tmp.resolve("images-cut");
    Files.write(cut, Arrays.copyOf(raw, 16 + 784 * 10 + 100));
    Cli.Result r =
        Cli.run(
            "make-mnist-db",
            "--image-file",
            cut.toString(),
            "--label-file",
            LABELS.toString(),
            "--output-file",
            tmp.resolve("o").toString(),
            "--db-type",
            "minidb");
    assertOneLineError(r, cut.toString(), "truncated", "image #10");
    assertThat(tmp.resolve("o")).doesNotExist();
  }

  @Test
  void truncatedGzipIdxNamesTheImageAndOffset() throws Exception {
    byte[] raw = gunzip(IMAGES);
    Path cut = tmp.resolve("images-cut.gz");
    Files.write(cut, gzip(Arrays.copyOf(raw, 16 + 784 * 10 + 100)));
    Cli.Result r =
        Cli.run(
            "make-mnist-db",
            "--image-file",
            cut.toString(),
            "--label-file",
            LABELS.toString(),
            "--output-file",
            tmp.resolve("o.minidb").toString(),
            "--db-type",
            "minidb");
    assertOneLineError(r, cut.toString(), "truncated", "image #10", "byte " + (16 + 7840 + 100));
  }

  @Test
  void labelFileGivenAsImagesIsAWrongMagicNumber() {
    Cli.Result r =
        Cli.run(
            "make-mnist-db",
            "--image-file",
            LABELS.toString(),
            "--label-file",
            IMAGES.toString(),
            "--output-file",
            tmp.resolve("o").toString(),
            "--db-type",
            "minidb");
    assertOneLineError(r, LABELS.toString(), "wrong magic number 2049", "expected 2051", "swap");
  }

  @Test
  void doublyCompressedFileSaysToUnzip() throws Exception {
    Path twice = tmp.resolve("images.gz.gz");
    Files.write(twice, gzip(Files.readAllBytes(IMAGES)));
    Cli.Result r =
        Cli.run(
            "make-mnist-db",
            "--image-file",
            twice.toString(),
            "--label-file",
            LABELS.toString(),
            "--output-file",
            tmp.resolve("o").toString(),
            "--db-type",
            "minidb");
    assertOneLineError(r, twice.toString(), "gzip-compressed", "forget to unzip");
  }

  @Test
  void countMismatchIsAnError() throws Exception {
    byte[] raw = gunzip(LABELS);
    byte[] fewer = Arrays.copyOf(raw, 8 + 10);
    fewer[7] = 10;
    fewer[6] = 0;
    Path labels = tmp.resolve("labels-10");
    Files.write(labels, fewer);
    Cli.Result r =
        Cli.run(
            "make-mnist-db",
            "--image-file",
            IMAGES.toString(),
            "--label-file",
            labels.toString(),
            "--output-file",
            tmp.resolve("o").toString(),
            "--db-type",
            "minidb");
    assertOneLineError(r, "1000 images", "10 labels");
  }

  @Test
  void verboseAddsTheStackTrace() {
    Cli.Result r =
        Cli.run(
            "make-mnist-db",
            "--verbose",
            "--image-file",
            LABELS.toString(),
            "--label-file",
            IMAGES.toString(),
            "--output-file",
            tmp.resolve("o").toString(),
            "--db-type",
            "minidb");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("\tat dev.cortado.cli.").contains("wrong magic number");
  }

  @Test
  void missingRequiredOptionIsAUsageError() {
    Cli.Result r = Cli.run("make-mnist-db", "--image-file", IMAGES.toString());
    assertThat(r.exit()).isEqualTo(Main.EXIT_USAGE);
    assertThat(r.err().strip().lines()).hasSize(1);
    assertThat(r.err()).contains("Missing required option").contains("--help");
  }

  static void assertOneLineError(Cli.Result r, String... fragments) {
    assertThat(r.exit()).as(r.err()).isEqualTo(Main.EXIT_FAILURE);
    assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
    assertThat(r.err()).doesNotContain("\tat ");
    if (fragments.length > 0) {
      assertThat(r.err()).contains(fragments);
    }
  }

  private Cli.Result make(Path out, String dbType, String... extra) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "make-mnist-db",
                "--image-file",
                IMAGES.toString(),
                "--label-file",
                LABELS.toString(),
                "--output-file",
                out.toString(),
                "--db-type",
                dbType));
    args.addAll(List.of(extra));
    return Cli.run(args.toArray(String[]::new));
  }

  static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  static byte[] gunzip(Path p) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
      return in.readAllBytes();
    }
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
      out.write(data);
    }
    return bytes.toByteArray();
  }
}
