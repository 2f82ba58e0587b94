package dev.cortado.cli;

import dev.cortado.net.Net;
import dev.cortado.operator.Operator;
import dev.cortado.proto.Argument;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.workspace.Workspace;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cortado bench}: CreateDB + TensorProtosDBInput through a net, epochs per second. */
@Command(
    name = "bench",
    sortOptions = false,
    description = {
      "Measures the whole input path: CreateDB + TensorProtosDBInput in a net, one full epoch"
          + " (ceil(records / batch size) runs) per pass, after --warmup unmeasured passes. Items"
          + " are records; MB are 10^6 bytes of output tensors."
    })
final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin HelpOption helpOption;

  @Option(names = "--db", required = true, paramLabel = "PATH", description = "DB to read.")
  String db;

  @Option(names = "--db-type", required = true, paramLabel = "TYPE",
      description = "Backend: " + Dbs.TYPE_HELP)
  String dbType;

  @Option(names = "--batch-size", required = true, paramLabel = "B",
      description = "TensorProtosDBInput batch_size.")
  int batchSize;

  @Option(names = "--passes", paramLabel = "N", defaultValue = "5",
      description = "Measured epochs (default: ${DEFAULT-VALUE}).")
  int passes;

  @Option(names = "--warmup", paramLabel = "N", defaultValue = "1",
      description = "Unmeasured epochs first (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--prefetch-depth", paramLabel = "D",
      description = "prefetch_depth argument (default: the operator's).")
  Integer prefetchDepth;

  @Option(names = "--decode-threads", paramLabel = "K",
      description = "decode_threads argument (default: the operator's).")
  Integer decodeThreads;

  @Option(names = "--no-prefetch", description = "no_prefetch=1: read and decode inline.")
  boolean noPrefetch;

  @Option(names = "--consumer-work-us", paramLabel = "N", defaultValue = "0",
      description = "Busy-wait N microseconds on the calling thread after each batch, as a"
          + " training step would (default: ${DEFAULT-VALUE}); with prefetch the reads overlap it.")
  long consumerWorkUs;

  @Option(names = "--json",
      description = "One JSON line: {\"items_per_s_median\",\"items_per_s_min\","
          + "\"items_per_s_max\",\"mb_per_s_median\",\"passes\",\"batch_size\",\"db_type\","
          + "\"prefetch_depth\",\"decode_threads\",...}.")
  boolean json;

  @Override
  public Integer call() {
    if (batchSize < 1 || passes < 1 || warmup < 0 || consumerWorkUs < 0) {
      throw new CliException("need --batch-size >= 1, --passes >= 1, --warmup >= 0 and"
          + " --consumer-work-us >= 0");
    }
    long workNanos = consumerWorkUs * 1000;
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
    PrintWriter out = spec.commandLine().getOut();
    CortadoRuntime rt = Runtimes.start();
    double[] items = new double[passes];
    double[] mb = new double[passes];
    Map<String, Number> metrics;
    long bytesPerBatch = 0;
    try (Workspace ws = rt.newWorkspace()) {
      RunNetCommand.runOrExplain(Dbs.describe(dbType, db) + ": CreateDB",
          () -> ws.runNetOnce(InputNets.initNet(dbType, db)));
      Net net = RunNetCommand.runOrExplainGet(Dbs.describe(dbType, db),
          () -> ws.createNet(InputNets.inputNet(shape.outputs(), batchSize, extra), true));
      try (Progress progress =
          Progress.start(spec, "bench", (warmup + passes) * batchesPerPass, "batch")) {
        for (int p = 0; p < warmup + passes; p++) {
          long start = System.nanoTime();
          for (long b = 0; b < batchesPerPass; b++) {
            RunNetCommand.runOrExplain(Dbs.describe(dbType, db), net::run);
            if (workNanos > 0) {
              busyWait(workNanos);
            }
          }
          double seconds = (System.nanoTime() - start) / 1e9;
          progress.stepBy(batchesPerPass);
          if (p == 0) {
            for (String name : InputNets.outputNames(shape.outputs())) {
              bytesPerBatch += ws.blob(name).tensor().nbytes();
            }
          }
          if (p >= warmup) {
            items[p - warmup] = batchesPerPass * batchSize / seconds;
            mb[p - warmup] = batchesPerPass * bytesPerBatch / 1e6 / seconds;
          }
        }
      }
      Operator input = net.operators().get(0);
      metrics = input.metrics();
    }
    Stats itemStats = Stats.of(items);
    Stats mbStats = Stats.of(mb);
    Object depth = noPrefetch ? 0 : metrics.getOrDefault("prefetch_depth", prefetchDepth);
    Object threads = metrics.getOrDefault("decode_threads", decodeThreads);
    if (json) {
      out.println(new JsonLine()
          .put("items_per_s_median", itemStats.median(), 0)
          .put("items_per_s_min", itemStats.min(), 0)
          .put("items_per_s_max", itemStats.max(), 0)
          .put("mb_per_s_median", mbStats.median(), 1)
          .put("passes", passes)
          .put("warmup", warmup)
          .put("batch_size", batchSize)
          .put("batches_per_pass", batchesPerPass)
          .put("records", shape.records())
          .put("db_type", dbType)
          .put("prefetch_depth", depth)
          .put("decode_threads", threads)
          .put("no_prefetch", noPrefetch)
          .put("consumer_work_us", consumerWorkUs));
    } else {
      out.printf("%s: %d records, batch %d, %d batches per epoch, prefetch_depth %s,"
              + " decode_threads %s%s%s%n", Dbs.describe(dbType, db), shape.records(), batchSize,
          batchesPerPass, depth, threads, noPrefetch ? ", no_prefetch" : "",
          consumerWorkUs > 0 ? ", consumer work " + consumerWorkUs + " us per batch" : "");
      out.printf("%,.0f items/s median (min %,.0f, max %,.0f), %.1f MB/s, over %d epochs%n",
          itemStats.median(), itemStats.min(), itemStats.max(), mbStats.median(), passes);
    }
    out.flush();
    return 0;
  }

  /** Keeps this thread busy for {@code nanos}, like a compute step; the clock is the calibration. */
  static void busyWait(long nanos) {
    long end = System.nanoTime() + nanos;
    while (System.nanoTime() - end < 0) {
      Thread.onSpinWait();
    }
  }
}
