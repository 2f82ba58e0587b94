package dev.cortado.reliability;

import com.google.protobuf.ByteString;
import dev.cortado.CortadoException;
import dev.cortado.net.Net;
import dev.cortado.plan.PlanExecutor;
import dev.cortado.proto.Argument;
import dev.cortado.proto.ExecutionStep;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.proto.PlanDef;
import dev.cortado.workspace.Workspace;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs fuzzed NetDefs and PlanDefs in a fresh workspace whose root folder is a temporary directory,
 * with a time bound; only a {@link CortadoException} may come out.
 *
 * <p>Before running, a def is made safe to run, never valid: DB paths are pointed into the
 * temporary folder (the fuzzer must not write elsewhere), blob names lose '/', and sizes and
 * iteration counts that would legitimately take unbounded time or memory are clamped (a plan that
 * loops for 10^12 iterations or a fill of 10^9 elements is a correct program, not a bug). Argument
 * tensors, names, types, devices, engines and everything else are left as fuzzed.
 */
final class NetHarness {
  static final Duration LIMIT = Duration.ofSeconds(10);
  private static final long MAX_INT = 32;
  private static final int MAX_LIST = 4;

  /** db0..db2 exist in the root folder (as minidb files and memory DBs) before each input. */
  private static final int DBS = 3;

  private static final boolean FUZZING = System.getenv("JAZZER_FUZZ") != null;
  private static final PrintStream NOWHERE = new PrintStream(OutputStream.nullOutputStream());

  private static final List<byte[]> MINIDB_FILES = minidbFiles();

  private final Bounded bound;

  NetHarness(String name) {
    this.bound = new Bounded(name);
  }

  void runNet(NetDef def) {
    run(
        ws -> {
          Net net = ws.createNet(sanitize(def, ws.rootFolder()));
          net.run();
          net.run();
        });
  }

  void runPlan(PlanDef plan) {
    run(ws -> PlanExecutor.run(sanitize(plan, ws.rootFolder()), ws));
  }

  /**
   * Runs {@code body} in a fresh workspace with a DB in its root folder; CortadoException is fine.
   */
  void run(Consumer<Workspace> body) {
    bound.run(
        LIMIT,
        () -> {
          Path root = Files.createTempDirectory("cortado-netfuzz");
          PrintStream err = System.err;
          if (FUZZING) {
            System.setErr(NOWHERE); // Print writes to stderr; Jazzer reports natively
          }
          try {
            for (int k = 0; k < DBS; k++) {
              // The file's bytes, not a minidb transaction: a commit would fsync on every input.
              Files.write(root.resolve("db" + k), MINIDB_FILES.get(k));
              Dbs.write("memory", root + "/db" + k, Dbs.indexedRecords(7 + k));
            }
            Workspace ws = Nets.RUNTIME.newWorkspace(root);
            try {
              body.accept(ws);
            } catch (CortadoException rejected) {
              // Rejected is fine, as long as the operator's own error is a CortadoException too.
              requireClean("building or running the net", rejected);
            } finally {
              ws.close();
            }
          } catch (CortadoException closing) {
            requireClean("closing the workspace", closing);
          } finally {
            System.setErr(err);
            for (int k = 0; k < DBS; k++) {
              Dbs.drop("memory", root + "/db" + k);
            }
            Dbs.deleteTree(root);
          }
        });
  }

  /** The bytes of minidb files db0..db2 holding 7, 8 and 9 indexed records. */
  private static List<byte[]> minidbFiles() {
    try {
      Path dir = Files.createTempDirectory("cortado-netfuzz-dbs");
      List<byte[]> out = new java.util.ArrayList<>();
      for (int k = 0; k < DBS; k++) {
        Path p = dir.resolve("db" + k);
        Dbs.write("minidb", p.toString(), Dbs.indexedRecords(7 + k));
        out.add(Files.readAllBytes(p));
      }
      Dbs.deleteTree(dir);
      return List.copyOf(out);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Raw exceptions already filed as issues, as "operator type: exception class" to marker:
   * tolerated while the marker is open ({@link KnownBugs}) so that fuzzing goes on past them; each
   * has a test case tied to its marker.
   */
  static final java.util.Map<String, String> KNOWN = java.util.Map.of();

  private static final java.util.regex.Pattern OPERATOR =
      java.util.regex.Pattern.compile("operator (\\S+) \\(index");

  private static void requireClean(String what, CortadoException e) {
    Throwable raw = Failures.raw(e);
    if (raw == null) {
      return;
    }
    java.util.regex.Matcher m = OPERATOR.matcher(String.valueOf(e.getMessage()));
    if (m.find()) {
      String marker = KNOWN.get(m.group(1) + ": " + raw.getClass().getName());
      if (marker != null && KnownBugs.isOpen(marker)) {
        return;
      }
    }
    Failures.requireClean(what, e);
  }

  static PlanDef sanitize(PlanDef plan, String root) {
    PlanDef.Builder b = plan.toBuilder();
    for (int i = 0; i < b.getNetworkCount(); i++) {
      b.setNetwork(i, sanitize(b.getNetwork(i), root));
    }
    for (int i = 0; i < b.getExecutionStepCount(); i++) {
      b.setExecutionStep(i, sanitize(b.getExecutionStep(i)));
    }
    return b.build();
  }

  /** Bounded iterations and threads; a should_stop_blob loop can run forever, so it goes. */
  static ExecutionStep sanitize(ExecutionStep step) {
    ExecutionStep.Builder b = step.toBuilder();
    if (b.hasNumIter()) {
      b.setNumIter(clamp(b.getNumIter(), -2, 3));
    }
    if (b.hasNumConcurrentInstances()) {
      b.setNumConcurrentInstances((int) clamp(b.getNumConcurrentInstances(), -2, 3));
    }
    if (b.hasRunEveryMs()) {
      b.setRunEveryMs(clamp(b.getRunEveryMs(), -2, 20));
    }
    if (b.hasReportInterval()) {
      b.setReportInterval((int) clamp(b.getReportInterval(), -1, 1));
    }
    b.clearShouldStopBlob();
    for (int i = 0; i < b.getSubstepCount(); i++) {
      b.setSubstep(i, sanitize(b.getSubstep(i)));
    }
    return b.build();
  }

  static NetDef sanitize(NetDef net, String root) {
    NetDef.Builder b = net.toBuilder();
    for (int i = 0; i < b.getOpCount(); i++) {
      b.setOp(i, sanitize(b.getOp(i), root));
    }
    for (int i = 0; i < b.getArgCount(); i++) {
      b.setArg(i, sanitize(b.getArg(i), root, ""));
    }
    for (int i = 0; i < b.getExternalInputCount(); i++) {
      b.setExternalInput(i, blobName(b.getExternalInput(i)));
    }
    for (int i = 0; i < b.getExternalOutputCount(); i++) {
      b.setExternalOutput(i, blobName(b.getExternalOutput(i)));
    }
    return b.build();
  }

  static OperatorDef sanitize(OperatorDef op, String root) {
    OperatorDef.Builder b = op.toBuilder();
    for (int i = 0; i < b.getInputCount(); i++) {
      b.setInput(i, blobName(b.getInput(i)));
    }
    for (int i = 0; i < b.getOutputCount(); i++) {
      b.setOutput(i, blobName(b.getOutput(i)));
    }
    for (int i = 0; i < b.getControlInputCount(); i++) {
      b.setControlInput(i, blobName(b.getControlInput(i)));
    }
    for (int i = 0; i < b.getArgCount(); i++) {
      b.setArg(i, sanitize(b.getArg(i), root, op.getType()));
    }
    return b.build();
  }

  private static String blobName(String name) {
    return name.replace('/', '_');
  }

  /** DB names and paths point into the root folder: dbK (Save/Load/DBExists) or root/dbK. */
  private static Argument sanitize(Argument a, String root, String opType) {
    Argument.Builder b = a.toBuilder();
    String name = a.getName();
    boolean createDb = opType.equals("CreateDB");
    if (name.equals("absolute_path")) {
      b.clearI().clearF().clearS().clearInts().clearFloats().clearStrings();
      b.setI(0);
    }
    if (name.equals("db") || name.equals("db_name") || name.equals("dbs")) {
      if (b.hasS()) {
        b.setS(dbPath(b.getS(), root, createDb));
      }
      for (int i = 0; i < b.getStringsCount(); i++) {
        b.setStrings(i, dbPath(b.getStrings(i), root, createDb));
      }
    }
    if (b.hasI()) {
      b.setI(clamp(b.getI(), -MAX_INT, MAX_INT));
    }
    while (b.getIntsCount() > MAX_LIST) {
      List<Long> ints = b.getIntsList().subList(0, MAX_LIST);
      b.clearInts().addAllInts(List.copyOf(ints));
    }
    for (int i = 0; i < b.getIntsCount(); i++) {
      b.setInts(i, clamp(b.getInts(i), -MAX_INT, MAX_INT));
    }
    for (int i = 0; i < b.getFloatsCount(); i++) {
      float f = b.getFloats(i);
      if (Math.abs(f) > MAX_INT) {
        b.setFloats(i, Math.copySign(MAX_INT, f));
      }
    }
    if (b.hasN()) {
      b.setN(sanitize(b.getN(), root));
    }
    for (int i = 0; i < b.getNetsCount(); i++) {
      b.setNets(i, sanitize(b.getNets(i), root));
    }
    return b.build();
  }

  private static ByteString dbPath(ByteString fuzzed, String root, boolean absolute) {
    String name = "db" + Math.floorMod(fuzzed.hashCode(), DBS);
    return ByteString.copyFromUtf8(absolute ? root + "/" + name : name);
  }

  private static long clamp(long v, long min, long max) {
    return Math.max(min, Math.min(max, v));
  }
}
