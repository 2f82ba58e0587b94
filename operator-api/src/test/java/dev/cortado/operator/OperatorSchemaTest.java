package dev.cortado.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OperatorSchemaTest {
  private static final OperatorSchema SCALE =
      OperatorSchema.builder("Scale")
          .numInputs(1)
          .numOutputs(1)
          .allowInplace(0, 0)
          .arg("scale", "1.0", "factor")
          .doc("doc")
          .gradient(Gradient.HAS_GRADIENT)
          .build();

  @Test
  void countsAreChecked() {
    assertThat(SCALE.check(Defs.op("type: 'Scale' input: 'x' output: 'y'"))).isEmpty();
    assertThat(SCALE.check(Defs.op("type: 'Scale' input: 'x' input: 'z' output: 'y'")))
        .contains("expected 1 inputs, found 2");
    assertThat(SCALE.check(Defs.op("type: 'Scale' input: 'x'")))
        .contains("expected 1 outputs, found 0");
  }

  @Test
  void inPlaceAllowedOnlyOnDeclaredPairs() {
    assertThat(SCALE.check(Defs.op("type: 'Scale' input: 'x' output: 'x'"))).isEmpty();
    OperatorSchema noInplace = OperatorSchema.builder("Cast").numInputs(1).numOutputs(1).build();
    assertThat(noInplace.check(Defs.op("type: 'Cast' input: 'x' output: 'x'")).orElseThrow())
        .contains("does not run in place");
  }

  @Test
  void enforcedInPlaceNeedsTheSameName() {
    OperatorSchema s =
        OperatorSchema.builder("Inc").numInputs(1).numOutputs(1).enforceInplace(0, 0).build();
    assertThat(s.check(Defs.op("input: 'x' output: 'x'"))).isEmpty();
    assertThat(s.check(Defs.op("input: 'x' output: 'y'")).orElseThrow())
        .contains("must be the same blob");
  }

  @Test
  void requiredArgumentsMustBePresent() {
    OperatorSchema s = OperatorSchema.builder("CreateDB").requiredArg("db", "path").build();
    assertThat(s.check(Defs.op("output: 'r'")).orElseThrow())
        .isEqualTo("required argument 'db' is missing");
    assertThat(s.check(Defs.op("output: 'r' arg { name: 'db' s: 'x' }"))).isEmpty();
  }

  @Test
  void verifyThrowsWithTheOwner() {
    assertThatThrownBy(() -> SCALE.verify(Defs.op("type: 'Scale'"), "operator Scale (index 3)"))
        .isInstanceOf(SchemaException.class)
        .hasMessageStartingWith(
            "operator Scale (index 3) did not pass schema checking: expected 1"
                + " inputs, found 0");
  }

  @Test
  void summaryAndArguments() {
    assertThat(SCALE.summary())
        .isEqualTo("inputs 1, outputs 1, in-place allowed (0,0), HAS_GRADIENT");
    assertThat(OperatorSchema.builder("Sum").inputs(1, OperatorSchema.MANY).build().summary())
        .startsWith("inputs 1..many, outputs 0..many");
    assertThat(SCALE.argument("scale").orElseThrow().defaultValue()).isEqualTo("1.0");
    assertThat(SCALE.argument("nope")).isEmpty();
  }

  @Test
  void badRangesAreRejected() {
    assertThatThrownBy(() -> OperatorSchema.builder("X").inputs(2, 1).build())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void typedDefaultsAreDeclaredOnceAndDocumentedAsText() {
    OperatorSchema s =
        OperatorSchema.builder("Normalize")
            .floatArg("scale", 0.5f, "factor")
            .intArg("axis", -1, "axis")
            .longArg("seed", 7L, "seed")
            .boolArg("clip", true, "clip")
            .stringArg("order", "NCHW", "layout")
            .stringArg("prefix", "", "prefix")
            .floatsArg("mean", new float[] {1f, 2.5f}, "means")
            .arg("legacy", "3", "declared as text")
            .build();

    assertThat(s.defaultOf("scale", Float.class)).isEqualTo(0.5f);
    assertThat(s.defaultOf("axis", Integer.class)).isEqualTo(-1);
    assertThat(s.defaultOf("seed", Long.class)).isEqualTo(7L);
    assertThat(s.defaultOf("clip", Boolean.class)).isTrue();
    assertThat(s.defaultOf("order", String.class)).isEqualTo("NCHW");
    assertThat(s.defaultOf("prefix", String.class)).isEmpty();
    assertThat(s.defaultOf("mean", float[].class)).containsExactly(1f, 2.5f);
    assertThat(s.defaultOf("legacy", Integer.class)).isEqualTo(3);
    assertThat(s.arguments())
        .extracting(OperatorSchema.ArgumentSpec::defaultValue)
        .containsExactly("0.5", "-1", "7", "1", "NCHW", "\"\"", "[1.0, 2.5]", "3");
  }

  @Test
  void aDefaultTheSchemaDoesNotDeclareIsAnOperatorBug() {
    OperatorSchema s = OperatorSchema.builder("Op").stringArg("order", "NCHW", "layout").build();
    assertThatThrownBy(() -> s.defaultOf("epsilon", Float.class))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "the schema of Op documents no argument 'epsilon'; add it to the schema with its default");
    assertThatThrownBy(() -> s.defaultOf("order", Float.class))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("argument 'order' of Op has no default of type Float (declared: NCHW)");
  }
}
