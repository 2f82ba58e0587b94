package dev.cortado.cpu;

import static dev.cortado.cpu.CpuTesting.RUNTIME;
import static dev.cortado.cpu.CpuTesting.net;
import static dev.cortado.cpu.CpuTesting.op;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.net.BackwardPass;
import dev.cortado.operator.GradientRegistry;
import dev.cortado.operator.GradientRegistry.GradientOps;
import dev.cortado.proto.OperatorDef;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the registered gradient makers produce, as Caffe2's makers do. */
class GradientMakersTest {
  private static final GradientRegistry GRADIENTS = RUNTIME.gradients();

  private static GradientOps grad(String def, String... outputGradients) {
    return GRADIENTS.gradientFor(op(def), Arrays.asList(outputGradients));
  }

  @Test
  void convGradientOutputsFollowBiasAndNoGradientToInput() {
    GradientOps g =
        grad(
            "type: 'Conv' input: 'x' input: 'w' input: 'b' output: 'y'"
                + " engine: 'CUDNN' arg { name: 'kernel' i: 3 } device_option { device_type: 0 }",
            "y_grad");
    OperatorDef d = g.ops().get(0);
    assertThat(d.getType()).isEqualTo("ConvGradient");
    assertThat(d.getInputList()).containsExactly("x", "w", "y_grad");
    assertThat(d.getOutputList()).containsExactly("w_grad", "b_grad", "x_grad");
    assertThat(d.getIsGradientOp()).isTrue();
    assertThat(d.getEngine()).isEqualTo("CUDNN");
    assertThat(d.hasDeviceOption()).isTrue();
    assertThat(d.getArgList()).extracting(a -> a.getName()).containsExactly("kernel");
    assertThat(g.inputGradients()).containsExactly("x_grad", "w_grad", "b_grad");

    GradientOps noBias =
        grad(
            "type: 'Conv' input: 'x' input: 'w' output: 'y'"
                + " arg { name: 'no_gradient_to_input' i: 1 }",
            "dy");
    OperatorDef nb = noBias.ops().get(0);
    assertThat(nb.getInputList()).containsExactly("x", "w", "dy");
    assertThat(nb.getOutputList()).containsExactly("w_grad");
    // The maker's own argument comes first, then the forward operator's.
    assertThat(nb.getArgList())
        .extracting(a -> a.getName())
        .containsExactly("no_bias", "no_gradient_to_input");
    assertThat(noBias.inputGradients()).containsExactly(null, "w_grad");
  }

  @Test
  void layerMakersReadTheBlobsCaffe2Reads() {
    OperatorDef pool = grad("type: 'MaxPool' input: 'x' output: 'y'", "gy").ops().get(0);
    assertThat(pool.getType()).isEqualTo("MaxPoolGradient");
    assertThat(pool.getInputList()).containsExactly("x", "y", "gy");
    assertThat(grad("type: 'AveragePool' input: 'x' output: 'y'", "gy").ops().get(0).getType())
        .isEqualTo("AveragePoolGradient");
    OperatorDef fc =
        grad("type: 'FC' input: 'x' input: 'w' input: 'b' output: 'y'", "gy").ops().get(0);
    assertThat(fc.getOutputList()).containsExactly("w_grad", "b_grad", "x_grad");
    OperatorDef relu = grad("type: 'Relu' input: 'x' output: 'x'", "x_grad").ops().get(0);
    assertThat(relu.getInputList()).containsExactly("x", "x_grad");
    assertThat(relu.getOutputList()).containsExactly("x_grad");
    OperatorDef xent =
        grad("type: 'LabelCrossEntropy' input: 'p' input: 'l' output: 'e'", "ge").ops().get(0);
    assertThat(xent.getInputList()).containsExactly("p", "l", "ge");
    assertThat(xent.getOutputList()).containsExactly("p_grad");
    OperatorDef drop =
        grad("type: 'Dropout' input: 'x' output: 'y' output: 'mask'", "gy", null).ops().get(0);
    assertThat(drop.getType()).isEqualTo("DropoutGrad");
    assertThat(drop.getInputList()).containsExactly("gy", "mask");
    OperatorDef dropTest =
        grad("type: 'Dropout' input: 'x' output: 'y'" + " arg { name: 'is_test' i: 1 }", "gy")
            .ops()
            .get(0);
    assertThat(dropTest.getInputList()).containsExactly("gy");
  }

  @Test
  void utilityMakers() {
    OperatorDef scale =
        grad("type: 'Scale' input: 'x' output: 'y' arg { name: 'scale' f: 2 }", "gy").ops().get(0);
    assertThat(scale.getType()).isEqualTo("Scale");
    assertThat(scale.getInputList()).containsExactly("gy");
    assertThat(scale.getArg(0).getF()).isEqualTo(2f);
    // Cast back, with its own arguments only.
    OperatorDef cast =
        grad(
                "type: 'Cast' input: 'x' output: 'y' arg { name: 'to' i: 1 }"
                    + " arg { name: 'from_type' s: 'int32' }",
                "gy")
            .ops()
            .get(0);
    assertThat(cast.getArgList()).hasSize(2);
    assertThat(cast.getArg(0).getName()).isEqualTo("to");
    assertThat(cast.getArg(0).getI()).isEqualTo(2);
    assertThat(cast.getArg(1).getI()).isEqualTo(1);
    assertThatThrownBy(() -> grad("type: 'Cast' input: 'x' output: 'y'", "gy"))
        .hasMessageContaining("'from_type' of type int or string is required");
    GradientOps sum = grad("type: 'Sum' input: 'a' input: 'b' output: 'y'", "gy");
    assertThat(sum.ops()).isEmpty();
    assertThat(sum.inputGradients()).containsExactly("gy", "gy");
    assertThat(grad("type: 'Copy' input: 'a' output: 'y'", "gy").ops().get(0).getType())
        .isEqualTo("Copy");
    GradientOps stop = grad("type: 'StopGradient' input: 'a' output: 'a'", "a_grad");
    assertThat(stop.ops()).isEmpty();
    assertThat(stop.inputGradients()).containsExactly((String) null);
  }

  @Test
  void operatorsWithoutAGradientSayWhy() {
    assertThatThrownBy(() -> grad("type: 'Save' input: 'x' arg { name: 'db' s: 'd' }"))
        .hasMessageContaining("should not have a gradient");
    assertThatThrownBy(() -> grad("type: 'Mul' input: 'a' input: 'b' output: 'y'", "gy"))
        .hasMessageContaining("gradient maker for operator Mul not implemented");
    assertThatThrownBy(
            () -> grad("type: 'FC' input: 'x' input: 'w' input: 'b' output: 'y'", (String) null))
        .hasMessageContaining("the gradient of output 0 ('y') is not provided");
  }

  @Test
  void aBlobReadTwiceGetsOneSumWithAnAutosplitName() {
    BackwardPass.Result r =
        BackwardPass.addGradientOperators(
            net(
                "op { type: 'Scale' input: 'x' output: 'a' arg { name: 'scale' f: 2 } }"
                    + "op { type: 'Scale' input: 'a' output: 'b' arg { name: 'scale' f: 3 } }"
                    + "op { type: 'Scale' input: 'a' output: 'c' arg { name: 'scale' f: 4 } }"
                    + "op { type: 'Sum' input: 'b' input: 'c' output: 'loss' }"),
            List.of("loss"),
            GRADIENTS);
    List<OperatorDef> ops = r.gradientOps();
    assertThat(ops)
        .extracting(OperatorDef::getType)
        .containsExactly("ConstantFill", "Scale", "Scale", "Sum", "Scale");
    assertThat(ops.get(0).getInputList()).containsExactly("loss");
    assertThat(ops.get(0).getOutputList()).containsExactly("loss_autogen_grad");
    assertThat(ops.get(0).getArg(0).getF()).isEqualTo(1f);
    assertThat(ops.get(1).getOutputList()).containsExactly("a_grad");
    assertThat(ops.get(1).getArg(0).getF()).isEqualTo(4f);
    assertThat(ops.get(2).getOutputList()).containsExactly("_a_grad_autosplit_0");
    assertThat(ops.get(3).getInputList()).containsExactly("a_grad", "_a_grad_autosplit_0");
    assertThat(ops.get(3).getOutputList()).containsExactly("a_grad");
    assertThat(ops.get(3).getIsGradientOp()).isFalse();
    assertThat(ops.get(4).getInputList()).containsExactly("a_grad");
    assertThat(ops.get(4).getOutputList()).containsExactly("x_grad");
    assertThat(r.gradients()).containsEntry("x", "x_grad").containsEntry("b", "loss_autogen_grad");
    assertThat(r.net().getOpCount()).isEqualTo(4 + 5);
  }

  @Test
  void backwardPassErrorsNameTheOperatorAndBlob() {
    assertThatThrownBy(
            () ->
                BackwardPass.addGradientOperators(
                    net(
                        "op { type: 'StopGradient' input: 'x' output: 'y' }"
                            + "op { type: 'Scale' input: 'x' output: 'loss' }"),
                    List.of("loss"),
                    GRADIENTS))
        .hasMessageContaining("StopGradient's output 'y' is read by no later operator");
    assertThatThrownBy(
            () ->
                BackwardPass.addGradientOperators(
                    net("op { type: 'Scale' input: 'x' output: 'y' }"), List.of("lost"), GRADIENTS))
        .hasMessageContaining("loss blob 'lost'");
    assertThatThrownBy(
            () ->
                BackwardPass.addGradientOperators(
                    net("op { type: 'Mul' input: 'x' input: 'x' output: 'loss' }"),
                    List.of("loss"),
                    GRADIENTS))
        .hasMessageContaining("backward pass at operator 0 (Mul)");
  }
}
