package dev.cortado.cli;

import dev.cortado.plan.PlanExecutor;
import dev.cortado.proto.PlanDef;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.workspace.Workspace;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code cortado run-plan}: Caffe2's run_plan, but a failed plan exits non-zero. */
@Command(
    name = "run-plan",
    sortOptions = false,
    description = {
      "Runs a whole PlanDef in a fresh workspace whose root folder is the current directory, as"
          + " Caffe2's run_plan does; text or binary format, detected from the content. Unlike"
          + " run_plan, a failed plan exits non-zero with the cause.",
      "Without --digest, prints one summary line: the plan's execution steps, its nets and the"
          + " seconds it ran (with --json as {\"plan\",\"steps\",\"nets\",\"seconds\"}). With"
          + " --digest, prints one JSON line {\"run\":0,\"outputs\":[...]} after the plan (see"
          + " run-net)."
    })
final class RunPlanCommand implements Callable<Integer> {
  /** Execution steps in the plan, substeps included. */
  static int steps(PlanDef plan) {
    int n = 0;
    for (dev.cortado.proto.ExecutionStep s : plan.getExecutionStepList()) {
      n += steps(s);
    }
    return n;
  }

  private static int steps(dev.cortado.proto.ExecutionStep step) {
    int n = 1;
    for (dev.cortado.proto.ExecutionStep s : step.getSubstepList()) {
      n += steps(s);
    }
    return n;
  }

  @Spec CommandSpec spec;

  @Mixin HelpOption helpOption;

  @Parameters(index = "0", paramLabel = "PLAN", description = "PlanDef file.")
  Path plan;

  @Option(
      names = "--digest",
      paramLabel = "BLOB[,BLOB...]",
      description = "Blobs to digest after the plan; repeatable.")
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
          "Replace argument NAME of every operator that has it, in every net of the"
              + " plan, keeping its type; repeatable.")
  List<String> set = new ArrayList<>();

  @Mixin Options.Json json;

  @Override
  public Integer call() {
    ArgOverrides overrides = new ArgOverrides(set);
    PlanDef planDef = overrides.apply(ProtoFiles.read(plan, PlanDef.getDefaultInstance(), "plan"));
    overrides.checkAllUsed(plan.toString());
    Digests digests = new Digests(Digests.names(digest));
    PrintWriter out = spec.commandLine().getOut();
    CortadoRuntime rt = Runtimes.start(overwrite);
    try (Workspace ws = rt.newWorkspace()) {
      RunNetCommand.runOrExplain("plan " + plan, () -> PlanExecutor.run(planDef, ws));
      if (!digests.isEmpty()) {
        out.println(digests.line(ws, 0));
      }
      out.flush();
    }
    return 0;
  }
}
