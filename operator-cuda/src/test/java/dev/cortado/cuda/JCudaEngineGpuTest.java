package dev.cortado.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The real engine on a real GPU; skipped (visibly) without one. */
class JCudaEngineGpuTest {
  private JCudaEngine engine;

  @BeforeEach
  void requireGpu() {
    Gpu.require();
    engine = JCudaEngine.open();
  }

  @Test
  void pinnedAllocationsArePageLockedAndFreed() {
    int before = engine.pinnedOutstanding();
    PinnedHostAllocator a = new PinnedHostAllocator(engine, 0, "gpu test");
    ByteBuffer b = a.allocate(1 << 20);
    assertThat(engine.isPinned(b)).isTrue();
    assertThat(engine.isPinned(ByteBuffer.allocateDirect(4096))).isFalse();
    // Slices into pinned memory are pinned too: batch tensors are slices of pool buffers.
    assertThat(engine.isPinned(b.duplicate().position(4096).slice())).isTrue();
    assertThat(engine.pinnedOutstanding()).isEqualTo(before + 1);
    a.free(b);
    a.close();
    assertThat(engine.pinnedOutstanding()).isEqualTo(before);
  }

  @Test
  void asyncCopyFromPinnedMemoryRoundTrips() {
    try (CudaContext ctx = CudaContext.open(engine, CudaDevices.cuda(0), "gpu test")) {
      ByteBuffer pinned = ctx.pinnedAllocator().allocate(4 * 1000);
      for (int i = 0; i < 1000; i++) {
        pinned.putInt(4 * i, i * 7919 - 500_000);
      }
      CudaTensor t = ctx.reuseOrAllocate(null, DataType.INT32, new long[] {10, 100});
      engine.copyToDeviceAsync(pinned.duplicate().clear(), t.memory(), 0, ctx.stream());
      t.markWritten(ctx.stream());
      Tensor back = t.toHost();
      for (int i = 0; i < 1000; i++) {
        assertThat(back.data().getInt(4 * i)).isEqualTo(i * 7919 - 500_000);
      }
      assertThat(t.isWriteComplete()).isTrue();
      ctx.pinnedAllocator().free(pinned);
      t.close();
    }
  }

  @Test
  void deviceToDeviceAndOffsetsWork() {
    try (CudaContext ctx = CudaContext.open(engine, CudaDevices.cuda(0), "gpu test")) {
      Tensor host = Tensor.allocate(DataType.UINT8, 64);
      for (int i = 0; i < 64; i++) {
        host.data().put(i, (byte) i);
      }
      CudaTensor a = ctx.reuseOrAllocate(null, DataType.UINT8, new long[] {64});
      CudaTensor b = ctx.reuseOrAllocate(null, DataType.UINT8, new long[] {64});
      engine.copyToDeviceAsync(host.data().position(32).slice(), a.memory(), 0, ctx.stream());
      engine.copyToDeviceAsync(host.data().limit(32).slice(), a.memory(), 32, ctx.stream());
      engine.copyDeviceAsync(a.memory(), b.memory(), 64, ctx.stream());
      b.markWritten(ctx.stream());
      ByteBuffer out = b.toHost().data();
      assertThat(out.get(0)).isEqualTo((byte) 32);
      assertThat(out.get(32)).isEqualTo((byte) 0);
      assertThat(out.get(63)).isEqualTo((byte) 31);
      a.close();
      b.close();
    }
  }

  @Test
  void eventsOrderStreams() {
    try (CudaContext producer = CudaContext.open(engine, CudaDevices.cuda(0), "producer");
        CudaContext consumer = CudaContext.open(engine, CudaDevices.cuda(0), "consumer")) {
      Tensor host = Tensor.allocate(DataType.FLOAT, 1 << 20);
      host.data().asFloatBuffer().put(0, 1.5f).put((1 << 20) - 1, -2.5f);
      CudaTensor a = producer.reuseOrAllocate(null, DataType.FLOAT, new long[] {1 << 20});
      CudaTensor b = consumer.reuseOrAllocate(null, DataType.FLOAT, new long[] {1 << 20});
      engine.copyToDeviceAsync(host.data(), a.memory(), 0, producer.stream());
      a.markWritten(producer.stream());
      a.orderAfterWrite(consumer.stream());
      engine.copyDeviceAsync(a.memory(), b.memory(), a.nbytes(), consumer.stream());
      b.markWritten(consumer.stream());
      Tensor back = b.toHost();
      assertThat(back.data().getFloat(0)).isEqualTo(1.5f);
      assertThat(back.data().getFloat(4 * ((1 << 20) - 1))).isEqualTo(-2.5f);
      a.close();
      b.close();
    }
  }

  @Test
  void emptyTensorsNeedNoCopies() {
    try (CudaContext ctx = CudaContext.open(engine, CudaDevices.cuda(0), "gpu test");
        CudaTensor t = ctx.reuseOrAllocate(null, DataType.DOUBLE, new long[] {0, 5})) {
      assertThat(t.nbytes()).isZero();
      assertThat(t.toHost().numel()).isZero();
    }
  }
}
