package dev.cortado.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.CortadoException;
import dev.cortado.operator.DeviceTypes;
import dev.cortado.operator.OperatorRegistration;
import dev.cortado.operator.OperatorRegistry;
import dev.cortado.operator.Services;
import dev.cortado.proto.DeviceOption;
import dev.cortado.proto.OperatorDef;
import dev.cortado.runtime.DeviceTensors;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorDigest;
import dev.cortado.workspace.Workspace;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The copy operators through the registry and a workspace, on the fake GPU. */
class CopyOperatorsTest {
  private final FakeCopyEngine engine = new FakeCopyEngine(2);
  private final OperatorRegistry registry = new OperatorRegistry(List.of(new CudaOperators()));
  private final Workspace ws =
      new Workspace(registry, Services.of(Map.of(CopyEngine.class, engine)));

  @AfterEach
  void close() {
    ws.close();
  }

  private static OperatorDef op(String type, String in, String out, DeviceOption device) {
    return OperatorDef.newBuilder()
        .setType(type)
        .addInput(in)
        .addOutput(out)
        .setDeviceOption(device)
        .build();
  }

  private static Tensor floats(float... values) {
    Tensor t = Tensor.allocate(DataType.FLOAT, 2, values.length / 2);
    t.data().asFloatBuffer().put(values);
    return t;
  }

  @Test
  void cpuToGpuToCpuRoundTripsBitExactly() {
    Tensor x = floats(1f, -0f, Float.NaN, Float.MIN_VALUE, 3.5f, -7f);
    ws.createBlob("x").set(x);
    ws.runOperatorOnce(op("CopyCPUToGPU", "x", "x_gpu", CudaDevices.cuda(1)));
    CudaTensor g = ws.blob("x_gpu").get(CudaTensor.class);
    assertThat(g.deviceId()).isEqualTo(1);
    assertThat(g.dims()).containsExactly(2, 3);
    ws.runOperatorOnce(op("CopyGPUToCPU", "x_gpu", "y", CudaDevices.cuda(1)));
    Tensor y = ws.blob("y").tensor();
    assertThat(TensorDigest.sha256Hex(y)).isEqualTo(TensorDigest.sha256Hex(x));
    // The host copy hook that run-net --digest uses finds the converter through ServiceLoader.
    assertThat(DeviceTensors.toHost(g).contentEquals(x)).isTrue();
  }

  @Test
  void outputsOfTheSameShapeReuseTheirMemory() {
    ws.createBlob("x").set(floats(1, 2, 3, 4));
    ws.createNet(
        dev.cortado.proto.NetDef.newBuilder()
            .setName("copy")
            .addOp(op("CopyCPUToGPU", "x", "g", CudaDevices.cuda(0)))
            .addOp(op("CopyGPUToCPU", "g", "y", CudaDevices.cuda(0)))
            .build());
    ws.runNet("copy");
    Object g = ws.blob("g").get();
    Object y = ws.blob("y").get();
    ws.blob("x").tensor().data().putFloat(0, 42f);
    ws.runNet("copy");
    assertThat(ws.blob("g").get()).isSameAs(g);
    assertThat(ws.blob("y").get()).isSameAs(y);
    assertThat(ws.blob("y").tensor().data().getFloat(0)).isEqualTo(42f);
    assertThat(engine.deviceAllocations.get()).isEqualTo(1);
  }

  @Test
  void ensureCpuOutputCopiesFromTheDeviceOrOnTheHost() {
    Tensor x = floats(5, 6, 7, 8);
    ws.createBlob("x").set(x);
    ws.runOperatorOnce(op("CopyCPUToGPU", "x", "g", CudaDevices.cuda(0)));
    ws.runOperatorOnce(op("EnsureCPUOutput", "g", "a", CudaDevices.cuda(0)));
    ws.runOperatorOnce(op("EnsureCPUOutput", "x", "b", CudaDevices.cuda(0)));
    assertThat(ws.blob("a").tensor().contentEquals(x)).isTrue();
    assertThat(ws.blob("b").tensor().contentEquals(x)).isTrue();
    assertThat(ws.blob("b").tensor()).isNotSameAs(x);
    Tensor s = Tensor.ofStrings(new long[] {2}, new byte[][] {{1}, {}});
    ws.createBlob("s").set(s);
    ws.runOperatorOnce(op("EnsureCPUOutput", "s", "s2", CudaDevices.cuda(0)));
    assertThat(ws.blob("s2").tensor().contentEquals(s)).isTrue();
  }

  @Test
  void stringsAreRefusedWithTheOperatorNamed() {
    ws.createBlob("s").set(Tensor.ofStrings(new long[] {1}, new byte[][] {{'a'}}));
    assertThatThrownBy(() -> ws.runOperatorOnce(op("CopyCPUToGPU", "s", "g", CudaDevices.cuda(0))))
        .isInstanceOf(CortadoException.class)
        .hasMessageContaining("CopyCPUToGPU")
        .hasMessageContaining("a STRING tensor cannot be copied to a CUDA device");
  }

  @Test
  void aTensorOnAnotherDeviceIsRefusedWithBothDevices() {
    ws.createBlob("x").set(floats(1, 2));
    ws.runOperatorOnce(op("CopyCPUToGPU", "x", "g", CudaDevices.cuda(1)));
    assertThatThrownBy(() -> ws.runOperatorOnce(op("CopyGPUToCPU", "g", "y", CudaDevices.cuda(0))))
        .isInstanceOf(CortadoException.class)
        .hasMessageContaining(
            "input 0 is CudaTensor[float32 [2,1] on cuda:1] but the operator runs"
                + " on cuda:0; give the operator device_option.device_id 1");
    assertThatThrownBy(
            () -> ws.runOperatorOnce(op("EnsureCPUOutput", "g", "y", CudaDevices.cuda(0))))
        .hasMessageContaining("on cuda:1] but the operator runs on cuda:0");
  }

  @Test
  void aCpuInputToCopyGpuToCpuIsAClearError() {
    ws.createBlob("x").set(floats(1, 2));
    assertThatThrownBy(() -> ws.runOperatorOnce(op("CopyGPUToCPU", "x", "y", CudaDevices.cuda(0))))
        .isInstanceOf(CortadoException.class)
        .hasMessageContaining("expected CudaTensor");
  }

  @Test
  void withoutADeviceCreatingAnyCudaOperatorFailsWithTheOneLineError() {
    FakeCopyEngine none =
        new FakeCopyEngine(
            CudaAvailability.unavailable(
                "cudaGetDeviceCount returned cudaErrorNoDevice (100): no"
                    + " CUDA-capable device is detected"));
    try (Workspace w = new Workspace(registry, Services.of(Map.of(CopyEngine.class, none)))) {
      w.createBlob("x").set(floats(1, 2));
      for (String type : List.of("CopyCPUToGPU", "CopyGPUToCPU", "EnsureCPUOutput")) {
        assertThatThrownBy(() -> w.runOperatorOnce(op(type, "x", "y", CudaDevices.cuda(0))))
            .isInstanceOf(CortadoException.class)
            .satisfies(
                e ->
                    assertThat(rootMessage(e))
                        .startsWith(
                            "no CUDA device available: cudaGetDeviceCount returned cudaErrorNoDevice (100): no"
                                + " CUDA-capable device is detected; needed by operator "
                                + type))
            .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
      }
    }
  }

  @Test
  void onThisMachineTheRealProbeDecides() {
    CudaAvailability a = CudaAvailability.probe();
    if (a.isAvailable()) {
      return; // covered by the GPU tests
    }
    try (Workspace w = new Workspace(registry, Services.none())) {
      w.createBlob("x").set(floats(1, 2));
      assertThatThrownBy(() -> w.runOperatorOnce(op("CopyCPUToGPU", "x", "y", CudaDevices.cuda(0))))
          .satisfies(
              e ->
                  assertThat(rootMessage(e))
                      .isEqualTo(
                          "no CUDA device available: "
                              + a.cause()
                              + "; needed by operator CopyCPUToGPU"));
    }
  }

  @Test
  void registeredForCudaThroughServiceLoader() {
    OperatorRegistry loaded = OperatorRegistry.fromServiceLoader(getClass().getClassLoader());
    assertThat(loaded.registrations(DeviceTypes.CUDA))
        .extracting(OperatorRegistration::type)
        .contains("CopyCPUToGPU", "CopyGPUToCPU", "EnsureCPUOutput");
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (!(t instanceof NoCudaDeviceException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage();
  }
}
