package dev.cortado.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.proto.OperatorDef;
import org.junit.jupiter.api.Test;

class ArgumentsTest {
  private static Arguments args(String text) {
    OperatorDef def = Defs.op(text);
    return Arguments.forOperator(def.getArgList(), "operator Scale (index 2)");
  }

  @Test
  void floatArgumentReadFromFieldF() {
    Arguments a = args("arg { name: 'scale' f: 0.5 }");
    assertThat(a.getFloat("scale", 1f)).isEqualTo(0.5f);
    assertThat(a.getDouble("scale", 1d)).isEqualTo(0.5d);
    assertThat(a.getFloat("missing", 3f)).isEqualTo(3f);
  }

  @Test
  void floatWrittenAsIntIsAnErrorNamingArgumentAndOperator() {
    Arguments a = args("arg { name: 'scale' i: 1 }");
    assertThatThrownBy(() -> a.getFloat("scale", 1f))
        .isInstanceOf(ArgumentException.class)
        .hasMessageContaining("operator Scale (index 2)")
        .hasMessageContaining("'scale'")
        .hasMessageContaining("expected field f")
        .hasMessageContaining("i=1");
  }

  @Test
  void intWrittenAsFloatIsAnError() {
    Arguments a = args("arg { name: 'batch_size' f: 64 }");
    assertThatThrownBy(() -> a.getInt("batch_size", 0))
        .isInstanceOf(ArgumentException.class)
        .hasMessageContaining("expected field i");
  }

  @Test
  void intMustSurviveTheRoundTrip() {
    Arguments a = args("arg { name: 'n' i: 4294967296 } arg { name: 'm' i: -1 }");
    assertThat(a.getLong("n", 0)).isEqualTo(4294967296L);
    assertThatThrownBy(() -> a.getInt("n", 0)).hasMessageContaining("does not fit in int32");
    assertThat(a.getInt("m", 0)).isEqualTo(-1);
  }

  @Test
  void boolIsNonZeroInt() {
    Arguments a = args("arg { name: 'x' i: 2 } arg { name: 'y' i: 0 }");
    assertThat(a.getBool("x", false)).isTrue();
    assertThat(a.getBool("y", true)).isFalse();
    assertThat(a.getBool("z", true)).isTrue();
  }

  @Test
  void stringsAndNets() {
    Arguments a = args("arg { name: 'db' s: 'path/to' } arg { name: 'net' n { name: 'sub' } }");
    assertThat(a.getString("db", "")).isEqualTo("path/to");
    assertThat(a.getNet("net").getName()).isEqualTo("sub");
    assertThatThrownBy(() -> a.getString("net", "")).hasMessageContaining("expected field s");
    assertThat(a.getNet("missing")).isNull();
  }

  @Test
  void requiredArgumentMissingIsAnError() {
    Arguments a = args("");
    assertThatThrownBy(() -> a.requireString("db"))
        .isInstanceOf(ArgumentException.class)
        .hasMessage("operator Scale (index 2): required argument 'db' is missing");
  }

  @Test
  void repeatedArgumentsReadTheirFieldAndAreEmptyOtherwise() {
    Arguments a =
        args(
            "arg { name: 'shape' ints: 2 ints: 3 } arg { name: 'v' floats: 1.5 floats: 2 }"
                + " arg { name: 's' strings: 'a' strings: 'b' } arg { name: 'w' f: 1 }");
    assertThat(a.getInts("shape")).containsExactly(2, 3);
    assertThat(a.getLongs("shape")).containsExactly(2L, 3L);
    assertThat(a.getFloats("v")).containsExactly(1.5f, 2f);
    assertThat(a.getDoubles("v")).containsExactly(1.5, 2.0);
    assertThat(a.getStrings("s")).containsExactly("a", "b");
    // Caffe2: a repeated argument stored in another field reads as empty, without an error.
    assertThat(a.getInts("v")).isEmpty();
    assertThat(a.getFloats("w")).isEmpty();
    assertThat(a.getInts("absent")).isEmpty();
    assertThat(a.getBools("shape")).containsExactly(true, true);
  }

  @Test
  void repeatedIntsAreCheckedLosslessly() {
    Arguments a = args("arg { name: 'shape' ints: 2 ints: 9999999999 }");
    assertThatThrownBy(() -> a.getInts("shape")).hasMessageContaining("does not fit in int32");
  }

  @Test
  void duplicateIdenticalArgumentsAreAllowedAndDifferentOnesAreNot() {
    Arguments same = args("arg { name: 'a' i: 1 } arg { name: 'a' i: 1 }");
    assertThat(same.getInt("a", 0)).isEqualTo(1);
    assertThatThrownBy(() -> args("arg { name: 'a' i: 1 } arg { name: 'a' i: 2 }"))
        .isInstanceOf(ArgumentException.class)
        .hasMessageContaining("'a' is given twice with different values: i=1 and i=2");
  }

  @Test
  void netArgumentsRejectAnyDuplicate() {
    OperatorDef def = Defs.op("arg { name: 'a' i: 1 } arg { name: 'a' i: 1 }");
    assertThatThrownBy(() -> Arguments.forNet(def.getArgList(), "net 'n'"))
        .hasMessage("net 'n': argument 'a' is given twice");
  }

  @Test
  void hasChecksPresenceAndHasFieldChecksThePayload() {
    Arguments a = args("arg { name: 'v' i: 3 }");
    assertThat(a.has("v")).isTrue();
    assertThat(a.hasInt("v")).isTrue();
    assertThat(a.hasFloat("v")).isFalse();
    assertThat(a.hasString("v")).isFalse();
    assertThat(a.names()).containsExactly("v");
  }
}
