package dev.cortado.cpu;

import static dev.cortado.cpu.CpuTesting.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.CortadoException;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CounterAndPrintTest {
  private static boolean bool(Tensor t) {
    assertThat(t.dataType()).isEqualTo(DataType.BOOL);
    assertThat(t.rank()).isZero();
    return t.data().get(0) != 0;
  }

  private static long int64(Tensor t) {
    assertThat(t.dataType()).isEqualTo(DataType.INT64);
    assertThat(t.rank()).isZero();
    return t.data().getLong(0);
  }

  @Test
  void counters() {
    try (Workspace ws = workspace()) {
      ws.runOperatorOnce(op("type: 'CreateCounter' output: 'c' arg { name: 'init_count' i: 2 }"));
      assertThat(ws.blob("c").get(Counter.class).retrieve()).isEqualTo(2);
      String down = "type: 'CountDown' input: 'c' output: 'done'";
      assertThat(bool(runOp(ws, down, "done"))).isFalse();
      assertThat(bool(runOp(ws, down, "done"))).isFalse();
      assertThat(bool(runOp(ws, down, "done"))).isTrue();
      assertThat(bool(runOp(ws, "type: 'CheckCounterDone' input: 'c' output: 'chk'", "chk")))
          .isTrue();
      assertThat(int64(runOp(ws, "type: 'RetrieveCount' input: 'c' output: 'n'", "n")))
          .isEqualTo(-1);
      assertThat(
              int64(
                  runOp(
                      ws,
                      "type: 'ResetCounter' input: 'c' output: 'prev'"
                          + " arg { name: 'init_count' i: 5 }",
                      "prev")))
          .isEqualTo(-1);
      assertThat(int64(runOp(ws, "type: 'CountUp' input: 'c' output: 'up'", "up"))).isEqualTo(5);
      assertThat(int64(runOp(ws, "type: 'RetrieveCount' input: 'c' output: 'n'", "n")))
          .isEqualTo(6);
      ws.runOperatorOnce(op("type: 'ResetCounter' input: 'c'"));
      assertThat(ws.blob("c").get(Counter.class).retrieve()).isZero();
      assertThat(bool(runOp(ws, "type: 'CheckCounterDone' input: 'c' output: 'chk'", "chk")))
          .isTrue();
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'CreateCounter' output: 'd'"
                              + " arg { name: 'init_count' i: -1 }")))
          .hasMessageContaining("init_count' must be >= 0, found -1");
      ws.createBlob("t").set(longs(1));
      assertThatThrownBy(() -> ws.runOperatorOnce(op("type: 'CountDown' input: 't' output: 'x'")))
          .hasMessageContaining("input 0 ('t') holds Tensor[int64 [1]], expected Counter");
    }
  }

  @Test
  void printWritesCaffe2LinesToAFileEveryNthRun(@TempDir Path root) throws IOException {
    try (Workspace ws = workspace(root)) {
      ws.createBlob("x").set(floats(new long[] {2, 2}, 1f, 2.5f, -3f, 4f));
      ws.createNet(
          net(
              "name: 'p' op { type: 'Print' input: 'x' arg { name: 'to_file' i: 1 }"
                  + " arg { name: 'limit' i: 3 } arg { name: 'every_n' i: 2 } }"));
      for (int i = 0; i < 3; i++) {
        ws.runNet("p");
      }
      assertThat(Files.readAllLines(root.resolve("x.log")))
          .containsExactly(
              "Tensor x of type float. Dims: (2,2,): 1,2.5,-3",
              "Tensor x of type float. Dims: (2,2,): 1,2.5,-3");
    }
  }

  /** A blob name that is no file name is the operator's error, naming blob and path. */
  @Test
  void printToFileOfABlobNamedWithNulIsAnOperatorError(@TempDir Path root) {
    try (Workspace ws = workspace(root)) {
      ws.createBlob("a\0b").set(floats(1f));
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op("type: 'Print' input: 'a\\000b' arg { name: 'to_file' i: 1 }")))
          .isInstanceOf(CortadoException.class)
          .hasMessageContaining("Print")
          .hasMessageContaining("cannot print blob 'a\0b' to a file")
          .hasMessageContaining("a\0b.log is no valid path");
      assertThat(root.toFile().list()).isEmpty();
    }
  }

  @Test
  void printFormatsEveryType() {
    assertThat(PrintOp.format("i", ints(1, -2), 1000))
        .isEqualTo("Tensor i of type int. Dims: (2,): 1,-2");
    assertThat(PrintOp.format("b", bytes(DataType.BOOL, 1, 0), 1000))
        .isEqualTo("Tensor b of type bool. Dims: (2,): 1,0");
    assertThat(PrintOp.format("u", bytes(DataType.UINT8, 255), 1000))
        .isEqualTo("Tensor u of type unsigned char. Dims: (1,): 255");
    assertThat(
            PrintOp.format("s", Tensor.ofStrings(new long[] {2}, new byte[][] {{'a'}, {'b'}}), 1))
        .isEqualTo("Tensor s of type std::string. Dims: (2,): a");
    assertThat(PrintOp.format("e", Tensor.allocate(DataType.INT64), 1000))
        .isEqualTo("Tensor e of type long. Dims: (): 0");
  }

  @Test
  void floatsPrintLikeCppStreams() {
    assertThat(PrintOp.cppFormat(1.0)).isEqualTo("1");
    assertThat(PrintOp.cppFormat(0.00390625)).isEqualTo("0.00390625");
    assertThat(PrintOp.cppFormat(1.0f / 3)).isEqualTo("0.333333");
    assertThat(PrintOp.cppFormat(1e6)).isEqualTo("1e+06");
    assertThat(PrintOp.cppFormat(123456.7)).isEqualTo("123457");
    assertThat(PrintOp.cppFormat(-1.5e-7)).isEqualTo("-1.5e-07");
    assertThat(PrintOp.cppFormat(0.0001)).isEqualTo("0.0001");
    assertThat(PrintOp.cppFormat(Double.NaN)).isEqualTo("nan");
    assertThat(PrintOp.cppFormat(Double.NEGATIVE_INFINITY)).isEqualTo("-inf");
    assertThat(PrintOp.cppFormat(-0.0)).isEqualTo("-0");
    assertThat(PrintOp.cppFormat(1e100)).isEqualTo("1e+100");
  }

  @Test
  void printToStandardErrorAndOfNonTensors() {
    try (Workspace ws = workspace()) {
      ws.createBlob("c").set(new Counter(1));
      ws.runOperatorOnce(op("type: 'Print' input: 'c'"));
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op("type: 'Print' input: 'c'" + " arg { name: 'every_n' i: 0 }")))
          .hasMessageContaining("every_n' must be >= 1");
    }
  }
}
