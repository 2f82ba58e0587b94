package dev.cortado.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class CudaTensorTest {
  private final FakeCopyEngine engine = new FakeCopyEngine(2);

  @Test
  void hasTheCpuShapeModel() {
    try (CudaTensor t = CudaTensor.allocate(engine, 1, DataType.FLOAT, new long[] {7, 1, 28, 28})) {
      assertThat(t.dataType()).isEqualTo(DataType.FLOAT);
      assertThat(t.dims()).containsExactly(7, 1, 28, 28);
      assertThat(t.rank()).isEqualTo(4);
      assertThat(t.numel()).isEqualTo(7 * 784);
      assertThat(t.nbytes()).isEqualTo(7 * 784 * 4);
      assertThat(t.deviceId()).isEqualTo(1);
      assertThat(t).hasToString("CudaTensor[float32 [7,1,28,28] on cuda:1]");
    }
    try (CudaTensor scalar = CudaTensor.allocate(engine, 0, DataType.INT32, new long[0])) {
      assertThat(scalar.numel()).isEqualTo(1);
      assertThat(scalar.nbytes()).isEqualTo(4);
    }
  }

  @Test
  void stringsCannotLiveOnTheDevice() {
    assertThatThrownBy(() -> CudaTensor.allocate(engine, 0, DataType.STRING, new long[] {3}))
        .isInstanceOf(CudaException.class)
        .hasMessage(
            "a STRING tensor [3] cannot live on a CUDA device: only fixed-size types can"
                + " (keep it on the CPU)");
  }

  @Test
  void toHostWaitsForTheLastWrite() {
    Tensor host = Tensor.allocate(DataType.INT32, 4);
    host.data().asIntBuffer().put(new int[] {1, -2, 3, Integer.MIN_VALUE});
    CopyEngine.Stream s = engine.createStream(0);
    try (CudaTensor t = CudaTensor.allocate(engine, 0, DataType.INT32, new long[] {4})) {
      engine.copyToDeviceAsync(host.data(), t.memory(), 0, s);
      t.markWritten(s);
      // The fake has not run the copy yet; toHost must wait for it.
      Tensor back = t.toHost();
      assertThat(back.contentEquals(host)).isTrue();
    }
  }

  @Test
  void closeFreesTheDeviceMemoryOnce() {
    CudaTensor t = CudaTensor.allocate(engine, 0, DataType.UINT8, new long[] {10});
    t.close();
    t.close();
    assertThat(engine.deviceFrees.get()).isEqualTo(1);
    assertThatThrownBy(t::memory).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void contextReusesAnOutputOfTheSameShape() {
    try (CudaContext ctx = CudaContext.open(engine, CudaDevices.cuda(0), "op")) {
      CudaTensor a = ctx.reuseOrAllocate(null, DataType.FLOAT, new long[] {2, 3});
      assertThat(ctx.reuseOrAllocate(a, DataType.FLOAT, new long[] {2, 3})).isSameAs(a);
      CudaTensor b = ctx.reuseOrAllocate(a, DataType.FLOAT, new long[] {3, 2});
      assertThat(b).isNotSameAs(a);
      assertThatThrownBy(a::memory).isInstanceOf(IllegalStateException.class);
      CudaTensor c =
          ctx.reuseOrAllocate(
              Tensor.allocate(DataType.FLOAT, 3, 2), DataType.FLOAT, new long[] {3, 2});
      assertThat(c).isNotSameAs(b);
      b.close();
      c.close();
    }
  }

  @Test
  void contextRefusesAMissingDeviceWithTheOneLineError() {
    assertThatThrownBy(() -> CudaContext.open(engine, CudaDevices.cuda(2), "op"))
        .isExactlyInstanceOf(NoCudaDeviceException.class)
        .hasMessageStartingWith("no CUDA device available: device_option asks for CUDA device 2");
  }

  @Test
  void contextCloseSynchronisesAndFreesStreamAndPinnedMemory() {
    CudaContext ctx = CudaContext.open(engine, CudaDevices.cuda(0), "op");
    ByteBuffer pinned = ctx.pinnedAllocator().allocate(16);
    ctx.pinnedAllocator().free(pinned);
    ctx.newEvent();
    ctx.close();
    ctx.close();
    assertThat(engine.streamsClosed.get()).isEqualTo(engine.streamsCreated.get());
    assertThat(engine.pinnedOutstanding()).isZero();
  }
}
