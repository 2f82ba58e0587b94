package dev.cortado.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.Module;
import dev.cortado.CortadoException;
import dev.cortado.cpu.input.TensorProtosDbInput;
import dev.cortado.net.Net;
import dev.cortado.proto.NetDef;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.runtime.DeviceTensors;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The CUDA TensorProtosDBInput on the fake GPU: the shared producer side must give the CPU
 * variant's batches, with one asynchronous copy per output per batch and no pinned buffer reused
 * under a running copy.
 */
class CudaTensorProtosDbInputTest {
  private static final Path TESTDATA =
      Path.of(System.getProperty("cortado.testdata", "../../testdata"));
  private static final Path FMNIST = TESTDATA.resolve("fmnist-mini");

  private final FakeCopyEngine engine = new FakeCopyEngine(1);
  private final Module fakeGpu = binder -> binder.bind(CopyEngine.class).toInstance(engine);

  @Test
  void digestsEqualTheCpuVariantAndTheExpectations() throws Exception {
    Conformance.Result cpu = Conformance.run(FMNIST, Conformance.Variant.cpu());
    Conformance.Result cuda =
        Conformance.run(FMNIST, Conformance.Variant.cuda("cuda (fake)", Map.of()), fakeGpu);
    assertThat(cpu.mismatches()).isEmpty();
    assertThat(cuda.mismatches()).isEmpty();
    assertThat(cuda.batches()).isEqualTo(627);
    assertThat(cuda.digests()).isEqualTo(cpu.digests());
    // Exactly one host-to-device copy per output per batch.
    assertThat(engine.h2dCopies.get()).isEqualTo(2L * cuda.batches());
    assertThat(engine.sourcesChangedBeforeCopy.get()).isZero();
    // Every operator closed its pinned memory and stream.
    assertThat(engine.pinnedOutstanding()).isZero();
    assertThat(engine.streamsClosed.get()).isEqualTo(engine.streamsCreated.get());
  }

  @Test
  void deeperPrefetchAndInlineModesGiveTheSameBatches() throws Exception {
    Conformance.Result cpu = Conformance.run(FMNIST, Conformance.Variant.cpu());
    for (Map<String, Long> args :
        List.of(Map.of("prefetch_depth", 4L, "decode_threads", 3L), Map.of("no_prefetch", 1L))) {
      Conformance.Result cuda =
          Conformance.run(FMNIST, Conformance.Variant.cuda("cuda " + args, args), fakeGpu);
      assertThat(cuda.mismatches()).isEmpty();
      assertThat(cuda.digests()).isEqualTo(cpu.digests());
    }
    assertThat(engine.sourcesChangedBeforeCopy.get()).isZero();
    assertThat(engine.pinnedOutstanding()).isZero();
  }

  /**
   * Many runs without reading the outputs in between: copies pile up on the (lazy) fake stream, so
   * a pinned buffer released before its copy ran would be refilled under it.
   */
  @Test
  void pinnedBuffersAreNotReusedBeforeTheirCopyCompleted() {
    try (Workspace ws = CortadoRuntime.create(fakeGpu).newWorkspace()) {
      ws.runNetOnce(Conformance.initNet(FMNIST.resolve("fmnist-mini.minidb").toString(), 1, 0));
      Net net =
          ws.createNet(
              Conformance.readNet(
                  List.of("image", "label"),
                  7,
                  Conformance.Variant.cuda("cuda", Map.of("prefetch_depth", 2L))));
      for (int i = 0; i < 300; i++) {
        ws.runNet("read");
      }
      CudaTensorProtosDbInput op = (CudaTensorProtosDbInput) net.operators().get(0);
      long allocationsWarm = op.cuda().pinnedAllocator().allocations();
      for (int i = 0; i < 1000; i++) {
        ws.runNet("read");
      }
      assertThat(op.cuda().pinnedAllocator().allocations()).isEqualTo(allocationsWarm);
      Map<String, Number> m = op.metrics();
      assertThat(m.get("h2d_copies")).isEqualTo(2L * 1300);
      assertThat(m.get("h2d_bytes")).isEqualTo(1300L * 7 * (784 + 4));
      assertThat(m.get("pinned_bytes").longValue()).isPositive();
      Tensor label = DeviceTensors.toHost(ws.blob("label").get());
      assertThat(label.dims()).containsExactly(7);
    }
    assertThat(engine.sourcesChangedBeforeCopy.get()).isZero();
    assertThat(engine.pinnedOutstanding()).isZero();
  }

  /**
   * The same on a fake device that runs each copy on its own thread 0.3 ms late, so that the
   * producer, refilling a released slot at once, would overwrite a batch still being copied.
   */
  @Test
  void pinnedBuffersWaitForSlowAsynchronousCopies() {
    FakeCopyEngine slow = new FakeCopyEngine(CudaAvailability.available(1, 13000, 12060), 300_000);
    try (Workspace ws =
        CortadoRuntime.create(binder -> binder.bind(CopyEngine.class).toInstance(slow))
            .newWorkspace()) {
      ws.runNetOnce(Conformance.initNet(FMNIST.resolve("fmnist-mini.minidb").toString(), 1, 0));
      ws.createNet(
          Conformance.readNet(
              List.of("image", "label"), 7, Conformance.Variant.cuda("cuda", Map.of())));
      for (int i = 0; i < 300; i++) {
        ws.runNet("read");
      }
    }
    assertThat(slow.h2dCopies.get()).isEqualTo(600);
    assertThat(slow.sourcesChangedBeforeCopy.get()).isZero();
    assertThat(slow.pinnedOutstanding()).isZero();
  }

  @Test
  void outputsAreCudaTensorsWithTheCpuShapes() {
    try (Workspace ws = CortadoRuntime.create(fakeGpu).newWorkspace()) {
      ws.runNetOnce(Conformance.initNet(FMNIST.resolve("fmnist-mini.minidb").toString(), 1, 0));
      ws.runNetOnce(
          Conformance.readNet(
              List.of("image", "label"), 64, Conformance.Variant.cuda("cuda", Map.of())));
      CudaTensor image = ws.blob("image").get(CudaTensor.class);
      assertThat(image.dataType()).isEqualTo(DataType.BYTE);
      assertThat(image.dims()).containsExactly(64, 1, 28, 28);
      assertThat(ws.blob("label").get(CudaTensor.class).dims()).containsExactly(64);
    }
  }

  @Test
  void batchSizeZeroKeepsTheRecordShapes() {
    try (Workspace ws = CortadoRuntime.create(fakeGpu).newWorkspace()) {
      ws.runNetOnce(Conformance.initNet(FMNIST.resolve("fmnist-mini.minidb").toString(), 1, 0));
      ws.runNetOnce(
          Conformance.readNet(
              List.of("image", "label"), 0, Conformance.Variant.cuda("cuda", Map.of())));
      assertThat(ws.blob("image").get(CudaTensor.class).dims()).containsExactly(1, 28, 28);
      CudaTensor label = ws.blob("label").get(CudaTensor.class);
      assertThat(label.rank()).isZero();
      assertThat(DeviceTensors.toHost(label).data().getInt(0)).isBetween(0, 9);
    }
  }

  @Test
  void stringOutputsAreRefusedByName() {
    Path allDtypes = TESTDATA.resolve("all-dtypes/all-dtypes.minidb");
    List<String> outs =
        List.of(
            "float", "int32", "byte", "string", "bool", "uint8", "int8", "uint16", "int16", "int64",
            "float16", "double");
    try (Workspace ws = CortadoRuntime.create(fakeGpu).newWorkspace()) {
      ws.runNetOnce(Conformance.initNet(allDtypes.toString(), 1, 0));
      NetDef read = Conformance.readNet(outs, 2, Conformance.Variant.cuda("cuda", Map.of()));
      assertThatThrownBy(() -> ws.runNetOnce(read))
          .isInstanceOf(CortadoException.class)
          .hasMessageContaining("output 3 ('string')")
          .hasMessageContaining("cannot live on a CUDA device");
    }
    assertThat(engine.pinnedOutstanding()).isZero();
  }

  @Test
  void withoutADeviceTheOperatorRefusesBeforeReadingAnything() {
    FakeCopyEngine none = new FakeCopyEngine(CudaAvailability.unavailable("no driver here"));
    try (Workspace ws =
        CortadoRuntime.create(binder -> binder.bind(CopyEngine.class).toInstance(none))
            .newWorkspace()) {
      ws.runNetOnce(Conformance.initNet(FMNIST.resolve("fmnist-mini.minidb").toString(), 1, 0));
      NetDef read =
          Conformance.readNet(
              List.of("image", "label"), 7, Conformance.Variant.cuda("cuda", Map.of()));
      assertThatThrownBy(() -> ws.createNet(read))
          .isInstanceOf(CortadoException.class)
          .satisfies(
              e ->
                  assertThat(e.getMessage() + causes(e))
                      .contains(
                          "no CUDA device available: no driver here; needed by operator "
                              + TensorProtosDbInput.TYPE));
    }
    assertThat(none.streamsCreated.get()).isZero();
  }

  @Test
  void badArgumentsCloseTheContextThatWasOpened() {
    try (Workspace ws = CortadoRuntime.create(fakeGpu).newWorkspace()) {
      ws.runNetOnce(Conformance.initNet(FMNIST.resolve("fmnist-mini.minidb").toString(), 1, 0));
      NetDef read =
          Conformance.readNet(
              List.of("image", "label"), -3, Conformance.Variant.cuda("cuda", Map.of()));
      assertThatThrownBy(() -> ws.createNet(read)).hasMessageContaining("batch_size");
    }
    assertThat(engine.streamsClosed.get()).isEqualTo(engine.streamsCreated.get());
    assertThat(engine.pinnedOutstanding()).isZero();
  }

  @Test
  void registeredForCudaWithTheCpuSchema() {
    CortadoRuntime rt = CortadoRuntime.create();
    assertThat(rt.operators().registrations(dev.cortado.operator.DeviceTypes.CUDA))
        .extracting(r -> r.type())
        .contains("TensorProtosDBInput", "CopyCPUToGPU", "CopyGPUToCPU", "EnsureCPUOutput");
    assertThat(rt.operators().schema("TensorProtosDBInput")).contains(TensorProtosDbInput.schema());
  }

  private static String causes(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      sb.append(" <- ").append(t.getMessage());
    }
    return sb.toString();
  }
}
