package dev.cortado.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.net.Net;
import dev.cortado.operator.OperatorRegistry;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorDigest;
import dev.cortado.workspace.Workspace;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The CUDA operators on a real device; skipped (visibly) without one. */
class CudaTensorProtosDbInputGpuTest {
  private static final Path FMNIST =
      Path.of(System.getProperty("cortado.testdata", "../../testdata")).resolve("fmnist-mini");

  @BeforeEach
  void requireGpu() {
    Gpu.require();
  }

  @Test
  void conformanceOnTheDeviceEqualsTheCpuVariant() throws Exception {
    Conformance.Result cpu = Conformance.run(FMNIST, Conformance.Variant.cpu());
    Conformance.Result cuda = Conformance.run(FMNIST, Conformance.Variant.cuda("cuda", Map.of()));
    assertThat(cuda.mismatches()).isEmpty();
    assertThat(cuda.digests()).isEqualTo(cpu.digests());
  }

  @Test
  void batchesComeFromPinnedMemoryAndAreCopiedOncePerOutput() {
    JCudaEngine engine = JCudaEngine.open();
    int pinnedBefore = engine.pinnedOutstanding();
    try (Workspace ws = CortadoRuntime.create().newWorkspace()) {
      ws.runNetOnce(Conformance.initNet(FMNIST.resolve("fmnist-mini.minidb").toString(), 1, 0));
      Net net =
          ws.createNet(
              Conformance.readNet(
                  List.of("image", "label"),
                  64,
                  Conformance.Variant.cuda("cuda", Map.of("prefetch_depth", 2L))));
      for (int i = 0; i < 200; i++) {
        ws.runNet("read");
      }
      CudaTensorProtosDbInput op = (CudaTensorProtosDbInput) net.operators().get(0);
      assertThat(op.cuda().pinnedAllocator().bytesOutstanding()).isPositive();
      assertThat(engine.pinnedOutstanding()).isGreaterThan(pinnedBefore);
      assertThat(op.metrics().get("h2d_copies")).isEqualTo(400L);
      CudaTensor image = ws.blob("image").get(CudaTensor.class);
      assertThat(image.dims()).containsExactly(64, 1, 28, 28);
    }
    assertThat(engine.pinnedOutstanding()).isEqualTo(pinnedBefore);
  }

  @Test
  void copyOperatorsRoundTripOnTheDevice() {
    OperatorRegistry registry = CortadoRuntime.create().operators();
    try (Workspace ws = CortadoRuntime.create().newWorkspace()) {
      Tensor x = Tensor.allocate(dev.cortado.tensor.DataType.DOUBLE, 3, 5);
      for (int i = 0; i < 15; i++) {
        x.data().putDouble(8 * i, Math.PI * i - 7);
      }
      ws.createBlob("x").set(x);
      ws.runNetOnce(
          NetDef.newBuilder()
              .setName("copy")
              .setDeviceOption(CudaDevices.cuda(0))
              .addOp(OperatorDef.newBuilder().setType("CopyCPUToGPU").addInput("x").addOutput("g"))
              .addOp(
                  OperatorDef.newBuilder().setType("EnsureCPUOutput").addInput("g").addOutput("e"))
              .addOp(OperatorDef.newBuilder().setType("CopyGPUToCPU").addInput("g").addOutput("y"))
              .build());
      assertThat(TensorDigest.sha256Hex(ws.blob("y").tensor()))
          .isEqualTo(TensorDigest.sha256Hex(x));
      assertThat(ws.blob("e").tensor().contentEquals(x)).isTrue();
      assertThat(registry.registrations(1)).isNotEmpty();
    }
  }
}
