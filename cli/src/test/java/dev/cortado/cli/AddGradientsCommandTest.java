package dev.cortado.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.proto.NetDef;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cortado add-gradients} against the tutorial's training net. */
class AddGradientsCommandTest {
  private static final Path MNIST = Cli.slice().getParent().resolve("mnist");

  @Test
  void forwardLeNetGivesTheOperatorsOfTheTrainingNet(@TempDir Path dir) {
    Path out = dir.resolve("train.pbtxt");
    Cli.Result r =
        Cli.run(
            "add-gradients",
            "--net",
            MNIST.resolve("forward_net.pbtxt").toString(),
            "--loss",
            "loss",
            "--out",
            out.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("15 forward and 11 gradient operators");
    NetDef made = ProtoFiles.read(out, NetDef.getDefaultInstance(), "made");
    NetDef train =
        ProtoFiles.read(MNIST.resolve("train_net.pbtxt"), NetDef.getDefaultInstance(), "train");
    NetDef forward =
        ProtoFiles.read(MNIST.resolve("forward_net.pbtxt"), NetDef.getDefaultInstance(), "forward");
    assertThat(made.getOpCount()).isEqualTo(forward.getOpCount() + 11);
    // The training net continues with Iter, LearningRate and the updates after these.
    assertThat(made.getOpList()).isEqualTo(train.getOpList().subList(0, made.getOpCount()));
    assertThat(train.getOp(made.getOpCount()).getType()).isEqualTo("Iter");

    Cli.Result again =
        Cli.run(
            "add-gradients",
            "--net",
            MNIST.resolve("forward_net.pbtxt").toString(),
            "--loss",
            "loss",
            "--out",
            out.toString());
    assertThat(again.exit()).isEqualTo(Main.EXIT_FAILURE);
    assertThat(again.err()).contains("exists; pass --overwrite");
  }

  @Test
  void printsToStdoutAndExplainsAMissingMaker(@TempDir Path dir) throws Exception {
    Path net = dir.resolve("f.pbtxt");
    Files.writeString(net, "op { type: 'Scale' input: 'x' output: 'loss' }");
    Cli.Result r = Cli.run("add-gradients", "--net", net.toString(), "--loss", "loss");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("loss_autogen_grad").contains("x_grad");
    Files.writeString(net, "op { type: 'Mul' input: 'x' input: 'y' output: 'loss' }");
    Cli.Result bad = Cli.run("add-gradients", "--net", net.toString(), "--loss", "loss");
    assertThat(bad.exit()).isEqualTo(Main.EXIT_FAILURE);
    assertThat(bad.err())
        .contains("gradient maker for operator Mul not implemented")
        .doesNotContain("\tat ");
  }
}
