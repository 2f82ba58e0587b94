package dev.cortado.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BufferPoolTest {

  /** Counts what the pool asks of its allocator, as the pinned-memory allocator would see it. */
  static final class CountingAllocator implements BufferAllocator {
    final List<ByteBuffer> live = new ArrayList<>();
    int allocated;
    int freed;

    @Override
    public String name() {
      return "counting";
    }

    @Override
    public ByteBuffer allocate(int bytes) {
      allocated++;
      ByteBuffer b = DirectBufferAllocator.INSTANCE.allocate(bytes);
      live.add(b);
      return b;
    }

    @Override
    public void free(ByteBuffer buffer) {
      freed++;
      assertThat(live.removeIf(b -> b == buffer)).as("freed a buffer it made").isTrue();
    }
  }

  @Test
  void releasedBufferIsLentAgainWithoutAllocating() {
    try (BufferPool pool = BufferPool.direct("t")) {
      PooledBuffer a = pool.acquire(1000, "op a");
      a.buffer().putInt(0, 42);
      a.release();
      PooledBuffer b = pool.acquire(1000, "op b");
      assertThat(b).isSameAs(a);
      assertThat(b.owner()).isEqualTo("op b");
      assertThat(pool.allocations()).isEqualTo(1);
      b.release();
    }
  }

  @Test
  void buffersAreAlignedLittleEndianAndSizedAsAsked() {
    try (BufferPool pool = BufferPool.direct("t")) {
      PooledBuffer big = pool.acquire(4096, "x");
      big.release();
      PooledBuffer b = pool.acquire(3000, "y");
      assertThat(b).isSameAs(big);
      ByteBuffer view = b.buffer();
      assertThat(view.isDirect()).isTrue();
      assertThat(view.alignmentOffset(0, 64)).isZero();
      assertThat(view.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
      assertThat(view.position()).isZero();
      assertThat(view.limit()).isEqualTo(3000);
      assertThat(b.size()).isEqualTo(3000);
      assertThat(b.capacity()).isEqualTo(4096);
      b.release();
    }
  }

  @Test
  void countsBytesLentAndHeld() {
    try (BufferPool pool = BufferPool.direct("t")) {
      PooledBuffer a = pool.acquire(100, "a");
      PooledBuffer b = pool.acquire(300, "b");
      assertThat(pool.bytesLent()).isEqualTo(400);
      assertThat(pool.buffersLent()).isEqualTo(2);
      a.release();
      assertThat(pool.bytesLent()).isEqualTo(300);
      assertThat(pool.bytesHeld()).isEqualTo(400);
      b.release();
      assertThat(pool.bytesLent()).isZero();
      pool.trim();
      assertThat(pool.bytesHeld()).isZero();
    }
  }

  @Test
  void picksTheSmallestFitAndNeverOneMoreThanTwiceTooBig() {
    try (BufferPool pool = BufferPool.direct("t")) {
      PooledBuffer small = pool.acquire(1000, "a");
      PooledBuffer large = pool.acquire(5000, "b");
      small.release();
      large.release();
      PooledBuffer fit = pool.acquire(900, "c");
      assertThat(fit).isSameAs(small);
      PooledBuffer tooBig = pool.acquire(2000, "d");
      assertThat(tooBig).isNotSameAs(large);
      assertThat(pool.allocations()).isEqualTo(3);
      fit.release();
      tooBig.release();
    }
  }

  @Test
  void doesNotGrowOverTenThousandBatches() {
    CountingAllocator allocator = new CountingAllocator();
    try (BufferPool pool = new BufferPool("t", allocator)) {
      PooledBuffer[] previous = new PooledBuffer[3];
      for (int batch = 0; batch < 10_000; batch++) {
        PooledBuffer[] current = {
          pool.acquire(64 * 784, "image"), pool.acquire(64 * 4, "label"), pool.acquire(7, "tiny")
        };
        for (PooledBuffer p : previous) {
          if (p != null) {
            p.release();
          }
        }
        previous = current;
      }
      for (PooledBuffer p : previous) {
        p.release();
      }
      assertThat(allocator.allocated).isEqualTo(6);
      assertThat(pool.acquisitions()).isEqualTo(30_000);
      assertThat(pool.bytesLent()).isZero();
    }
    assertThat(allocator.freed).isEqualTo(6);
    assertThat(allocator.live).isEmpty();
  }

  @Test
  void closeWithBuffersOutReportsWhoHoldsThem() {
    CountingAllocator allocator = new CountingAllocator();
    BufferPool pool = new BufferPool("prefetch pool of op 'data'", allocator);
    PooledBuffer kept = pool.acquire(256, "TensorProtosDBInput 'data' output 0");
    pool.acquire(128, "TensorProtosDBInput 'data' output 0");
    pool.acquire(64, "someone else").release();

    assertThatThrownBy(pool::close)
        .isInstanceOf(MemoryLeakException.class)
        .hasMessageContaining("prefetch pool of op 'data'")
        .hasMessageContaining("2 buffer(s), 384 bytes")
        .hasMessageContaining(
            "'TensorProtosDBInput 'data' output 0' (thread "
                + Thread.currentThread().getName()
                + ") holds 2 buffer(s), 384 bytes")
        .message()
        .doesNotContain("someone else");
    assertThat(allocator.freed).isEqualTo(1);

    pool.close(); // idempotent: no second report
    kept.release(); // late release frees at once
    assertThat(allocator.freed).isEqualTo(2);
    assertThat(pool.bytesLent()).isEqualTo(128);
    assertThatThrownBy(() -> pool.acquire(1, "late"))
        .hasMessageContaining("is closed")
        .hasMessageContaining("'late'");
  }

  @Test
  void closeIsIdempotentWhenNothingIsOut() {
    CountingAllocator allocator = new CountingAllocator();
    BufferPool pool = new BufferPool("t", allocator);
    pool.acquire(10, "a").release();
    pool.close();
    pool.close();
    assertThat(pool.isClosed()).isTrue();
    assertThat(allocator.freed).isEqualTo(1);
  }

  @Test
  void releasingTwiceIsAnError() {
    try (BufferPool pool = BufferPool.direct("t")) {
      PooledBuffer a = pool.acquire(10, "twice");
      a.release();
      assertThatThrownBy(a::release)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("released twice")
          .hasMessageContaining("'twice'");
      assertThatThrownBy(a::buffer).hasMessageContaining("not lent");
    }
  }

  @Test
  void recordsAcquiringStacksWhenAsked() {
    String old = System.getProperty(BufferPool.TRACK_SITES_PROPERTY);
    System.setProperty(BufferPool.TRACK_SITES_PROPERTY, "true");
    BufferPool pool;
    try {
      pool = BufferPool.direct("tracked");
    } finally {
      if (old == null) {
        System.clearProperty(BufferPool.TRACK_SITES_PROPERTY);
      } else {
        System.setProperty(BufferPool.TRACK_SITES_PROPERTY, old);
      }
    }
    pool.acquire(8, "leaky");
    assertThatThrownBy(pool::close)
        .isInstanceOf(MemoryLeakException.class)
        .satisfies(
            e -> {
              assertThat(e.getSuppressed()).hasSize(1);
              assertThat(e.getSuppressed()[0].getStackTrace()[1].getMethodName())
                  .isEqualTo("recordsAcquiringStacksWhenAsked");
            });
  }

  @Test
  void rejectsNegativeSizes() {
    try (BufferPool pool = BufferPool.direct("t")) {
      assertThatThrownBy(() -> pool.acquire(-8, "neg")).hasMessageContaining("negative");
    }
  }
}
