package dev.cortado.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.cortado.CortadoException;
import dev.cortado.proto.Argument;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Shapes;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorProtoCodec;
import dev.cortado.workspace.Workspace;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bugs this module found in code it does not own, filed in /work/COORD.md under the marker shown.
 * Each case asserts the behaviour that the fix should give. While it fails it is reported as
 * skipped ("known failure"); once it passes it fails, asking for its marker to go (here, and in
 * {@link NetHarness#KNOWN} or the fuzz oracle) and for the case to move into a normal test.
 */
class KnownBugsTest {
  interface Check {
    void run(Path dir) throws Exception;
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("I-L1", "an empty tensor's dims may multiply past 2^31 before the 0",
            (Check) dir -> {
              assertThat(Shapes.numel(new long[] {Long.MAX_VALUE, 0})).isZero();
              byte[] record = Wire.protos(Wire.of().v(1, 268_435_390).v(1, 16).v(1, 0));
              assertThat(TensorProtoCodec.decodeRecord(ByteBuffer.wrap(record), "k").get(0)
                  .numel()).isZero();
            }),
        Arguments.of("I-L2", "a tensor of more than 2^31-1 bytes is a CortadoException",
            (Check) dir -> LyingHeadersTest.cleanError("Tensor.allocate",
                () -> Tensor.allocate(DataType.FLOAT, 1_000_000_000L))),
        Arguments.of("I-D2", "Print to_file of a blob whose name is no file name",
            (Check) dir -> runNet(dir, OperatorDef.newBuilder().setType("Print").addInput("a\0b")
                .addArg(Nets.arg("to_file", 1)).build())),
        Arguments.of("I-D2", "Save with a SerializationOptions regex that does not compile",
            (Check) dir -> runNet(dir, OperatorDef.newBuilder().setType("Save").addInput("a\0b")
                .addArg(Nets.arg("db", "saved")).addArg(Nets.arg("db_type", "minidb"))
                .addArg(Argument.newBuilder().setName("options").setS(ByteString.copyFrom(
                    Wire.of().bytes(1, Wire.of().bytes(1, new byte[] {'('}).build()).build())))
                .build())));
  }

  /** Fills blob "a\0b", then runs {@code op}: the failure must be clean. */
  private static void runNet(Path dir, OperatorDef op) {
    try (Workspace ws = Nets.RUNTIME.newWorkspace(dir)) {
      OperatorDef fill = OperatorDef.newBuilder().setType("ConstantFill").addOutput("a\0b")
          .addArg(Argument.newBuilder().setName("shape").addInts(2)).build();
      CortadoException e = LyingHeadersTest.cleanError(op.getType(),
          () -> ws.runNetOnce(NetDef.newBuilder().setName("n").addOp(fill).addOp(op).build()));
      assertThat(e).hasMessageContaining(op.getType());
    }
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("cases")
  void stillFailsUntilFixed(String marker, String what, Check check, @TempDir Path dir) {
    AssertionError failure = null;
    try {
      check.run(dir);
    } catch (AssertionError e) {
      failure = e;
    } catch (Exception e) {
      failure = new AssertionError(e);
    }
    if (failure == null) {
      throw new AssertionError(marker + " (" + what + ") is fixed: remove its marker and make this"
          + " a normal test");
    }
    Assumptions.abort("known failure, waits for " + marker + ": " + failure.getMessage());
  }
}
