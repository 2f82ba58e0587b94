package dev.cortado.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.cortado.CortadoException;
import dev.cortado.proto.Argument;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.workspace.Workspace;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bugs this module found in code it does not own, filed in /work/COORD.md under the marker shown.
 * Each case asserts the behaviour that the fix should give; while its marker is in {@link
 * KnownBugs#OPEN} a failure is reported as skipped (see {@link KnownBugs#expect}).
 */
class KnownBugsTest {
  interface Check {
    void run(Path dir) throws Exception;
  }

  static Stream<Arguments> cases() {
    return Stream.of(
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
  void theFixedBehaviour(String marker, String what, Check check, @TempDir Path dir) {
    KnownBugs.expect(marker, what, () -> check.run(dir));
  }
}
