package dev.cortado.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProtoFilesTest {
  @TempDir Path tmp;

  @Test
  void textAndBinaryGiveTheSameMessage() throws IOException {
    NetDef net =
        NetDef.newBuilder()
            .setName("n")
            .addOp(OperatorDef.newBuilder().setType("Copy").addInput("a").addOutput("b"))
            .build();
    Path text = tmp.resolve("n.txt");
    Files.writeString(text, net.toString());
    Path bin = tmp.resolve("n.txt.but-binary");
    Files.write(bin, net.toByteArray());
    assertThat(ProtoFiles.read(text, NetDef.getDefaultInstance(), "net")).isEqualTo(net);
    assertThat(ProtoFiles.read(bin, NetDef.getDefaultInstance(), "net")).isEqualTo(net);
  }

  @Test
  void printableBytesThatAreNotTextFallBackToBinaryAsCaffe2Does() throws IOException {
    // ':' 0x09 = field 7 (external_input), 9 bytes: a valid binary NetDef that is also
    // printable; it is not valid text format, so the binary reading wins.
    byte[] bytes = ":\tname: \"x\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    assertThat(ProtoFiles.asText(bytes)).isNotNull();
    Path file = tmp.resolve("n");
    Files.write(file, bytes);
    assertThat(ProtoFiles.read(file, NetDef.getDefaultInstance(), "net").getExternalInputList())
        .containsExactly("name: \"x\"");
  }

  @Test
  void printableBytesThatParseAsBinaryOnlyWithUnknownFieldsReportTheTextError() throws IOException {
    // 'x' = 0x78: field 15, varint; then 'y' = 121 as its value: binary "works" but only as an
    // unknown field, so the text error is the useful one.
    Path file = tmp.resolve("n");
    Files.writeString(file, "xy");
    assertThatThrownBy(() -> ProtoFiles.read(file, NetDef.getDefaultInstance(), "net"))
        .hasMessageContaining("text format")
        .hasMessageContaining("1:");
  }

  @Test
  void binaryWithControlBytesIsNeverTriedAsText() {
    assertThat(ProtoFiles.asText(new byte[] {0x0a, 0x01, 0x78})).isNull();
    assertThat(ProtoFiles.asText(new byte[] {(byte) 0xc3, (byte) 0x28})).isNull();
  }

  @Test
  void garbageIsAnErrorNamingTheFile() throws IOException {
    Path file = tmp.resolve("g.pb");
    Files.write(file, new byte[] {(byte) 0xff, (byte) 0xff, 0x00, 0x01});
    assertThatThrownBy(() -> ProtoFiles.read(file, NetDef.getDefaultInstance(), "net"))
        .hasMessageContaining(file.toString())
        .hasMessageContaining("binary NetDef");
  }
}
