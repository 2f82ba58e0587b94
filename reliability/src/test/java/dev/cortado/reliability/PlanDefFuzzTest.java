package dev.cortado.reliability;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.cortado.proto.PlanDef;

/**
 * Arbitrary bytes parsed as a PlanDef and run in a fresh workspace: step validation, nets built
 * from the plan, nested and concurrent substeps, report nets. Only a CortadoException may come out,
 * within 10 s (see {@link NetHarness} for what is clamped first).
 */
class PlanDefFuzzTest {
  private static final NetHarness HARNESS = new NetHarness("plandef-fuzz-worker");

  @FuzzTest(maxDuration = "10m")
  void fuzzedPlansFailCleanly(byte[] input) {
    PlanDef plan;
    try {
      plan = PlanDef.parseFrom(input);
    } catch (InvalidProtocolBufferException e) {
      return;
    }
    HARNESS.runPlan(plan);
  }
}
