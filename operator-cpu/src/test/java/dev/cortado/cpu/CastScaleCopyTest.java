package dev.cortado.cpu;

import static dev.cortado.cpu.CpuTesting.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.operator.ArgumentException;
import dev.cortado.operator.OperatorRunException;
import dev.cortado.operator.SchemaException;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import org.junit.jupiter.api.Test;

class CastScaleCopyTest {
  private static Tensor cast(Tensor in, String to) {
    try (Workspace ws = workspace()) {
      ws.createBlob("x").set(in);
      return runOp(ws, "type: 'Cast' input: 'x' output: 'y' " + to, "y");
    }
  }

  @Test
  void castToAsNumberOrNameIsEquivalent() {
    Tensor in = ints(1, -2, 300);
    Tensor byNumber = cast(in, "arg { name: 'to' i: 1 }");
    Tensor byName = cast(in, "arg { name: 'to' s: 'float' }");
    Tensor byDefault = cast(in, "");
    assertThat(byNumber.dataType()).isEqualTo(DataType.FLOAT);
    assertThat(floatsOf(byNumber)).containsExactly(1f, -2f, 300f);
    assertThat(byName.contentEquals(byNumber)).isTrue();
    assertThat(byDefault.contentEquals(byNumber)).isTrue();
    assertThat(cast(in, "arg { name: 'to' s: 'INT64' }").dataType()).isEqualTo(DataType.INT64);
  }

  @Test
  void castUint8PixelsToFloatKeepsTheShape() {
    Tensor pixels = Tensor.allocate(DataType.BYTE, 2, 1, 2);
    pixels.data().put(new byte[] {0, 1, (byte) 128, (byte) 255});
    Tensor out = cast(pixels, "arg { name: 'to' i: 1 }");
    assertThat(out.dims()).containsExactly(2, 1, 2);
    assertThat(floatsOf(out)).containsExactly(0f, 1f, 128f, 255f);
  }

  @Test
  void floatToIntegersTruncatesLikeC() {
    Tensor in = floats(1.9f, -1.9f, Float.NaN, 3e9f, 300.5f, -0.0f);
    assertThat(intsOf(cast(in, "arg { name: 'to' i: 2 }")))
        .containsExactly(1, -1, Integer.MIN_VALUE, Integer.MIN_VALUE, 300, 0);
    assertThat(longsOf(cast(in, "arg { name: 'to' i: 10 }")))
        .containsExactly(1L, -1L, Long.MIN_VALUE, 3000000000L, 300L, 0L);
    assertThat(bytesOf(cast(in, "arg { name: 'to' i: 6 }"), true))
        .containsExactly(1, 255, 0, 0, 44, 0);
    assertThat(bytesOf(cast(in, "arg { name: 'to' i: 5 }"), true))
        .containsExactly(1, 1, 1, 1, 1, 0);
  }

  @Test
  void integerNarrowingWrapsAndWideningIsExact() {
    Tensor in = longs(300, -1, 65537, 1L << 40);
    assertThat(bytesOf(cast(in, "arg { name: 'to' i: 6 }"), true)).containsExactly(44, 255, 1, 0);
    assertThat(bytesOf(cast(in, "arg { name: 'to' i: 7 }"), false)).containsExactly(44, -1, 1, 0);
    assertThat(shortsOf(cast(in, "arg { name: 'to' i: 8 }"), true))
        .containsExactly(300, 65535, 1, 0);
    assertThat(shortsOf(cast(in, "arg { name: 'to' i: 9 }"), false)).containsExactly(300, -1, 1, 0);
    assertThat(intsOf(cast(in, "arg { name: 'to' i: 2 }"))).containsExactly(300, -1, 65537, 0);
    assertThat(doublesOf(cast(in, "arg { name: 'to' i: 13 }")))
        .containsExactly(300.0, -1.0, 65537.0, (double) (1L << 40));
    Tensor small = bytes(DataType.UINT16, 0);
    small.data().putShort(0, (short) 0xFFFF);
    assertThat(intsOf(cast(small, "arg { name: 'to' i: 2 }"))).containsExactly(65535);
    assertThat(floatsOf(cast(bytes(DataType.BOOL, 1, 0), "arg { name: 'to' i: 1 }")))
        .containsExactly(1f, 0f);
    assertThat(floatsOf(cast(bytes(DataType.INT8, -5), "arg { name: 'to' i: 1 }")))
        .containsExactly(-5f);
  }

  @Test
  void castRefusesTypesItCannotProduceOrRead() {
    assertThatThrownBy(() -> cast(ints(1), "arg { name: 'to' i: 3 }"))
        .isInstanceOf(ArgumentException.class)
        .hasMessageContaining("argument 'to' asks for BYTE");
    assertThatThrownBy(() -> cast(ints(1), "arg { name: 'to' i: 4 }"))
        .hasMessageContaining("STRING");
    assertThatThrownBy(() -> cast(ints(1), "arg { name: 'to' i: 12 }"))
        .hasMessageContaining("FLOAT16");
    assertThatThrownBy(() -> cast(ints(1), "arg { name: 'to' i: 99 }"))
        .hasMessageContaining("is not a TensorProto.DataType number: 99");
    assertThatThrownBy(() -> cast(ints(1), "arg { name: 'to' s: 'float32' }"))
        .hasMessageContaining("names no TensorProto.DataType: 'float32'");
    assertThatThrownBy(() -> cast(Tensor.ofStrings(new long[] {1}, new byte[][] {{1}}), ""))
        .isInstanceOf(OperatorRunException.class)
        .hasMessageContaining("cannot cast an input of type STRING ('x')");
  }

  @Test
  void castInPlaceIsNotDeclared() {
    try (Workspace ws = workspace()) {
      ws.createBlob("x").set(ints(1));
      assertThatThrownBy(() -> ws.runOperatorOnce(op("type: 'Cast' input: 'x' output: 'x'")))
          .isInstanceOf(SchemaException.class);
    }
  }

  @Test
  void scaleMultipliesFloatsAndDoublesInPlace() {
    try (Workspace ws = workspace()) {
      ws.createBlob("x").set(floats(2f, 255f));
      Tensor y =
          runOp(
              ws, "type: 'Scale' input: 'x' output: 'x' arg { name: 'scale' f: 0.00390625 }", "x");
      assertThat(floatsOf(y)).containsExactly(2f / 256, 255f / 256);
      ws.createBlob("d").set(doubles(3.0));
      Tensor d =
          runOp(ws, "type: 'Scale' input: 'd' output: 'e' arg { name: 'scale' f: 0.5 }", "e");
      assertThat(doublesOf(d)).containsExactly(1.5);
      Tensor same = runOp(ws, "type: 'Scale' input: 'd' output: 'f'", "f");
      assertThat(doublesOf(same)).containsExactly(3.0);
    }
  }

  @Test
  void scaleWrittenAsIntFails() {
    try (Workspace ws = workspace()) {
      ws.createBlob("x").set(floats(1f));
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op("type: 'Scale' input: 'x' output: 'y' arg { name: 'scale' i: 1 }")))
          .isInstanceOf(ArgumentException.class)
          .hasMessageContaining(
              "operator Scale: argument 'scale' does not have the right field:"
                  + " expected field f (float), found i=1");
      ws.createBlob("i").set(ints(1));
      assertThatThrownBy(() -> ws.runOperatorOnce(op("type: 'Scale' input: 'i' output: 'y'")))
          .hasMessageContaining("Scale takes a float or double tensor, found Tensor[int32 [1]]");
    }
  }

  @Test
  void stopGradientAndCopyMakeIndependentCopies() {
    try (Workspace ws = workspace()) {
      Tensor x = floats(1f, 2f);
      ws.createBlob("x").set(x);
      Tensor copy = runOp(ws, "type: 'Copy' input: 'x' output: 'c'", "c");
      Tensor sg = runOp(ws, "type: 'StopGradient' input: 'x' output: 's'", "s");
      Tensor inPlace = runOp(ws, "type: 'StopGradient' input: 'x' output: 'x'", "x");
      assertThat(inPlace).isSameAs(x);
      x.data().putFloat(0, 9f);
      assertThat(floatsOf(copy)).containsExactly(1f, 2f);
      assertThat(floatsOf(sg)).containsExactly(1f, 2f);
      // A second run reuses the output's storage and refreshes it.
      assertThat(runOp(ws, "type: 'Copy' input: 'x' output: 'c'", "c")).isSameAs(copy);
      assertThat(floatsOf(copy)).containsExactly(9f, 2f);
      Tensor strings = Tensor.ofStrings(new long[] {2}, new byte[][] {{'a'}, {'b'}});
      ws.createBlob("s1").set(strings);
      Tensor s2 = runOp(ws, "type: 'Copy' input: 's1' output: 's2'", "s2");
      assertThat(s2.contentEquals(strings)).isTrue();
      assertThat(s2.strings()).isNotSameAs(strings.strings());
      ws.createBlob("str").set("not a tensor");
      assertThatThrownBy(() -> ws.runOperatorOnce(op("type: 'Copy' input: 'str' output: 'o'")))
          .hasMessageContaining("input 0 ('str') holds String, expected Tensor");
      assertThatThrownBy(() -> ws.runOperatorOnce(op("type: 'Copy' input: 'str' output: 'str'")))
          .isInstanceOf(SchemaException.class);
    }
  }
}
