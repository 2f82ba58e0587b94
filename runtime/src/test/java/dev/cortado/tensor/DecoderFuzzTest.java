package dev.cortado.tensor;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Differential fuzzing: for any input both decoders accept it with identical tensors or both reject
 * it. In a plain {@code mvn verify} Jazzer replays the committed corpus in
 * src/test/resources/dev/cortado/tensor/DecoderFuzzTestInputs; the {@code fuzz} profile ({@code
 * -Pfuzz}) mutates for real.
 */
class DecoderFuzzTest {
  // One decoder for the whole run, so state left over from earlier (even rejected) inputs would
  // show up as a disagreement.
  private static final Differential DIFF = new Differential();

  @FuzzTest(maxDuration = "10m")
  void decodersAgree(byte[] input) {
    DIFF.check(input);
  }
}
