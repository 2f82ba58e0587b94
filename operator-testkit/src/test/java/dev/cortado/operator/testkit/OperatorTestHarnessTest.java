package dev.cortado.operator.testkit;

import static dev.cortado.operator.testkit.OperatorTestHarness.floats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.operator.SchemaException;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import org.junit.jupiter.api.Test;

class OperatorTestHarnessTest {
  private static final Tensor X = floats(new long[] {2, 2}, 1, 2, 3, 4);

  @Test
  void runsTheOperatorFoundThroughServiceLoader() {
    OperatorTestHarness harness = OperatorTestHarness.create();

    OperatorTestHarness.Outputs out = harness.op("AddConst").input(X).arg("value", 10f).run();

    assertThat(out.floats(0)).containsExactly(11, 12, 13, 14);
    assertThat(out.output("Y").dims()).containsExactly(2, 2);
    assertThat(harness.schema("AddConst")).isEqualTo(AddConstOp.SCHEMA);
  }

  @Test
  void anArgumentNotGivenReadsTheSchemasDefault() {
    OperatorTestHarness harness = OperatorTestHarness.of(new AddConstOp.Provider());

    assertThat(harness.op("AddConst").input(X).output("out").run().floats(0))
        .containsExactly(2.5f, 3.5f, 4.5f, 5.5f);
  }

  @Test
  void schemaErrorsAreWhatTheNetBuilderSays() {
    OperatorTestHarness harness = OperatorTestHarness.of(new AddConstOp.Provider());

    assertThat(harness.op("AddConst").input(X).input("other", X).fails())
        .isInstanceOf(SchemaException.class)
        .hasMessage(
            "operator AddConst (index 0) in net 'harness' did not pass schema checking: expected 1"
                + " inputs, found 2 (schema: inputs 1, outputs 1, GRADIENT_NOT_IMPLEMENTED_YET)");
    assertThat(harness.op("AddConst").input(X).arg("value", 3L).fails())
        .hasMessageContaining("argument 'value' does not have the right field: expected field f");
  }

  @Test
  void runErrorsNameTheNetAndTheOperator() {
    OperatorTestHarness harness = OperatorTestHarness.of(new AddConstOp.Provider());

    assertThat(harness.op("AddConst").input(Tensor.allocate(DataType.INT32, 3)).fails())
        .hasMessageStartingWith("net 'harness': operator AddConst (index 0) failed:")
        .hasMessageContaining("expected a FLOAT tensor, found");
  }

  @Test
  void anOperatorBugOrASuccessIsATestFailure() {
    OperatorTestHarness harness = OperatorTestHarness.of(new AddConstOp.Provider());

    assertThatThrownBy(() -> harness.op("AddConst").input(X).arg("crash", 1L).fails())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("java.lang.IndexOutOfBoundsException instead of a CortadoException");
    assertThatThrownBy(() -> harness.op("AddConst").input(X).fails())
        .isInstanceOf(AssertionError.class)
        .hasMessageStartingWith("expected AddConst to fail, but it ran");
    assertThatThrownBy(() -> harness.schema("Nope"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("no operator 'Nope' is registered; registered: [AddConst]");
  }

  @Test
  void outputsOutliveTheWorkspace() {
    OperatorTestHarness harness = OperatorTestHarness.of(new AddConstOp.Provider());
    Tensor y = harness.op("AddConst").input(X).run(3).output(0);

    assertThat(OperatorTestHarness.values(y)).containsExactly(2.5f, 3.5f, 4.5f, 5.5f);
    assertThatThrownBy(() -> OperatorTestHarness.values(Tensor.allocate(DataType.INT32, 1)))
        .isInstanceOf(AssertionError.class);
  }
}
