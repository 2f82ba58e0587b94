package dev.cortado.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.proto.PlanDef;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tutorial's files in examples/mnist agree with each other. */
class MnistExamplesTest {
  private static final Path MNIST = Cli.slice().getParent().resolve("mnist");

  private static NetDef net(String file) {
    return ProtoFiles.read(MNIST.resolve(file), NetDef.getDefaultInstance(), file);
  }

  private static List<String> types(List<OperatorDef> ops) {
    return ops.stream().map(OperatorDef::getType).toList();
  }

  @Test
  void thePlanHoldsTheInitAndTrainingNets() {
    PlanDef plan =
        ProtoFiles.read(MNIST.resolve("train_plan.pbtxt"), PlanDef.getDefaultInstance(), "plan");
    assertThat(plan.getNetwork(0)).isEqualTo(net("init_net.pbtxt"));
    assertThat(plan.getNetwork(1)).isEqualTo(net("train_net.pbtxt"));
    assertThat(plan.getExecutionStep(1).getNumIter()).isEqualTo(938);
  }

  @Test
  void deployAndTestNetsAreTheTrainingNetsLeNet() {
    NetDef train = net("train_net.pbtxt");
    List<OperatorDef> lenet = train.getOpList().subList(4, 12);
    assertThat(types(lenet))
        .containsExactly("Conv", "MaxPool", "Conv", "MaxPool", "FC", "Relu", "FC", "Softmax");
    assertThat(net("deploy_net.pbtxt").getOpList()).isEqualTo(lenet);
    NetDef test = net("test_net.pbtxt");
    assertThat(test.getOpList().subList(4, 12)).isEqualTo(lenet);
    assertThat(types(test.getOpList().subList(0, 4)))
        .containsExactly("TensorProtosDBInput", "Cast", "Scale", "StopGradient");
    assertThat(test.getOp(12).getType()).isEqualTo("Accuracy");
    // Every parameter the training net updates is initialized by init_net and saved by Save.
    List<String> params = MnistTutorial.params(train);
    assertThat(params)
        .containsExactly(
            "conv1_w", "conv1_b", "conv2_w", "conv2_b", "fc3_w", "fc3_b", "pred_w", "pred_b");
    List<String> initialized =
        net("init_net.pbtxt").getOpList().stream()
            .flatMap(o -> o.getOutputList().stream())
            .toList();
    assertThat(initialized).containsAll(params).contains("iter", "ONE");
  }
}
