package dev.cortado.cli;

import dev.cortado.net.Net;
import dev.cortado.operator.Operator;
import dev.cortado.proto.NetDef;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.workspace.Workspace;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cortado run-net}: runs an init net once, then a net K times, printing blob digests. */
@Command(
    name = "run-net",
    sortOptions = false,
    description = {
      "Runs INIT once, creates NET and runs it K times in one workspace. NetDef files may be"
          + " protobuf text (.pbtxt) or binary (.pb); the format is detected from the content.",
      "With --digest, after each run prints one JSON line:",
      "  {\"run\":r,\"outputs\":[{\"name\":\"data\",\"dtype\":\"uint8\",\"shape\":[64,1,28,28],"
          + "\"nbytes\":50176,\"sha256\":\"...\"}]}",
      "sha256 covers the tensor's bytes (C order, little-endian; strings as u32 length + bytes)."
    })
final class RunNetCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin HelpOption helpOption;

  @Option(names = "--init", paramLabel = "INIT", description = "NetDef run once first (optional).")
  Path init;

  @Option(names = "--net", required = true, paramLabel = "NET", description = "NetDef to run.")
  Path net;

  @Option(
      names = "--iterations",
      paramLabel = "K",
      defaultValue = "1",
      description = "Runs of NET (default: ${DEFAULT-VALUE}).")
  int iterations;

  @Option(
      names = "--digest",
      paramLabel = "BLOB[,BLOB...]",
      description = "Blobs to digest after each run; repeatable.")
  List<String> digest = new ArrayList<>();

  @Option(
      names = "--overwrite",
      description =
          "Let Save replace an existing DB, once the new one is complete (without it,"
              + " Save refuses a DB that exists before the run).")
  boolean overwrite;

  @Option(
      names = "--set",
      paramLabel = "NAME=VALUE",
      description =
          "Replace argument NAME of every operator that has it (in both nets), keeping"
              + " its type, e.g. --set db=/data/mnist-lmdb --set batch_size=256; repeatable.")
  List<String> set = new ArrayList<>();

  @Option(
      names = "--stats",
      description =
          "After the last run, print one JSON line {\"stats\":[...]} with the metrics of"
              + " every operator that keeps some (TensorProtosDBInput: records read, batches, time"
              + " waiting for the producer, queue occupancy).")
  boolean stats;

  @Override
  public Integer call() {
    if (iterations < 0) {
      throw new CliException("--iterations must be >= 0, got " + iterations);
    }
    ArgOverrides overrides = new ArgOverrides(set);
    NetDef initDef =
        init == null
            ? null
            : overrides.apply(ProtoFiles.read(init, NetDef.getDefaultInstance(), "init net"));
    NetDef netDef = overrides.apply(ProtoFiles.read(net, NetDef.getDefaultInstance(), "net"));
    if (netDef.getName().isEmpty()) {
      // A workspace keeps nets by name; an unnamed NetDef is named after its file.
      netDef = netDef.toBuilder().setName(net.getFileName().toString()).build();
    }
    overrides.checkAllUsed(init == null ? net.toString() : init + " or " + net);
    Digests digests = new Digests(Digests.names(digest));
    PrintWriter out = spec.commandLine().getOut();

    CortadoRuntime rt = Runtimes.start(overwrite);
    try (Workspace ws = rt.newWorkspace()) {
      if (initDef != null) {
        runOrExplain("init net " + init, () -> ws.runNetOnce(initDef));
      }
      NetDef named = netDef;
      Net created = runOrExplainGet("net " + net, () -> ws.createNet(named, true));
      try (Progress progress = Progress.start(spec, "run-net", iterations, "run")) {
        for (int r = 0; r < iterations; r++) {
          runOrExplain("net " + net + " run " + r, created::run);
          if (!digests.isEmpty()) {
            out.println(digests.line(ws, r));
          }
          progress.step();
        }
      }
      if (stats) {
        out.println(statsLine(created));
      }
      out.flush();
    }
    return 0;
  }

  /** One JSON line with the metrics of every operator that reports some. */
  static String statsLine(Net net) {
    List<Map<String, Object>> ops = new ArrayList<>();
    List<Operator> operators = net.operators();
    for (int i = 0; i < operators.size(); i++) {
      Map<String, Number> metrics = operators.get(i).metrics();
      if (metrics.isEmpty()) {
        continue;
      }
      JsonLine entry =
          new JsonLine()
              .put("net", net.name())
              .put("index", i)
              .put("type", net.def().getOp(i).getType())
              .put("name", net.def().getOp(i).getName());
      metrics.forEach(entry::put);
      ops.add(entry.asMap());
    }
    return new JsonLine().put("stats", ops).toString();
  }

  static void runOrExplain(String what, Runnable work) {
    runOrExplainGet(
        what,
        () -> {
          work.run();
          return null;
        });
  }

  static <T> T runOrExplainGet(String what, java.util.function.Supplier<T> work) {
    try {
      return work.get();
    } catch (CliException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new CliException(what + ": " + Errors.oneLine(e), e);
    }
  }
}
