package com.example.cortado.normalize;

import static dev.cortado.operator.testkit.OperatorTestHarness.floats;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.operator.testkit.OperatorTestHarness;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import org.junit.jupiter.api.Test;

class NormalizeOpTest {
  /** The plugin as Cortado finds it: through META-INF/services. */
  private final OperatorTestHarness harness = OperatorTestHarness.create();

  @Test
  void nchwUsesOneMeanAndStdPerChannel() {
    Tensor x = floats(new long[] {1, 2, 1, 2}, 1, 2, 3, 4); // channel 0: 1, 2; channel 1: 3, 4

    float[] y =
        harness.op("Normalize").input(x).floats("mean", 1, 3).floats("std", 1, 2).run().floats(0);

    assertThat(y).containsExactly(0f, 1f, 0f, 0.5f);
  }

  @Test
  void nhwcHasTheChannelLast() {
    Tensor x = floats(new long[] {1, 1, 2, 2}, 1, 3, 2, 4); // channel 0: 1, 2; channel 1: 3, 4

    OperatorTestHarness.Outputs out =
        harness
            .op("Normalize")
            .input(x)
            .floats("mean", 1, 3)
            .floats("std", 1, 2)
            .arg("order", "NHWC")
            .run();

    assertThat(out.floats(0)).containsExactly(0f, 0f, 1f, 0.5f);
    assertThat(out.output(0).dims()).containsExactly(1, 1, 2, 2);
  }

  @Test
  void scaleComesFirstAndOneValueServesEveryChannel() {
    Tensor x = floats(new long[] {3, 1, 1}, 255, 0, 127.5f); // [C,H,W] without a batch dimension

    float[] y =
        harness
            .op("Normalize")
            .input(x)
            .floats("mean", 0.5f)
            .floats("std", 0.5f)
            .arg("scale", 1 / 255f)
            .run()
            .floats(0);

    assertThat(y).containsExactly(1f, -1f, 0f);
  }

  @Test
  void runsInPlace() {
    Tensor x = floats(new long[] {1, 1, 1, 2}, 4, 6);

    float[] y =
        harness
            .op("Normalize")
            .input("img", x)
            .output("img")
            .floats("mean", 5)
            .floats("std", 2)
            .run()
            .floats(0);

    assertThat(y).containsExactly(-0.5f, 0.5f);
  }

  @Test
  void theSchemaDocumentsTheDefaultsTheOperatorReads() {
    var schema = harness.schema("Normalize");

    assertThat(schema.argument("order").orElseThrow().defaultValue()).isEqualTo("NCHW");
    assertThat(schema.argument("scale").orElseThrow().defaultValue()).isEqualTo("1.0");
    assertThat(schema.argument("mean").orElseThrow().required()).isTrue();
  }

  @Test
  void badNetsFailWhenTheNetIsBuilt() {
    Tensor x = floats(new long[] {1, 1, 1, 1}, 1);

    assertThat(harness.op("Normalize").input(x).floats("std", 1).fails())
        .hasMessageContaining("did not pass schema checking: required argument 'mean' is missing");
    assertThat(
            harness
                .op("Normalize")
                .input(x)
                .input("x2", x)
                .floats("mean", 0)
                .floats("std", 1)
                .fails())
        .hasMessageContaining("expected 1 inputs, found 2");
    assertThat(
            harness
                .op("Normalize")
                .input(x)
                .floats("mean", 0)
                .floats("std", 1)
                .arg("order", "CHWN")
                .fails())
        .hasMessageEndingWith("argument 'order' must be NCHW or NHWC, found 'CHWN'");
    assertThat(harness.op("Normalize").input(x).floats("mean", 0, 0).floats("std", 1, 0).fails())
        .hasMessageEndingWith("argument 'std' value 1 is 0.0; every std must be > 0");
    assertThat(harness.op("Normalize").input(x).floats("mean", 0, 0).floats("std", 1).fails())
        .hasMessageEndingWith(
            "argument 'std' has 1 values but mean has 2; give one per channel for both");
    assertThat(
            harness
                .op("Normalize")
                .input(x)
                .floats("mean", 0)
                .floats("std", 1)
                .arg("scale", 2L)
                .fails())
        .hasMessageContaining("argument 'scale' does not have the right field: expected field f");
  }

  @Test
  void badInputsFailWhenTheNetRuns() {
    Call good = new Call();

    assertThat(good.with(Tensor.allocate(DataType.INT32, 1, 3, 2, 2)).fails())
        .hasMessageStartingWith("net 'harness': operator Normalize (index 0) failed:")
        .hasMessageContaining("X must be a FLOAT tensor, found");
    assertThat(good.with(Tensor.allocate(DataType.FLOAT, 1, 2, 2, 2)).fails())
        .hasMessageContaining(
            "X has 2 channels (dims [1, 2, 2, 2], NCHW) but mean and std have 3 values");
    assertThat(good.with(Tensor.allocate(DataType.FLOAT, 3, 4)).fails())
        .hasMessageContaining("X must be [N,]C,H,W (rank 3 or 4), found dims [3, 4]");
  }

  /** A three-channel Normalize whose input varies. */
  private final class Call {
    OperatorTestHarness.Call with(Tensor x) {
      return harness.op("Normalize").input(x).floats("mean", 0, 0, 0).floats("std", 1, 1, 1);
    }
  }
}
