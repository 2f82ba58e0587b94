package dev.cortado.reliability;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.cortado.proto.NetDef;

/**
 * Arbitrary bytes parsed as a NetDef, then built (validation, operator creation) and run twice in a
 * fresh workspace: only a CortadoException may come out, within 10 s (see {@link NetHarness}).
 */
class NetDefFuzzTest {
  private static final NetHarness HARNESS = new NetHarness("netdef-fuzz-worker");

  @FuzzTest(maxDuration = "10m")
  void fuzzedNetDefsFailCleanly(byte[] input) {
    NetDef def;
    try {
      def = NetDef.parseFrom(input);
    } catch (InvalidProtocolBufferException e) {
      return; // not a NetDef: protobuf's own error, before Cortado sees it
    }
    HARNESS.runNet(def);
  }
}
