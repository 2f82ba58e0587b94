package dev.cortado.cpu;

import static dev.cortado.cpu.CpuTesting.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.operator.ArgumentException;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FillAndArithmeticTest {
  private static Tensor fill(String def) {
    try (Workspace ws = workspace()) {
      return runOp(ws, def, "y");
    }
  }

  @Test
  void constantFillWithShapeValueAndDtype() {
    Tensor f =
        fill(
            "type: 'ConstantFill' output: 'y' arg { name: 'shape' ints: 2 ints: 3 }"
                + " arg { name: 'value' f: 1.5 }");
    assertThat(f.dataType()).isEqualTo(DataType.FLOAT);
    assertThat(f.dims()).containsExactly(2, 3);
    assertThat(floatsOf(f)).containsOnly(1.5f).hasSize(6);
    Tensor i =
        fill(
            "type: 'ConstantFill' output: 'y' arg { name: 'shape' ints: 2 }"
                + " arg { name: 'dtype' i: 2 } arg { name: 'value' i: 7 }");
    assertThat(intsOf(i)).containsExactly(7, 7);
    Tensor inferred =
        fill(
            "type: 'ConstantFill' output: 'y' arg { name: 'shape' ints: 1 }"
                + " arg { name: 'value' i: 5 }");
    assertThat(inferred.dataType()).isEqualTo(DataType.INT64);
    Tensor scalar = fill("type: 'ConstantFill' output: 'y'");
    assertThat(scalar.rank()).isZero();
    assertThat(floatsOf(scalar)).containsExactly(0f);
    Tensor b =
        fill(
            "type: 'ConstantFill' output: 'y' arg { name: 'shape' ints: 2 }"
                + " arg { name: 'dtype' i: 5 } arg { name: 'value' i: 1 }");
    assertThat(bytesOf(b, true)).containsExactly(1, 1);
    Tensor d =
        fill(
            "type: 'ConstantFill' output: 'y' arg { name: 'shape' ints: 1 }"
                + " arg { name: 'dtype' i: 13 } arg { name: 'value' f: 0.25 }");
    assertThat(doublesOf(d)).containsExactly(0.25);
    Tensor s =
        fill(
            "type: 'ConstantFill' output: 'y' arg { name: 'shape' ints: 2 }"
                + " arg { name: 'dtype' i: 4 } arg { name: 'value' s: 'hi' }");
    assertThat(new String(s.strings()[1], StandardCharsets.UTF_8)).isEqualTo("hi");
  }

  @Test
  void constantFillValueFollowsTheDtypesField() {
    assertThatThrownBy(
            () ->
                fill(
                    "type: 'ConstantFill' output: 'y' arg { name: 'dtype' i: 2 }"
                        + " arg { name: 'value' f: 1.5 }"))
        .isInstanceOf(ArgumentException.class)
        .hasMessageContaining("argument 'value' does not have the right field: expected field i");
    assertThatThrownBy(
            () ->
                fill(
                    "type: 'ConstantFill' output: 'y' arg { name: 'dtype' i: 6 }"
                        + " arg { name: 'value' i: 256 }"))
        .hasMessageContaining("value 256 does not fit in UINT8");
    assertThatThrownBy(() -> fill("type: 'ConstantFill' output: 'y' arg { name: 'dtype' i: 0 }"))
        .hasMessageContaining("cannot be UNDEFINED");
    assertThatThrownBy(() -> fill("type: 'ConstantFill' output: 'y' arg { name: 'value' s: 'x' }"))
        .hasMessageContaining("is of unexpected type");
    assertThatThrownBy(() -> fill("type: 'ConstantFill' output: 'y' arg { name: 'shape' i: 3 }"))
        .hasMessageContaining("argument 'shape' was a scalar");
    assertThatThrownBy(
            () -> fill("type: 'ConstantFill' output: 'y' arg { name: 'extra_shape' ints: 3 }"))
        .hasMessageContaining("cannot set extra_shape when there is no input");
    assertThatThrownBy(
            () -> fill("type: 'ConstantFill' output: 'y' arg { name: 'input_as_shape' i: 1 }"))
        .hasMessageContaining("an input must be given if input_as_shape is true");
  }

  @Test
  void constantFillShapeFromTheInput() {
    try (Workspace ws = workspace()) {
      ws.createBlob("like").set(Tensor.allocate(DataType.INT32, 2, 2));
      Tensor y =
          runOp(
              ws,
              "type: 'ConstantFill' input: 'like' output: 'y'"
                  + " arg { name: 'extra_shape' ints: 3 } arg { name: 'value' f: 2 }",
              "y");
      assertThat(y.dims()).containsExactly(2, 2, 3);
      ws.createBlob("shape").set(longs(4, 1));
      Tensor z =
          runOp(
              ws,
              "type: 'ConstantFill' input: 'shape' output: 'z'"
                  + " arg { name: 'input_as_shape' i: 1 }",
              "z");
      assertThat(z.dims()).containsExactly(4, 1);
      ws.createBlob("badshape").set(ints(4));
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'ConstantFill' input: 'badshape'"
                              + " output: 'z' arg { name: 'input_as_shape' i: 1 }")))
          .hasMessageContaining("must be a non-empty 1-D int64 tensor, found Tensor[int32 [1]]");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'ConstantFill' input: 'like'"
                              + " output: 'z' arg { name: 'shape' ints: 1 }")))
          .hasMessageContaining("cannot set the shape argument and pass in an input");
      Tensor inPlace =
          runOp(
              ws,
              "type: 'ConstantFill' input: 'like' output: 'like'"
                  + " arg { name: 'dtype' i: 2 } arg { name: 'value' i: 3 }",
              "like");
      assertThat(intsOf(inPlace)).containsExactly(3, 3, 3, 3);
    }
  }

  @Test
  void givenTensorFills() {
    assertThat(
            floatsOf(
                fill(
                    "type: 'GivenTensorFill' output: 'y' arg { name: 'shape' ints: 2 }"
                        + " arg { name: 'values' floats: 1 floats: 2.5 }")))
        .containsExactly(1f, 2.5f);
    Tensor gi =
        fill(
            "type: 'GivenTensorFill' output: 'y' arg { name: 'shape' ints: 2 }"
                + " arg { name: 'dtype' s: 'int32' } arg { name: 'values' ints: 4 ints: 5 }");
    assertThat(intsOf(gi)).containsExactly(4, 5);
    assertThat(
            doublesOf(
                fill(
                    "type: 'GivenTensorDoubleFill' output: 'y' arg { name: 'shape' ints: 1 }"
                        + " arg { name: 'values' floats: 0.5 }")))
        .containsExactly(0.5);
    Tensor ints =
        fill(
            "type: 'GivenTensorIntFill' output: 'y' arg { name: 'shape' ints: 2 ints: 1 }"
                + " arg { name: 'values' ints: -1 ints: 3 }");
    assertThat(ints.dims()).containsExactly(2, 1);
    assertThat(intsOf(ints)).containsExactly(-1, 3);
    assertThat(
            shortsOf(
                fill(
                    "type: 'GivenTensorInt16Fill' output: 'y' arg { name: 'shape' ints: 1 }"
                        + " arg { name: 'values' ints: -7 }"),
                false))
        .containsExactly(-7);
    assertThat(
            longsOf(
                fill(
                    "type: 'GivenTensorInt64Fill' output: 'y' arg { name: 'shape' ints: 1 }"
                        + " arg { name: 'values' ints: 9000000000 }")))
        .containsExactly(9000000000L);
    assertThat(
            bytesOf(
                fill(
                    "type: 'GivenTensorBoolFill' output: 'y' arg { name: 'shape' ints: 3 }"
                        + " arg { name: 'values' ints: 0 ints: 2 ints: 1 }"),
                true))
        .containsExactly(0, 1, 1);
    Tensor s =
        fill(
            "type: 'GivenTensorStringFill' output: 'y' arg { name: 'shape' ints: 2 }"
                + " arg { name: 'values' strings: 'a' strings: '' }");
    assertThat(s.strings()[0]).containsExactly('a');
    assertThat(s.strings()[1]).isEmpty();
    Tensor u8 =
        fill(
            "type: 'GivenTensorByteStringToUInt8Fill' output: 'y' arg { name: 'shape' ints: 3 }"
                + " arg { name: 'values' s: '\\001\\002\\377' }");
    assertThat(u8.dataType()).isEqualTo(DataType.UINT8);
    assertThat(bytesOf(u8, true)).containsExactly(1, 2, 255);
  }

  @Test
  void givenTensorFillCountMustMatchTheShape() {
    assertThatThrownBy(
            () ->
                fill(
                    "type: 'GivenTensorFill' output: 'y' arg { name: 'shape' ints: 3 }"
                        + " arg { name: 'values' floats: 1 floats: 2 }"))
        .hasMessageContaining("'values' has 2 elements but the shape [3] needs 3");
    assertThatThrownBy(
            () ->
                fill(
                    "type: 'GivenTensorIntFill' output: 'y' arg { name: 'shape' ints: 1 }"
                        + " arg { name: 'values' ints: 4294967296 }"))
        .hasMessageContaining("does not fit in INT32");
  }

  @Test
  void sumAddsLeftToRight() {
    try (Workspace ws = workspace()) {
      ws.createBlob("a").set(floats(1e8f, 1f));
      ws.createBlob("b").set(floats(-1e8f, 2f));
      ws.createBlob("c").set(floats(1f, 3f));
      Tensor s = runOp(ws, "type: 'Sum' input: 'a' input: 'b' input: 'c' output: 's'", "s");
      // (1e8 + -1e8) + 1 = 1 exactly; any other order loses the 1.
      assertThat(floatsOf(s)).containsExactly(1f, 6f);
      Tensor one = runOp(ws, "type: 'Sum' input: 'c' output: 'one'", "one");
      assertThat(floatsOf(one)).containsExactly(1f, 3f);
      Tensor inPlace = runOp(ws, "type: 'Sum' input: 'a' input: 'c' output: 'a'", "a");
      assertThat(floatsOf(inPlace)).containsExactly(1e8f + 1f, 4f);
      ws.createBlob("i").set(longs(1, 2));
      ws.createBlob("j").set(longs(10, 20));
      assertThat(longsOf(runOp(ws, "type: 'Sum' input: 'i' input: 'j' output: 'k'", "k")))
          .containsExactly(11L, 22L);
      ws.createBlob("short").set(floats(1f));
      assertThatThrownBy(
              () -> ws.runOperatorOnce(op("type: 'Sum' input: 'c' input: 'short' output: 'x'")))
          .hasMessageContaining("input 0 ('c') is FLOAT [2], input 1 ('short') is FLOAT [1]");
    }
  }

  @Test
  void addAndMulWithoutBroadcasting() {
    try (Workspace ws = workspace()) {
      ws.createBlob("a").set(ints(2, 3));
      ws.createBlob("b").set(ints(5, -1));
      assertThat(intsOf(runOp(ws, "type: 'Add' input: 'a' input: 'b' output: 'c'", "c")))
          .containsExactly(7, 2);
      assertThat(intsOf(runOp(ws, "type: 'Mul' input: 'a' input: 'b' output: 'm'", "m")))
          .containsExactly(10, -3);
      assertThat(intsOf(runOp(ws, "type: 'Add' input: 'a' input: 'b' output: 'b'", "b")))
          .containsExactly(7, 2);
      ws.createBlob("x").set(doubles(1.5));
      ws.createBlob("y").set(doubles(2.0));
      assertThat(doublesOf(runOp(ws, "type: 'Mul' input: 'x' input: 'y' output: 'z'", "z")))
          .containsExactly(3.0);
      ws.createBlob("f").set(floats(1f, 2f));
      ws.createBlob("g").set(floats(0.5f, 0.25f));
      assertThat(floatsOf(runOp(ws, "type: 'Mul' input: 'f' input: 'g' output: 'h'", "h")))
          .containsExactly(0.5f, 0.5f);
      ws.createBlob("l").set(longs(1, 2));
      ws.createBlob("n").set(longs(3, 4));
      assertThat(longsOf(runOp(ws, "type: 'Add' input: 'l' input: 'n' output: 'o'", "o")))
          .containsExactly(4L, 6L);
      assertThatThrownBy(
              () -> ws.runOperatorOnce(op("type: 'Add' input: 'a' input: 'x' output: 'c'")))
          .hasMessageContaining("no broadcasting")
          .hasMessageContaining("input 0 ('a') is INT32 [2], input 1 ('x') is DOUBLE [1]");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Add' input: 'a' input: 'b' output: 'c'"
                              + " arg { name: 'broadcast' i: 1 }")))
          .isInstanceOf(ArgumentException.class)
          .hasMessageContaining("does not broadcast");
      ws.createBlob("u").set(bytes(DataType.UINT8, 1));
      assertThatThrownBy(
              () -> ws.runOperatorOnce(op("type: 'Mul' input: 'u' input: 'u' output: 'v'")))
          .hasMessageContaining("supported types are float, double, int32 and int64");
    }
  }
}
