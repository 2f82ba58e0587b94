package dev.cortado.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.memory.BufferPool;
import dev.cortado.memory.MemoryLeakException;
import dev.cortado.memory.PooledBuffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class PinnedHostAllocatorTest {
  private final FakeCopyEngine engine = new FakeCopyEngine(1);

  @Test
  void countsBuffersAndBytes() {
    PinnedHostAllocator a = new PinnedHostAllocator(engine, 0, "test");
    ByteBuffer x = a.allocate(100);
    ByteBuffer y = a.allocate(28);
    assertThat(x.capacity()).isEqualTo(100);
    assertThat(x.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
    assertThat(x.isDirect()).isTrue();
    assertThat(a.bytesOutstanding()).isEqualTo(128);
    assertThat(a.buffersOutstanding()).isEqualTo(2);
    a.free(x);
    assertThat(a.bytesOutstanding()).isEqualTo(28);
    assertThat(a.peakBytes()).isEqualTo(128);
    assertThat(a.allocations()).isEqualTo(2);
    assertThat(a.frees()).isEqualTo(1);
    a.free(y);
    a.close();
    assertThat(engine.pinnedOutstanding()).isZero();
  }

  @Test
  void freeingAForeignOrFreedBufferIsAnError() {
    PinnedHostAllocator a = new PinnedHostAllocator(engine, 0, "op 'x'");
    ByteBuffer x = a.allocate(8);
    a.free(x);
    assertThatThrownBy(() -> a.free(x))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("op 'x'")
        .hasMessageContaining("freed already");
    assertThatThrownBy(() -> a.free(ByteBuffer.allocateDirect(8)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void closeFreesWhatIsStillOutAndReportsTheLeak() {
    PinnedHostAllocator a = new PinnedHostAllocator(engine, 0, "TensorProtosDBInput 'data'");
    a.allocate(64);
    a.allocate(32);
    assertThatThrownBy(a::close)
        .isInstanceOf(MemoryLeakException.class)
        .hasMessage(
            "pinned allocator of TensorProtosDBInput 'data' closed with 2 buffer(s), 96"
                + " bytes still out; freed them");
    assertThat(engine.pinnedOutstanding()).isZero();
    assertThat(a.bytesOutstanding()).isZero();
    a.close(); // idempotent, no second report
    assertThatThrownBy(() -> a.allocate(1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("is closed");
  }

  @Test
  void aWarmBufferPoolAllocatesNoMorePinnedMemory() {
    PinnedHostAllocator a = new PinnedHostAllocator(engine, 0, "pool test");
    try (BufferPool pool = new BufferPool("cuda batches", a)) {
      for (int i = 0; i < 1000; i++) {
        PooledBuffer image = pool.acquire(64 * 784, "image");
        PooledBuffer label = pool.acquire(64 * 4, "label");
        image.release();
        label.release();
      }
      assertThat(a.allocations()).isEqualTo(2);
      assertThat(pool.allocatorName()).isEqualTo("cuda-pinned");
    }
    // The pool frees its idle buffers through the allocator on close.
    assertThat(a.bytesOutstanding()).isZero();
    a.close();
    assertThat(engine.pinnedOutstanding()).isZero();
  }
}
