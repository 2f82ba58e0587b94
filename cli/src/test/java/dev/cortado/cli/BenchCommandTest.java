package dev.cortado.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class BenchCommandTest {
  @Test
  void jsonReportsRatesAndSettings() {
    Cli.Result r = mini("--decode-threads", "2");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.lines()).hasSize(1);
    JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
    for (String key :
        new String[] {
          "items_per_s_median",
          "items_per_s_min",
          "items_per_s_max",
          "mb_per_s_median",
          "passes",
          "batch_size",
          "db_type",
          "prefetch_depth",
          "decode_threads"
        }) {
      assertThat(o.has(key)).as(key).isTrue();
    }
    assertThat(o.get("items_per_s_median").getAsDouble()).isPositive();
    assertThat(o.get("items_per_s_min").getAsDouble())
        .isLessThanOrEqualTo(o.get("items_per_s_max").getAsDouble());
    assertThat(o.get("batches_per_epoch").getAsLong()).isEqualTo(4);
    assertThat(o.get("batches_per_pass").getAsLong())
        .isEqualTo(4 * o.get("epochs_per_pass").getAsLong());
    assertThat(o.get("decode_threads").getAsInt()).isEqualTo(2);
    assertThat(o.get("prefetch_depth").getAsInt()).isEqualTo(1);
    // 64 x (784 image bytes + 4 label bytes) per batch.
    double items = o.get("items_per_s_median").getAsDouble();
    double mbPerItem = o.get("mb_per_s_median").getAsDouble() / items;
    // mb_per_s is rounded to 0.1.
    assertThat(mbPerItem).isCloseTo(788e-6, org.assertj.core.data.Offset.offset(0.06 / items));
  }

  @Test
  void severalBackendsAndBatchSizesGiveOneRunEachAndAChart(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
    java.nio.file.Path svg = tmp.resolve("bench.svg");
    Cli.Result r =
        Cli.run(
            "bench",
            "--db",
            Cli.testdata().resolve("fmnist-mini/fmnist-mini.minidb").toString(),
            "--db-type",
            "minidb,lmdb",
            "--batch-size",
            "32,64",
            "--passes",
            "2",
            "--warmup",
            "0",
            "--min-pass-seconds",
            "0.05",
            "--json",
            "--plot",
            svg.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.lines()).hasSize(4);
    java.util.List<String> labels = new java.util.ArrayList<>();
    for (String line : r.lines()) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      labels.add(o.get("label").getAsString());
      assertThat(o.get("records").getAsLong()).isEqualTo(256);
      // A 256-record epoch takes far less than 50 ms: a pass repeats it.
      assertThat(o.get("epochs_per_pass").getAsLong()).isGreaterThan(1);
    }
    assertThat(labels)
        .containsExactly("minidb batch 32", "minidb batch 64", "lmdb batch 32", "lmdb batch 64");
    String chart = java.nio.file.Files.readString(svg);
    for (String label : labels) {
      assertThat(chart).contains(">" + label + "</text>");
    }
  }

  @Test
  void noPrefetchRunsInline() {
    Cli.Result r =
        Cli.run(
            "bench",
            "--db",
            Cli.testdata().resolve("all-dtypes/all-dtypes.minidb").toString(),
            "--db-type",
            "minidb",
            "--batch-size",
            "7",
            "--passes",
            "1",
            "--no-prefetch");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("no_prefetch").contains("items/s");
  }

  @Test
  void consumerWorkRunsAfterEveryBatch() {
    Cli.Result r = mini("--consumer-work-us", "2000");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
    assertThat(o.get("consumer_work_us").getAsLong()).isEqualTo(2000);
    // Each batch of 64 costs at least the 2 ms of consumer work, so no pass beats 32,000 items/s.
    assertThat(o.get("items_per_s_max").getAsDouble()).isLessThanOrEqualTo(32_000);

    Cli.Result bad = mini("--consumer-work-us", "-1");
    assertThat(bad.exit()).isNotZero();
    assertThat(bad.err()).contains("--consumer-work-us >= 0");
  }

  private static Cli.Result mini(String... extra) {
    java.util.List<String> args =
        new java.util.ArrayList<>(
            java.util.List.of(
                "bench",
                "--db",
                Cli.testdata().resolve("fmnist-mini/fmnist-mini.minidb").toString(),
                "--db-type",
                "minidb",
                "--batch-size",
                "64",
                "--passes",
                "3",
                "--warmup",
                "0",
                "--min-pass-seconds",
                "0.02",
                "--json"));
    args.addAll(java.util.List.of(extra));
    return Cli.run(args.toArray(new String[0]));
  }

  /** Output line {@code i} of a {@code --json} run. */
  private static JsonObject line(Cli.Result r, int i) {
    return JsonParser.parseString(r.lines().get(i)).getAsJsonObject();
  }

  @Test
  void vsNoPrefetchMeasuresBothInTurnAndGivesTheirRatio() {
    Cli.Result r = mini("--vs-no-prefetch");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.lines()).hasSize(2);
    JsonObject run = line(r, 0);
    JsonObject base = line(r, 1);
    assertThat(run.get("label").getAsString()).isEqualTo("minidb batch 64");
    assertThat(run.get("no_prefetch").getAsBoolean()).isFalse();
    assertThat(run.get("consumer_fills").getAsLong()).isBetween(0L, run.get("batches").getAsLong());
    assertThat(base.get("label").getAsString()).isEqualTo("minidb batch 64, no_prefetch");
    assertThat(base.get("no_prefetch").getAsBoolean()).isTrue();
    double min = base.get("ratio_min").getAsDouble();
    double median = base.get("ratio_median").getAsDouble();
    assertThat(min).isPositive();
    assertThat(median).isBetween(min, base.get("ratio_max").getAsDouble());
    // The ratio is of pairs of passes, so it lies within the extremes of the two runs' rates.
    assertThat(median)
        .isBetween(
            run.get("items_per_s_min").getAsDouble() / base.get("items_per_s_max").getAsDouble()
                - 1e-3,
            run.get("items_per_s_max").getAsDouble() / base.get("items_per_s_min").getAsDouble()
                + 1e-3);

    Cli.Result both = mini("--vs-no-prefetch", "--no-prefetch");
    assertThat(both.exit()).isNotZero();
    assertThat(both.err()).contains("--vs-no-prefetch compares with --no-prefetch");
  }

  /**
   * How far a quotient printed to 3 decimals may be from the quotient of its two parts, each also
   * printed to 3 decimals: half a unit of the last place for each rounding, carried through the
   * division.
   */
  private static Offset<Double> ofPrintedQuotient(double a, double b) {
    double e = 0.0005;
    return within(e + e / b + a * e / (b * b) + 1e-9);
  }

  @Test
  void overlapCalibratesTheConsumerWorkToTheReadTime() {
    Cli.Result r = mini("--overlap");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.lines()).hasSize(3);
    JsonObject run = line(r, 0);
    JsonObject base = line(r, 1);
    JsonObject overlap = line(r, 2);
    double workUs = overlap.get("consumer_work_us").getAsDouble();
    assertThat(workUs).isPositive();
    assertThat(run.get("consumer_work_us").getAsDouble()).isEqualTo(workUs);
    // Every batch costs at least the consumer's work.
    assertThat(run.get("items_per_s_max").getAsDouble()).isLessThanOrEqualTo(64 / workUs * 1e6);
    // The work as the consumer's clock timed it: in each pass at least what was asked, so its
    // median is at least the median asked for over the same passes (each printed rounded).
    assertThat(overlap.get("consumer_work_spent_us").getAsDouble())
        .isGreaterThanOrEqualTo(workUs - 0.06);
    // The counters' passes ask for the work of the no_prefetch pass before each, which follows the
    // machine's speed, so their median is not comparable with the consumer's: only that it ran.
    assertThat(overlap.get("spin_work_spent_us").getAsDouble()).isPositive();
    // The no_prefetch passes run without work, so their ratio to this run means nothing.
    assertThat(base.get("consumer_work_us").getAsDouble()).isZero();
    assertThat(base.has("ratio_median")).isFalse();
    double min = overlap.get("overlap_min").getAsDouble();
    assertThat(min).isPositive();
    assertThat(overlap.get("overlap_median").getAsDouble())
        .isBetween(min, overlap.get("overlap_max").getAsDouble());

    double readUs = overlap.get("read_us").getAsDouble();
    assertThat(readUs).isPositive();
    assertThat(overlap.get("calibrated").getAsBoolean())
        .isEqualTo(!BenchCommand.calibrationOff(workUs, readUs));
    // A consumer as slow as the reader is not paced: the prefetch thread fills the batches.
    double fillUs = overlap.get("fill_us").getAsDouble();
    assertThat(fillUs).isPositive();
    assertThat(overlap.get("fill_over_read").getAsDouble())
        .isCloseTo(fillUs / readUs, withinPercentage(3));
    assertThat(overlap.get("overlap_vs_fill_median").getAsDouble()).isPositive();
    // Single reads timed outside the passes: the lockstep bound and the overlap over it.
    double p50 = overlap.get("read_p50_us").getAsDouble();
    assertThat(p50).isPositive();
    assertThat(overlap.get("read_p99_us").getAsDouble()).isGreaterThanOrEqualTo(p50);
    double bound = overlap.get("lockstep_bound").getAsDouble();
    assertThat(bound).isGreaterThanOrEqualTo(1.0);
    double median = overlap.get("overlap_median").getAsDouble();
    assertThat(overlap.get("overlap_vs_bound_median").getAsDouble())
        .isCloseTo(median / bound, ofPrintedQuotient(median, bound));
    // The same reads handed over through two spinning counters, in passes of their own.
    double spin = overlap.get("spin_overlap_median").getAsDouble();
    assertThat(spin).isPositive();
    assertThat(overlap.get("spin_overlap_min").getAsDouble()).isLessThanOrEqualTo(spin);
    assertThat(overlap.get("spin_overlap_max").getAsDouble()).isGreaterThanOrEqualTo(spin);
    assertThat(overlap.get("overlap_vs_spin_median").getAsDouble())
        .isCloseTo(median / spin, ofPrintedQuotient(median, spin));

    Cli.Result withWork = mini("--overlap", "--consumer-work-us", "5");
    assertThat(withWork.exit()).isNotZero();
    assertThat(withWork.err()).contains("--overlap sets the consumer work itself");
  }

  @Test
  void theLockstepBoundIsTheMeanOfTheSlowerOfEachReadAndTheMeanRead() {
    // Nine reads of 10 us and one of 30: the mean is 12; a consumer working 12 us waits for
    // nobody nine times and for the slow read once, 13.8 us per batch on average.
    long[] nanos = {10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 30_000};
    BenchCommand.ReadTimes t = BenchCommand.ReadTimes.of(nanos);
    assertThat(t.p50Us()).isEqualTo(10.0);
    assertThat(t.p99Us()).isEqualTo(30.0);
    assertThat(t.lockstepBound()).isCloseTo(13.8 / 12, within(1e-12));
    // Reads that all take as long: nothing to wait for.
    assertThat(BenchCommand.ReadTimes.of(new long[] {5, 5, 5}).lockstepBound()).isEqualTo(1.0);
  }

  @Test
  void oneSlowStretchOfReadsDoesNotMoveTheLockstepBound() {
    // 3,200 reads in 16 stretches of 200. Every tenth read takes 30 us instead of 10 (each
    // stretch's bound is 13.8 / 12), except in one stretch where every read takes 40 us, as while
    // the JIT recompiles the read path: over all the reads the bound would be far higher.
    long[] nanos = new long[3_200];
    for (int i = 0; i < nanos.length; i++) {
      nanos[i] = i >= 1_000 && i < 1_200 ? 40_000 : i % 10 == 9 ? 30_000 : 10_000;
    }
    assertThat(BenchCommand.ReadTimes.of(nanos).lockstepBound())
        .isCloseTo(13.8 / 12, within(1e-12));
    long[] clean = nanos.clone();
    for (int i = 1_000; i < 1_200; i++) {
      clean[i] = i % 10 == 9 ? 30_000 : 10_000;
    }
    assertThat(BenchCommand.ReadTimes.of(clean).lockstepBound())
        .isCloseTo(13.8 / 12, within(1e-12));
    // Over all the reads at once, the slow stretch raises the mean, and so the bound.
    double mean = Arrays.stream(nanos).average().orElseThrow();
    double whole = Arrays.stream(nanos).mapToDouble(n -> Math.max(n, mean)).average().orElseThrow();
    assertThat(whole / mean).isGreaterThan(1.2);
  }

  @Test
  void theOverlapsConsumerWorkFollowsTheLatestNoPrefetchPass() {
    // Batches of 64: a no_prefetch pass at 6.4M items/s read a batch in 10 us.
    BenchCommand.ConsumerWork work = new BenchCommand.ConsumerWork(12_000, 64);
    consumerPass(work); // before any no_prefetch pass: the calibration
    work.readPass(6.4e6);
    consumerPass(work);
    consumerPass(work); // A B, then B A: two consumer passes in a row keep the latest read
    work.readPass(3.2e6);
    consumerPass(work);
    assertThat(work.nanos()).isEqualTo(20_000);
    assertThat(work.lastPassesUs(3)).containsExactly(10.0, 10.0, 20.0);
    assertThat(work.lastPassesUs(4)).containsExactly(12.0, 10.0, 10.0, 20.0);
  }

  private static void consumerPass(BenchCommand.ConsumerWork work) {
    work.passBegins();
    work.consumerPassDone();
  }

  @Test
  void theWorkDoneIsTimedPassByPassAndNeverShortOfTheWorkAskedFor() {
    BenchCommand.ConsumerWork work = new BenchCommand.ConsumerWork(50_000, 64);
    work.passBegins();
    work.work(50_000);
    work.work(150_000);
    work.consumerPassDone();
    // A pass of the spinning counters between two of the consumer's keeps its own record.
    work.passBegins();
    work.work(400_000);
    work.spinPassDone();
    work.passBegins();
    work.consumerPassDone(); // no batches: nothing done
    double[] done = work.lastPassesSpentUs(2);
    assertThat(done[0]).isGreaterThanOrEqualTo(100.0).isLessThan(100.0 + 1_000);
    assertThat(done[1]).isZero();
    assertThat(work.lastSpinPassesSpentUs(1)[0]).isGreaterThanOrEqualTo(400.0);
    assertThat(work.lastPassesUs(2)).containsExactly(50.0, 50.0);
    assertThat(BenchCommand.busyWait(30_000)).isGreaterThanOrEqualTo(30_000);
    assertThat(BenchCommand.busyWait(0)).isZero();
  }

  @Test
  void passesCallTheHooksAroundEveryPassButNotTheSizingEpoch() {
    List<String> calls = new ArrayList<>();
    Passes.Epoch a =
        new Passes.Epoch() {
          @Override
          public void run() {
            calls.add("a");
          }

          @Override
          public void beforePass() {
            calls.add("a<");
          }

          @Override
          public void afterPass(double itemsPerSecond) {
            assertThat(itemsPerSecond).isPositive();
            calls.add("a>");
          }
        };
    Passes.Epoch b = () -> calls.add("b");
    java.io.PrintWriter sink = new java.io.PrintWriter(new java.io.StringWriter());
    Passes.measure(
        sink, sink, new String[] {"a", "b"}, 1, 2, 1, 0, new Passes.Epoch[] {a, b}, Progress.off());
    // Sizing: one epoch each, no hooks. Then warm-up passes A B (as many as settling takes), and
    // the two measured passes, A B and B A.
    assertThat(calls.subList(0, 2)).containsExactly("a", "b");
    assertThat(calls.subList(calls.size() - 8, calls.size()))
        .containsExactly("a<", "a", "a>", "b", "b", "a<", "a", "a>");
    assertThat(String.join(" ", calls.subList(2, calls.size()))).matches("(a< a a> b )+b a< a a>");
  }

  @Test
  void aCalibrationFarFromTheReadTimeIsFlagged() {
    assertThat(BenchCommand.calibrationOff(10.0, 10.0)).isFalse();
    assertThat(BenchCommand.calibrationOff(10.9, 10.0)).isFalse();
    assertThat(BenchCommand.calibrationOff(9.2, 10.0)).isFalse();
    assertThat(BenchCommand.calibrationOff(18.9, 10.6)).isTrue();
    assertThat(BenchCommand.calibrationOff(98.8, 148.0)).isTrue();
    assertThat(BenchCommand.calibrationOff(10.0, Double.NaN)).isTrue();
  }

  @Test
  void fillsAtAnotherSpeedThanTheReadsAreFlagged() {
    assertThat(BenchCommand.speedsDiffer(1.0)).isFalse();
    assertThat(BenchCommand.speedsDiffer(1.06)).isFalse();
    assertThat(BenchCommand.speedsDiffer(0.93)).isFalse();
    assertThat(BenchCommand.speedsDiffer(1.27)).isTrue();
    assertThat(BenchCommand.speedsDiffer(0.62)).isTrue();
    // No fill on the prefetch thread (every batch read by a paced consumer): nothing to compare.
    assertThat(BenchCommand.speedsDiffer(Double.NaN)).isFalse();
  }

  @Test
  void aBadRecordIsOneLine() {
    String db = Cli.testdata().resolve("bad-inputs/dtype-differs/dtype-differs.minidb").toString();
    Cli.Result r =
        Cli.run("bench", "--db", db, "--db-type", "minidb", "--batch-size", "2", "--passes", "1");
    MakeMnistDbCommandTest.assertOneLineError(r, db, "00000003");
  }
}
