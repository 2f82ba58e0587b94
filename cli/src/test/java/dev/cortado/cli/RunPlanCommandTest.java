package dev.cortado.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.proto.PlanDef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunPlanCommandTest {
  @TempDir Path tmp;

  /** init step once, then the read net three times: the digest is of the third batch. */
  static String plan(String db, String type, int readIterations) {
    return "name: \"p\"\n"
        + "network { "
        + RunNetCommandTest.initNet(db, type, 1, 0)
        + " }\n"
        + "network { "
        + RunNetCommandTest.readNet(java.util.List.of("image", "label"), 64)
        + " }\n"
        + "execution_step { name: \"init\" network: \"init\" num_iter: 1 }\n"
        + "execution_step { name: \"read\" network: \"read\" num_iter: "
        + readIterations
        + " }\n";
  }

  @Test
  void runsTheWholePlanThenPrintsOneDigestLine() throws IOException {
    Path db = Cli.testdata().resolve("fmnist-mini/fmnist-mini.minidb");
    Path file = tmp.resolve("plan.pbtxt");
    Files.writeString(file, plan(db.toString(), "minidb", 1));
    Cli.Result r = Cli.run("run-plan", file.toString(), "--digest", "label");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.lines()).hasSize(1);
    assertThat(r.out())
        .startsWith("{\"run\":0,")
        .contains(RunNetCommandTest.firstBatchLabelSha(64));
  }

  @Test
  void binaryPlansAndSetWork() throws IOException {
    Path db = Cli.testdata().resolve("fmnist-mini/fmnist-mini.minidb");
    Path text = tmp.resolve("plan.pbtxt");
    Files.writeString(text, plan("/not/here", "lmdb", 1));
    Path binary = tmp.resolve("plan.pb");
    Files.write(binary, ProtoFiles.read(text, PlanDef.getDefaultInstance(), "plan").toByteArray());
    Cli.Result r =
        Cli.run(
            "run-plan",
            binary.toString(),
            "--set",
            "db=" + db,
            "--set",
            "db_type=minidb",
            "--digest",
            "label");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains(RunNetCommandTest.firstBatchLabelSha(64));
  }

  @Test
  void aFailingPlanExitsNonZeroUnlikeCaffe2() throws IOException {
    Path db = tmp.resolve("missing.minidb");
    Path file = tmp.resolve("plan.pbtxt");
    Files.writeString(file, plan(db.toString(), "minidb", 2));
    Cli.Result r = Cli.run("run-plan", file.toString());
    MakeMnistDbCommandTest.assertOneLineError(r, file.toString(), db.toString(), "CreateDB");
  }

  @Test
  void anEmptyPlanFileIsAnError() throws IOException {
    Path file = tmp.resolve("empty.pb");
    Files.write(file, new byte[0]);
    Cli.Result r = Cli.run("run-plan", file.toString());
    MakeMnistDbCommandTest.assertOneLineError(r, file.toString(), "empty");
  }
}
