package dev.cortado.cli;

import dev.cortado.net.Net;
import dev.cortado.operator.Operator;
import dev.cortado.prefetch.PrefetchOperator;
import dev.cortado.proto.Argument;
import dev.cortado.proto.NetDef;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.workspace.Workspace;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.DoubleConsumer;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cortado bench}: CreateDB + TensorProtosDBInput through a net, items per second. */
@Command(
    name = "bench",
    sortOptions = false,
    description = {
      "Measures the whole input path: CreateDB + TensorProtosDBInput in a net. A pass is one or"
          + " more full epochs (ceil(records / batch size) runs each), as many as make it last"
          + " --min-pass-seconds; warm-up runs at least --warmup passes and goes on until two in"
          + " a row agree within 10%%. Items are records; MB are 10^6 bytes of output tensors. A"
          + " spread (max/min) over 1.5x is a warning; Ctrl-C prints the passes finished so far.",
      "--db-type and --batch-size take comma-separated lists: the DB is copied into each other"
          + " backend (in a temporary folder) and every backend runs with every batch size, one"
          + " result each; --plot draws them as bars with their min-max spread."
    })
final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin HelpOption helpOption;

  @Mixin Options.DbIn in;

  @Option(
      names = "--batch-size",
      required = true,
      paramLabel = "B[,B...]",
      split = ",",
      description = "TensorProtosDBInput batch_size; several give one run each.")
  List<Integer> batchSizes;

  @Option(
      names = "--passes",
      paramLabel = "N",
      defaultValue = "5",
      description = "Measured passes (default: ${DEFAULT-VALUE}).")
  int passes;

  @Option(
      names = "--warmup",
      paramLabel = "N",
      defaultValue = "1",
      description = "Unmeasured passes first, at least (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(
      names = "--min-pass-seconds",
      paramLabel = "S",
      defaultValue = "0.5",
      description =
          "Repeat the epoch within a pass until the pass lasts this long (default:"
              + " ${DEFAULT-VALUE}).")
  double minPassSeconds;

  @Option(
      names = "--prefetch-depth",
      paramLabel = "D",
      description = "prefetch_depth argument (default: the operator's).")
  Integer prefetchDepth;

  @Option(
      names = "--decode-threads",
      paramLabel = "K",
      description = "decode_threads argument (default: the operator's).")
  Integer decodeThreads;

  @Option(names = "--no-prefetch", description = "no_prefetch=1: read and decode inline.")
  boolean noPrefetch;

  @Option(
      names = "--vs-no-prefetch",
      description =
          "Also run the same input with no_prefetch=1 in this process, a pass of each in turn,"
              + " and report the ratio of each pair of passes (this run over no_prefetch):"
              + " median, min and max. Alternating makes the ratio immune to a machine whose"
              + " speed drifts between two separate runs.")
  boolean vsNoPrefetch;

  @Option(
      names = "--overlap",
      description =
          "Measures how well prefetching overlaps a consumer as slow as the reader: passes"
              + " of this run, whose consumer busy-waits after each batch for the no_prefetch"
              + " read time per batch R, alternate with no_prefetch passes without work, and each"
              + " pair gives time per batch / max(read, work) (1.0 is perfect overlap, 2.0 none),"
              + " the work as the consumer's clock timed it (a busy wait lasts longer when its"
              + " thread stalls across the end)."
              + " R is calibrated first, then each no_prefetch pass sets it for the passes after"
              + " it, so that it follows a machine whose speed drifts. A warning says when R and"
              + " the read time of the passes still differ by more than 1.1x, or the prefetch"
              + " thread's fills and the reads do. It also gives the"
              + " prefetch thread's time per fill, against the read time (how much reading"
              + " slowed down beside the busy consumer) and against the time per batch (what the"
              + " hand-off costs), and the lockstep bound: from single reads timed apart, the"
              + " overlap a hand-off that cost nothing would give at depth 1, where each batch"
              + " waits for the slower of its read and the work (the median over stretches of"
              + " the reads, so that one slow stretch does not move it). A third kind of pass"
              + " hands the same reads from a second thread through two counters that both"
              + " threads spin on, as far ahead as --prefetch-depth, the cheapest hand-off there"
              + " is, and gives its overlap too.")
  boolean overlap;

  @Option(
      names = "--consumer-work-us",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "Busy-wait N microseconds on the calling thread after each batch, as a"
              + " training step would (default: ${DEFAULT-VALUE}); with prefetch the reads overlap it.")
  long consumerWorkUs;

  @Option(
      names = "--plot",
      paramLabel = "SVG",
      description = "Also draw the results as an SVG bar chart (median, min-max spread).")
  Path plot;

  @Mixin Options.Json json;

  /** What one pair of passes gives. */
  private interface PairFunction {
    double apply(int pass, double rate, double noPrefetchRate);
  }

  /**
   * The consumer work per batch: fixed ({@code --consumer-work-us}), or with {@code --overlap} the
   * read time per batch of the latest no_prefetch pass (the calibration until the first), so that
   * each overlap pass works as long as reading took moments before on a machine whose speed drifts.
   * Records the work asked for in each pass of the consumer, and the work done in each pass of the
   * consumer and of the spinning counters: a busy wait ends at the first clock read past its end,
   * later when the thread was stalled across it. Used on the bench thread only.
   */
  static final class ConsumerWork {
    private final int batchSize;
    private long nanos;
    private long spentNanos;
    private long spentBatches;
    private final List<Double> passUs = new ArrayList<>();
    private final List<Double> passSpentUs = new ArrayList<>();
    private final List<Double> spinPassSpentUs = new ArrayList<>();

    ConsumerWork(long nanos, int batchSize) {
      this.nanos = nanos;
      this.batchSize = batchSize;
    }

    long nanos() {
      return nanos;
    }

    /** One batch's work: busy for {@code n} nanoseconds, counted for the current pass. */
    void work(long n) {
      spentNanos += busyWait(n);
      spentBatches++;
    }

    /** A no_prefetch pass read at {@code itemsPerSecond}: its time per batch is the new work. */
    void readPass(double itemsPerSecond) {
      nanos = Math.round(batchSize / itemsPerSecond * 1e9);
    }

    /** A pass of the consumer or of the spinning counters ({@link SpinPipeline}) begins. */
    void passBegins() {
      spentNanos = 0;
      spentBatches = 0;
    }

    /** A pass of the consumer ends. */
    void consumerPassDone() {
      passUs.add(nanos / 1e3);
      passSpentUs.add(spentUs());
    }

    /** A pass of the spinning counters ends. */
    void spinPassDone() {
      spinPassSpentUs.add(spentUs());
    }

    private double spentUs() {
      return spentBatches == 0 ? 0 : spentNanos / 1e3 / spentBatches;
    }

    /** The work asked for in the last {@code n} passes (the measured ones), in microseconds. */
    double[] lastPassesUs(int n) {
      return last(passUs, n);
    }

    /** The work done per batch in the last {@code n} passes of the consumer, in microseconds. */
    double[] lastPassesSpentUs(int n) {
      return last(passSpentUs, n);
    }

    /** As {@link #lastPassesSpentUs}, for the passes of the two spinning counters. */
    double[] lastSpinPassesSpentUs(int n) {
      return last(spinPassSpentUs, n);
    }

    private static double[] last(List<Double> us, int n) {
      return us.subList(us.size() - n, us.size()).stream()
          .mapToDouble(Double::doubleValue)
          .toArray();
    }
  }

  /**
   * The no_prefetch read times of single batches, timed one by one after the calibration: their
   * median, their 99th percentile, and the lockstep bound, the mean of max(read time, mean read
   * time) over the mean. At depth 1 the producer may start batch k + 1 only once batch k is taken
   * (Caffe2's read-ahead), so a consumer that works the mean read time waits for every read slower
   * than the mean, and one that is faster cannot bank the difference: that is the overlap a
   * hand-off that cost nothing would give. A machine whose threads stall now and then (a virtual
   * CPU that its host takes away for a moment, another process) raises it.
   *
   * <p>The bound is the median over up to {@value #BOUND_STRETCHES} stretches of consecutive reads
   * (each of at least {@value #MIN_STRETCH_READS}), as the overlap is the median over passes: one
   * slow stretch, such as the JIT recompiling a method on the read path for a few tens of
   * milliseconds, does not move it.
   */
  record ReadTimes(double p50Us, double p99Us, double lockstepBound) {
    static final int BOUND_STRETCHES = 16;
    static final int MIN_STRETCH_READS = 100;

    static ReadTimes of(long[] nanos) {
      if (nanos.length == 0) {
        throw new IllegalArgumentException("no read times");
      }
      int stretches = Math.max(1, Math.min(BOUND_STRETCHES, nanos.length / MIN_STRETCH_READS));
      double[] bounds = new double[stretches];
      for (int i = 0; i < stretches; i++) {
        bounds[i] =
            lockstepBound(
                nanos,
                (int) ((long) nanos.length * i / stretches),
                (int) ((long) nanos.length * (i + 1) / stretches));
      }
      long[] sorted = nanos.clone();
      Arrays.sort(sorted);
      return new ReadTimes(
          sorted[(sorted.length - 1) / 2] / 1e3,
          sorted[(int) Math.ceil(0.99 * sorted.length) - 1] / 1e3,
          Stats.of(bounds).median());
    }

    /** The bound of the reads {@code [from, to)}. */
    private static double lockstepBound(long[] nanos, int from, int to) {
      double mean = 0;
      for (int i = from; i < to; i++) {
        mean += nanos[i];
      }
      mean /= to - from;
      double slower = 0;
      for (int i = from; i < to; i++) {
        slower += Math.max(nanos[i], mean);
      }
      return mean == 0 ? 1 : slower / (to - from) / mean;
    }
  }

  /** One run's result. */
  record Run(
      String dbType,
      int batchSize,
      long records,
      long batchesPerPass,
      Passes.Result result,
      double mbMedian,
      Object depth,
      Object threads,
      Passes.Result baseline,
      Map<String, Number> metrics,
      double[] passWorkUs,
      double[] passSpentUs,
      ReadTimes readTimes,
      Passes.Result spin,
      double[] spinSpentUs) {
    /** The consumer work asked for per batch, in microseconds: the median over the passes. */
    double workUs() {
      return Stats.of(passWorkUs).median();
    }

    /**
     * The consumer work done per batch, in microseconds: the median over the passes. A little more
     * than {@link #workUs()} where the consumer's thread stalls across the end of its busy waits.
     */
    double workSpentUs() {
      return Stats.of(passSpentUs).median();
    }

    /** As {@link #workSpentUs()}, in the passes of the two spinning counters. */
    double spinWorkSpentUs() {
      return Stats.of(spinSpentUs).median();
    }

    /**
     * Per pair of passes: this run's time per batch over max(no_prefetch read time, the work the
     * consumer did per batch in the pass).
     */
    Stats overlap() {
      return overlap(result.rates(), passSpentUs);
    }

    /** The median overlap over the lockstep bound: what the hand-off and the two cores add. */
    double overlapVsBound() {
      return overlap().median() / readTimes.lockstepBound();
    }

    /**
     * Per pair of passes: the time per batch of the two spinning counters ({@link SpinPipeline})
     * over max(no_prefetch read time, work done), the overlap of the cheapest hand-off on this
     * machine.
     */
    Stats spinOverlap() {
      return overlap(spin.rates(), spinSpentUs);
    }

    /** Per pair: time per batch at {@code rates[i]} over max(no_prefetch read time, spentUs[i]). */
    private Stats overlap(double[] rates, double[] spentUs) {
      return pairs(
          rates,
          (i, rate, base) ->
              (batchSize / rate * 1e6) / Math.max(batchSize / base * 1e6, spentUs[i]));
    }

    /** The median overlap over that of the two spinning counters: what the prefetcher adds. */
    double overlapVsSpin() {
      return overlap().median() / spinOverlap().median();
    }

    /**
     * The mean time of a fill on the prefetch thread in this run (warm-up passes included), in
     * microseconds; 0 when it filled none.
     */
    double fillUs() {
      Number n = metrics.get("producer_fill_ns_mean");
      return n == null ? 0 : n.doubleValue() / 1e3;
    }

    /**
     * Per pass: time per batch over max(the prefetch thread's fill time, work done). Where {@link
     * #overlap} is high and this is near 1, the hand-off costs little and reading itself slowed
     * down while the consumer worked on the other core.
     */
    Stats overlapVsFill() {
      return pairs(
          (i, rate, base) -> (batchSize / rate * 1e6) / Math.max(fillUs(), passSpentUs[i]));
    }

    /** The prefetch thread's time per fill over the no_prefetch read time of the passes. */
    double fillOverRead() {
      return fillUs() / readUs();
    }

    /** The no_prefetch read time per batch of the measured passes, in microseconds. */
    double readUs() {
      return batchSize / baseline.stats().median() * 1e6;
    }

    /** False when the machine changed speed after the calibration (see {@link #calibrationOff}). */
    boolean calibrated() {
      return !calibrationOff(workUs(), readUs());
    }

    /** This run's passes over the no_prefetch passes measured beside them, pair by pair. */
    Stats ratio() {
      return pairs((i, rate, base) -> rate / base);
    }

    /** {@code f}(pass i, this run's rate, the no_prefetch rate) of each pair of passes. */
    private Stats pairs(PairFunction f) {
      return pairs(result.rates(), f);
    }

    /** {@code f}(pass i, {@code a[i]}, the no_prefetch rate) of each pair of passes. */
    private Stats pairs(double[] a, PairFunction f) {
      double[] b = baseline.rates();
      double[] r = new double[a.length];
      for (int i = 0; i < a.length; i++) {
        r[i] = f.apply(i, a[i], b[i]);
      }
      return Stats.of(r);
    }
  }

  @Override
  public Integer call() throws IOException {
    if (passes < 1 || warmup < 0 || minPassSeconds < 0 || consumerWorkUs < 0) {
      throw new CliException(
          "need --passes >= 1, --warmup >= 0, --min-pass-seconds >= 0 and"
              + " --consumer-work-us >= 0");
    }
    if ((vsNoPrefetch || overlap) && noPrefetch) {
      throw new CliException(
          (overlap ? "--overlap" : "--vs-no-prefetch")
              + " compares with --no-prefetch; give only one");
    }
    if (overlap && consumerWorkUs > 0) {
      throw new CliException("--overlap sets the consumer work itself; drop --consumer-work-us");
    }
    for (int b : batchSizes) {
      if (b < 1) {
        throw new CliException("--batch-size must be >= 1, got " + b);
      }
    }
    String own = Dbs.inputType(in.type != null && !in.type.contains(",") ? in.type : null, in.path);
    Set<String> types = new LinkedHashSet<>();
    if (in.type == null) {
      types.add(own);
    } else {
      for (String t : in.type.split(",")) {
        types.add(Dbs.canonical(t.trim(), in.path));
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    List<Run> runs = new ArrayList<>();
    Path scratch = null;
    try {
      for (String type : types) {
        String path = in.path;
        if (!type.equals(own)) {
          if (scratch == null) {
            scratch = Files.createTempDirectory("cortado-bench-");
          }
          path = copy(own, type, scratch);
        }
        for (int b : batchSizes) {
          Run run = bench(type, path, b);
          runs.add(run);
          print(out, run);
        }
      }
    } finally {
      if (scratch != null) {
        dev.cortado.db.DbOutput.deleteTree(scratch);
      }
    }
    if (plot != null) {
      List<BarChart.Bar> bars = new ArrayList<>();
      for (Run r : runs) {
        Stats s = r.result().stats();
        bars.add(
            new BarChart.Bar(r.dbType() + " batch " + r.batchSize(), s.median(), s.min(), s.max()));
      }
      PlotCommand.writeSvg(plot, BarChart.svg(bars, "cortado bench: " + in.path, "items/s"));
    }
    out.flush();
    return 0;
  }

  private String copy(String own, String type, Path scratch) {
    Path target = scratch.resolve("db-" + type);
    StringWriter err = new StringWriter();
    int exit =
        Main.run(
            new PrintWriter(new StringWriter()),
            new PrintWriter(err),
            "convert-db",
            "--db",
            in.path,
            "--db-type",
            own,
            "--out",
            target.toString(),
            "--out-type",
            type,
            "-q");
    if (exit != 0) {
      throw new CliException(
          "cannot copy "
              + in.path
              + " into a "
              + type
              + " DB for the"
              + " benchmark: "
              + err.toString().strip());
    }
    return target.toString();
  }

  private Run bench(String dbType, String db, int batchSize) {
    InputNets.Shape shape = InputNets.scan(dbType, db);
    long batchesPerPass = (shape.records() + batchSize - 1) / batchSize;
    List<Argument> extra = new ArrayList<>();
    if (prefetchDepth != null) {
      extra.add(InputNets.i("prefetch_depth", prefetchDepth));
    }
    if (decodeThreads != null) {
      extra.add(InputNets.i("decode_threads", decodeThreads));
    }
    if (noPrefetch) {
      extra.add(InputNets.i("no_prefetch", 1));
    }
    CortadoRuntime rt = Runtimes.start();
    Map<String, Number> metrics;
    Passes.Result result;
    Passes.Result baseline;
    double[] passWorkUs;
    double[] passSpentUs;
    Passes.Result spin;
    double[] spinSpentUs;
    ReadTimes readTimes = null;
    long bytesPerBatch = 0;
    try (Workspace ws = rt.newWorkspace()) {
      RunNetCommand.runOrExplain(
          Dbs.describe(dbType, db) + ": CreateDB",
          () -> ws.runNetOnce(InputNets.initNet(dbType, db)));
      Net net =
          RunNetCommand.runOrExplainGet(
              Dbs.describe(dbType, db),
              () -> ws.createNet(InputNets.inputNet(shape.outputs(), batchSize, extra), true));
      RunNetCommand.runOrExplain(Dbs.describe(dbType, db), net::run);
      for (String name : InputNets.outputNames(shape.outputs())) {
        bytesPerBatch += ws.blob(name).tensor().nbytes();
      }
      Net baselineNet = null;
      long workNanos = consumerWorkUs * 1000;
      if (vsNoPrefetch || overlap) {
        List<Argument> inline = new ArrayList<>(extra);
        inline.add(InputNets.i("no_prefetch", 1));
        // The same reader blob: both nets read on from one cursor, as two Caffe2 inputs would.
        NetDef def =
            InputNets.inputNet(shape.outputs(), batchSize, inline).toBuilder()
                .setName("input_no_prefetch")
                .build();
        baselineNet =
            RunNetCommand.runOrExplainGet(Dbs.describe(dbType, db), () -> ws.createNet(def, true));
        RunNetCommand.runOrExplain(Dbs.describe(dbType, db), baselineNet::run);
      }
      String label = dbType + " batch " + batchSize;
      if (overlap) {
        workNanos = calibrate(dbType, db, baselineNet, batchSize, batchesPerPass, label);
        readTimes = timeReads(dbType, db, baselineNet);
      }
      ConsumerWork consumer = new ConsumerWork(workNanos, batchSize);
      List<String> labels = new ArrayList<>(List.of(label));
      List<Passes.Epoch> epochs =
          new ArrayList<>(
              List.of(
                  epoch(
                      dbType,
                      db,
                      net,
                      batchesPerPass,
                      consumer::nanos,
                      consumer::work,
                      consumer::passBegins,
                      rate -> consumer.consumerPassDone())));
      if (baselineNet != null) {
        labels.add(label + ", no_prefetch");
        long baselineWork = overlap ? 0 : workNanos;
        epochs.add(
            epoch(
                dbType,
                db,
                baselineNet,
                batchesPerPass,
                () -> baselineWork,
                BenchCommand::busyWait,
                () -> {},
                overlap ? consumer::readPass : rate -> {}));
      }
      Passes.Result[] results;
      // The same no_prefetch net, run by the pipeline's thread only during its own passes.
      try (SpinPipeline spinPipeline =
              overlap ? new SpinPipeline(baselineNet::run, spinDepth()) : null;
          Progress progress = Progress.start(spec, "bench " + label, -1, "pass")) {
        if (spinPipeline != null) {
          labels.add(label + ", two spinning counters");
          epochs.add(spinEpoch(dbType, db, spinPipeline, batchesPerPass, consumer));
        }
        results =
            Passes.measure(
                spec.commandLine().getOut(),
                spec.commandLine().getErr(),
                labels.toArray(new String[0]),
                batchesPerPass * batchSize,
                passes,
                warmup,
                minPassSeconds,
                epochs.toArray(new Passes.Epoch[0]),
                progress);
        progress.done();
      }
      result = results[0];
      baseline = baselineNet == null ? null : results[1];
      spin = overlap ? results[2] : null;
      passWorkUs = consumer.lastPassesUs(passes);
      passSpentUs = consumer.lastPassesSpentUs(passes);
      spinSpentUs = overlap ? consumer.lastSpinPassesSpentUs(passes) : null;
      Operator input = net.operators().get(0);
      metrics = input.metrics();
    }
    double mbMedian = result.stats().median() / batchSize * bytesPerBatch / 1e6;
    Object depth = noPrefetch ? 0 : metrics.getOrDefault("prefetch_depth", prefetchDepth);
    Object threads = metrics.getOrDefault("decode_threads", decodeThreads);
    return new Run(
        dbType,
        batchSize,
        shape.records(),
        batchesPerPass,
        result,
        mbMedian,
        depth,
        threads,
        baseline,
        metrics,
        passWorkUs,
        passSpentUs,
        readTimes,
        spin,
        spinSpentUs);
  }

  /**
   * The no_prefetch read time per batch, in nanoseconds: rounds of {@value #CALIBRATION_PASSES}
   * passes until two rounds in a row agree within {@value #CALIBRATION_AGREEMENT} (at most {@value
   * #CALIBRATION_ROUNDS} rounds). A single round right after start-up can read twice the settled
   * time while the JIT compiles on the other core, and the overlap would then be measured against a
   * consumer that is the bottleneck.
   */
  private long calibrate(
      String dbType, String db, Net baselineNet, int batchSize, long batchesPerPass, String label) {
    double previous = Double.NaN;
    double rate = Double.NaN;
    for (int round = 0; round < CALIBRATION_ROUNDS; round++) {
      try (Progress progress = Progress.start(spec, "calibrate " + label, -1, "pass")) {
        rate =
            Passes.measure(
                    spec.commandLine().getOut(),
                    spec.commandLine().getErr(),
                    label + ", no_prefetch (calibration)",
                    batchesPerPass * batchSize,
                    CALIBRATION_PASSES,
                    warmup,
                    minPassSeconds,
                    epoch(
                        dbType,
                        db,
                        baselineNet,
                        batchesPerPass,
                        () -> 0,
                        BenchCommand::busyWait,
                        () -> {},
                        r -> {}),
                    progress)
                .stats()
                .median();
        progress.done();
      }
      if (Math.abs(rate / previous - 1) <= CALIBRATION_AGREEMENT) {
        break;
      }
      previous = rate;
    }
    return Math.round(batchSize / rate * 1e9);
  }

  /**
   * Times runs of the no_prefetch {@code net} one by one, for about {@code --min-pass-seconds} (at
   * most {@value #MAX_TIMED_BATCHES} runs), outside the measured passes: a clock read per batch
   * would slow the passes that the ratios compare.
   */
  private ReadTimes timeReads(String dbType, String db, Net net) {
    long[] times = new long[MAX_TIMED_BATCHES];
    long end = System.nanoTime() + Math.round(minPassSeconds * 1e9);
    int n =
        RunNetCommand.runOrExplainGet(Dbs.describe(dbType, db), () -> timeRuns(net, times, end));
    return ReadTimes.of(Arrays.copyOf(times, n));
  }

  /**
   * Runs {@code net} until {@code end} (at least {@value #MIN_TIMED_BATCHES} times, at most {@code
   * times.length}), storing each run's time; returns how many ran.
   */
  private static int timeRuns(Net net, long[] times, long end) {
    int n = 0;
    long previous = System.nanoTime();
    while (n < times.length && (n < MIN_TIMED_BATCHES || previous - end < 0)) {
      net.run();
      long now = System.nanoTime();
      times[n++] = now - previous;
      previous = now;
    }
    return n;
  }

  /**
   * The depth of the spinning counters: the run's prefetch depth (Caffe2's 1 by default), which the
   * operator has already checked when the net was created.
   */
  private int spinDepth() {
    return prefetchDepth == null ? PrefetchOperator.DEFAULT_PREFETCH_DEPTH : prefetchDepth;
  }

  /**
   * {@code batchesPerPass} runs of the no_prefetch net on the reader thread of {@code spin}, handed
   * to this one, which works the consumer's time on each: the overlap of the cheapest hand-off,
   * measured between the same passes as the prefetcher's.
   */
  private static Passes.Epoch spinEpoch(
      String dbType, String db, SpinPipeline spin, long batchesPerPass, ConsumerWork consumer) {
    return epoch(
        Dbs.describe(dbType, db),
        consumer::nanos,
        nanos -> spin.run(batchesPerPass, () -> consumer.work(nanos)),
        consumer::passBegins,
        rate -> consumer.spinPassDone());
  }

  /**
   * {@code batchesPerPass} runs of {@code net}, each followed by {@code work} of {@code nanos}
   * (read once per epoch), with the given hooks around each pass.
   */
  private static Passes.Epoch epoch(
      String dbType,
      String db,
      Net net,
      long batchesPerPass,
      LongSupplier nanos,
      LongConsumer work,
      Runnable beforePass,
      DoubleConsumer afterPass) {
    return epoch(
        Dbs.describe(dbType, db),
        nanos,
        n -> {
          for (long b = 0; b < batchesPerPass; b++) {
            net.run();
            work.accept(n);
          }
        },
        beforePass,
        afterPass);
  }

  /**
   * An epoch that runs {@code pass} with the consumer's work per batch ({@code work}, read once per
   * epoch), with the given hooks around each pass. One error wrapper, naming {@code what}, goes
   * around the whole epoch: the loop is what is timed, so it builds no message and no lambda per
   * batch.
   */
  private static Passes.Epoch epoch(
      String what,
      LongSupplier work,
      LongConsumer pass,
      Runnable beforePass,
      DoubleConsumer afterPass) {
    return new Passes.Epoch() {
      @Override
      public void run() {
        long nanos = work.getAsLong();
        RunNetCommand.runOrExplain(what, () -> pass.accept(nanos));
      }

      @Override
      public void beforePass() {
        beforePass.run();
      }

      @Override
      public void afterPass(double itemsPerSecond) {
        afterPass.accept(itemsPerSecond);
      }
    };
  }

  /**
   * True when the calibrated consumer work and the read time of the measured passes differ by more
   * than {@value #CALIBRATION_TOLERANCE}x either way: the machine changed speed after the
   * calibration, and the overlap then measures a consumer (or a reader) that is the bottleneck.
   */
  static boolean calibrationOff(double workUs, double readUs) {
    return !withinTolerance(workUs / readUs);
  }

  /** True when {@code ratio} lies within {@value #CALIBRATION_TOLERANCE}x of 1 either way. */
  private static boolean withinTolerance(double ratio) {
    return ratio <= CALIBRATION_TOLERANCE && ratio >= 1 / CALIBRATION_TOLERANCE;
  }

  /**
   * True when the prefetch thread's fills took more than {@value #CALIBRATION_TOLERANCE}x the
   * no_prefetch read time, or less than its inverse: the two threads did not run at the same speed.
   * NaN (nothing to compare) is not flagged; the caller leaves out runs whose prefetch thread
   * filled nothing (every batch read by a paced consumer), whose ratio is 0.
   */
  static boolean speedsDiffer(double fillOverRead) {
    return !Double.isNaN(fillOverRead) && !withinTolerance(fillOverRead);
  }

  /** One warning line on stderr. */
  private void warn(String format, Object... args) {
    PrintWriter err = spec.commandLine().getErr();
    err.printf(format, args);
    err.flush();
  }

  private void print(PrintWriter out, Run r) {
    if (overlap && r.fillUs() > 0 && speedsDiffer(r.fillOverRead())) {
      warn(
          "%s batch %d: warning: the prefetch thread's fills took %.2fx the no_prefetch read time"
              + " (%.1f against %.1f us): the two threads did not run at the same speed (another"
              + " process, or the host of a virtual machine), and the overlap mixes that in with"
              + " the hand-off; time per batch / max(fill, work) is %.3f%n",
          r.dbType(),
          r.batchSize(),
          r.fillOverRead(),
          r.fillUs(),
          r.readUs(),
          r.overlapVsFill().median());
    }
    if (overlap && !r.calibrated()) {
      warn(
          "%s batch %d: warning: the consumer work (%.1f us, calibrated) and the read time of the"
              + " passes (%.1f us) differ by more than %.1fx; the machine changed speed after the"
              + " calibration, so the overlap does not compare like with like: run it again%n",
          r.dbType(), r.batchSize(), r.workUs(), r.readUs(), CALIBRATION_TOLERANCE);
    }
    Stats s = r.result().stats();
    if (json.json) {
      out.println(
          new JsonLine()
              .put("label", r.dbType() + " batch " + r.batchSize())
              .put("items_per_s_median", s.median(), 0)
              .put("items_per_s_min", s.min(), 0)
              .put("items_per_s_max", s.max(), 0)
              .put("mb_per_s_median", r.mbMedian(), 1)
              .put("spread", r.result().spread(), 3)
              .put("passes", passes)
              .put("epochs_per_pass", r.result().epochsPerPass())
              .put("warmup", r.result().warmupPasses())
              .put("warmup_settled", r.result().settled())
              .put("batch_size", r.batchSize())
              .put("batches_per_epoch", r.batchesPerPass())
              .put("batches_per_pass", r.batchesPerPass() * r.result().epochsPerPass())
              .put("records", r.records())
              .put("db", in.path)
              .put("db_type", r.dbType())
              .put("prefetch_depth", r.depth())
              .put("decode_threads", r.threads())
              .put("no_prefetch", noPrefetch)
              .put("consumer_work_us", r.workUs(), 1)
              .put("batches", r.metrics().get("batches"))
              .put("consumer_fills", r.metrics().get("consumer_fills"))
              .put("consumer_waits", r.metrics().get("consumer_waits")));
      if (r.baseline() != null) {
        Stats b = r.baseline().stats();
        JsonLine line =
            new JsonLine()
                .put("label", r.dbType() + " batch " + r.batchSize() + ", no_prefetch")
                .put("items_per_s_median", b.median(), 0)
                .put("items_per_s_min", b.min(), 0)
                .put("items_per_s_max", b.max(), 0);
        if (!overlap) {
          Stats q = r.ratio();
          line.put("ratio_median", q.median(), 3)
              .put("ratio_min", q.min(), 3)
              .put("ratio_max", q.max(), 3);
        }
        out.println(
            line.put("passes", passes)
                .put("batch_size", r.batchSize())
                .put("db_type", r.dbType())
                .put("no_prefetch", true)
                .put("consumer_work_us", overlap ? 0 : r.workUs(), 1));
      }
      if (overlap) {
        Stats o = r.overlap();
        Stats spin = r.spinOverlap();
        out.println(
            new JsonLine()
                .put("label", r.dbType() + " batch " + r.batchSize() + ", overlap")
                .put("consumer_work_us", r.workUs(), 1)
                .put("consumer_work_spent_us", r.workSpentUs(), 2)
                .put("read_us", r.readUs(), 1)
                .put("calibrated", r.calibrated())
                .put("overlap_median", o.median(), 3)
                .put("overlap_min", o.min(), 3)
                .put("overlap_max", o.max(), 3)
                .put("fill_us", r.fillUs(), 1)
                .put("fill_over_read", r.fillOverRead(), 3)
                .put("overlap_vs_fill_median", r.overlapVsFill().median(), 3)
                .put("read_p50_us", r.readTimes().p50Us(), 1)
                .put("read_p99_us", r.readTimes().p99Us(), 1)
                .put("lockstep_bound", r.readTimes().lockstepBound(), 3)
                .put("overlap_vs_bound_median", r.overlapVsBound(), 3)
                .put("spin_work_spent_us", r.spinWorkSpentUs(), 2)
                .put("spin_overlap_median", spin.median(), 3)
                .put("spin_overlap_min", spin.min(), 3)
                .put("spin_overlap_max", spin.max(), 3)
                .put("overlap_vs_spin_median", r.overlapVsSpin(), 3)
                .put("passes", passes)
                .put("batch_size", r.batchSize())
                .put("db_type", r.dbType()));
      }
    } else {
      out.printf(
          "%s: %d records, batch %d, %d batches per epoch, %d epoch%s per pass,"
              + " prefetch_depth %s, decode_threads %s%s%n",
          Dbs.describe(r.dbType(), in.path),
          r.records(),
          r.batchSize(),
          r.batchesPerPass(),
          r.result().epochsPerPass(),
          r.result().epochsPerPass() == 1 ? "" : "s",
          r.depth(),
          r.threads(),
          (noPrefetch ? ", no_prefetch" : "")
              + (r.workUs() > 0
                  ? String.format(", consumer work %.1f us per batch", r.workUs())
                  : ""));
      out.printf(
          "%,.0f items/s median (min %,.0f, max %,.0f), %.1f MB/s, over %d passes after"
              + " %d warm-up passes%n",
          s.median(), s.min(), s.max(), r.mbMedian(), passes, r.result().warmupPasses());
      if (r.baseline() != null) {
        Stats b = r.baseline().stats();
        out.printf(
            "no_prefetch, in alternate passes: %,.0f items/s median (min %,.0f, max %,.0f)",
            b.median(), b.min(), b.max());
        if (overlap) {
          out.printf(", without consumer work%n");
        } else {
          Stats q = r.ratio();
          out.printf(
              "; this run / no_prefetch, pass by pass: %.3f median (min %.3f, max %.3f)%n",
              q.median(), q.min(), q.max());
        }
      }
      if (overlap) {
        Stats o = r.overlap();
        out.printf(
            "overlap: time per batch with %.1f us of consumer work (the no_prefetch read time,"
                + " %.1f us in the passes; %.2f us as done) / max(read, work done), pass by pass:"
                + " %.3f median (min %.3f, max %.3f)%n",
            r.workUs(), r.readUs(), r.workSpentUs(), o.median(), o.min(), o.max());
        out.printf(
            "the prefetch thread's fills took %.1f us per batch, %.2fx the no_prefetch read time;"
                + " time per batch / max(fill, work): %.3f median (reading slows down while the"
                + " consumer works on the other core; the rest is the hand-off)%n",
            r.fillUs(), r.fillOverRead(), r.overlapVsFill().median());
        ReadTimes t = r.readTimes();
        out.printf(
            "single no_prefetch reads took %.1f us (median), %.1f us (99th percentile); a hand-off"
                + " that cost nothing would give %.3f at depth 1, where each batch waits for the"
                + " slower of its read and the work; overlap / that: %.3f%n",
            t.p50Us(), t.p99Us(), t.lockstepBound(), r.overlapVsBound());
        Stats spin = r.spinOverlap();
        out.printf(
            "the same reads on a second thread, handed over through two counters that both threads"
                + " spin on (no lock, no parking, no close or failure handling), in alternate"
                + " passes: %.3f median (min %.3f, max %.3f); overlap / that: %.3f%n",
            spin.median(), spin.min(), spin.max(), r.overlapVsSpin());
      }
    }
    out.flush();
  }

  static final int CALIBRATION_PASSES = 3;
  static final int MIN_TIMED_BATCHES = 1_000;
  static final int MAX_TIMED_BATCHES = 1 << 17;
  static final int CALIBRATION_ROUNDS = 5;
  static final double CALIBRATION_AGREEMENT = 0.03;
  static final double CALIBRATION_TOLERANCE = 1.1;

  /**
   * Keeps this thread busy for {@code nanos}, like a compute step; the clock calibrates it. Returns
   * the nanoseconds it took, from its first clock read to its last: more than {@code nanos} when
   * the thread stalled across the end.
   */
  static long busyWait(long nanos) {
    if (nanos <= 0) {
      return 0;
    }
    long start = System.nanoTime();
    long end = start + nanos;
    long now;
    while ((now = System.nanoTime()) - end < 0) {
      Thread.onSpinWait();
    }
    return now - start;
  }
}
