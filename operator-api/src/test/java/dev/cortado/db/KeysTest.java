package dev.cortado.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class KeysTest {
  @Test
  void printableKeysAreQuotedAndBinaryKeysAreHex() {
    assertThat(Keys.describe("00000005".getBytes())).isEqualTo("'00000005'");
    assertThat(Keys.describe(new byte[] {0, (byte) 0xff, 0x7f})).isEqualTo("0x00ff7f");
    assertThat(Keys.describe(new byte[0])).isEqualTo("'' (empty key)");
    assertThat(Keys.describe(new byte[100])).startsWith("0x0000").endsWith("... (100 bytes)");
  }

  @Test
  void describeDoesNotMoveTheBuffer() {
    ByteBuffer key = ByteBuffer.wrap("abcd".getBytes());
    key.position(1);
    assertThat(Keys.describe(key)).isEqualTo("'bcd'");
    assertThat(key.position()).isEqualTo(1);
    assertThat(Keys.hex(key)).isEqualTo("626364");
  }

  @Test
  void textIsTheBareKeyOrHex() {
    assertThat(Keys.text("00000003".getBytes())).isEqualTo("00000003");
    assertThat(Keys.text(new byte[] {'a', 0})).isEqualTo("0x6100");
    assertThat(Keys.text(new byte[0])).isEmpty();
  }
}
