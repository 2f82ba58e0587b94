package dev.cortado.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link CopyEngine} without a GPU for tests. Device memory is heap memory. Work on a stream is
 * queued and runs late: only when someone waits for it, or one item per {@link Event#isComplete()}
 * poll, and a queued host-to-device copy reads its source when it runs, not when it was enqueued.
 * So code that reuses a host buffer before the copy's event completed reads corrupted batches.
 */
final class FakeCopyEngine implements CopyEngine {
  private final CudaAvailability availability;
  private final Set<ByteBuffer> pinned = Collections.newSetFromMap(new IdentityHashMap<>());
  final AtomicLong h2dCopies = new AtomicLong();
  final AtomicLong h2dBytes = new AtomicLong();
  final AtomicLong d2hCopies = new AtomicLong();
  final AtomicLong sourcesChangedBeforeCopy = new AtomicLong();
  final AtomicLong pinnedAllocations = new AtomicLong();
  final AtomicLong streamsCreated = new AtomicLong();
  final AtomicLong streamsClosed = new AtomicLong();
  final AtomicLong deviceAllocations = new AtomicLong();
  final AtomicLong deviceFrees = new AtomicLong();

  FakeCopyEngine(int devices) {
    this(CudaAvailability.available(devices, 13000, 12060));
  }

  FakeCopyEngine(CudaAvailability availability) {
    this(availability, -1);
  }

  /**
   * With {@code asyncDelayNanos >= 0} every stream runs its work on its own thread, each item after
   * that delay, like a device that is busy elsewhere: a host buffer reused before its copy's event
   * completed is then overwritten under the copy.
   */
  FakeCopyEngine(CudaAvailability availability, long asyncDelayNanos) {
    this.availability = availability;
    this.asyncDelayNanos = asyncDelayNanos;
  }

  private final long asyncDelayNanos;

  @Override
  public String name() {
    return "fake";
  }

  @Override
  public CudaAvailability availability() {
    return availability;
  }

  @Override
  public Stream createStream(int deviceId) {
    streamsCreated.incrementAndGet();
    return new FakeStream(deviceId);
  }

  @Override
  public Event createEvent(int deviceId) {
    return new FakeEvent();
  }

  @Override
  public DeviceMemory allocateDevice(int deviceId, long bytes) {
    deviceAllocations.incrementAndGet();
    return new FakeMemory(deviceId, bytes);
  }

  @Override
  public synchronized ByteBuffer allocatePinned(int deviceId, int bytes) {
    ByteBuffer b = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
    pinned.add(b);
    pinnedAllocations.incrementAndGet();
    return b;
  }

  @Override
  public synchronized void freePinned(ByteBuffer buffer) {
    if (!pinned.remove(buffer)) {
      throw new IllegalArgumentException("not a pinned buffer of this engine, or freed twice");
    }
  }

  synchronized int pinnedOutstanding() {
    return pinned.size();
  }

  @Override
  public void copyToDeviceAsync(ByteBuffer src, DeviceMemory dst, long dstOffset, Stream stream) {
    ByteBuffer source = src.duplicate();
    FakeMemory target = (FakeMemory) dst;
    check(target, dstOffset, source.remaining());
    h2dCopies.incrementAndGet();
    h2dBytes.addAndGet(source.remaining());
    int checksumAtEnqueue = checksum(source);
    ((FakeStream) stream)
        .enqueue(
            () -> {
              // A source changed between enqueue and execution was reused before its copy
              // completed.
              if (checksum(source) != checksumAtEnqueue) {
                sourcesChangedBeforeCopy.incrementAndGet();
              }
              ByteBuffer to = target.bytes.duplicate();
              to.position((int) dstOffset);
              to.put(source.duplicate());
            });
  }

  @Override
  public void copyToHostAsync(DeviceMemory src, long srcOffset, ByteBuffer dst, Stream stream) {
    ByteBuffer target = dst.duplicate();
    FakeMemory source = (FakeMemory) src;
    check(source, srcOffset, target.remaining());
    d2hCopies.incrementAndGet();
    ((FakeStream) stream)
        .enqueue(
            () -> {
              ByteBuffer from = source.bytes.duplicate();
              from.position((int) srcOffset).limit((int) srcOffset + target.remaining());
              target.duplicate().put(from);
            });
  }

  @Override
  public void copyToHost(DeviceMemory src, long srcOffset, ByteBuffer dst) {
    FakeMemory source = (FakeMemory) src;
    check(source, srcOffset, dst.remaining());
    d2hCopies.incrementAndGet();
    ByteBuffer from = source.bytes.duplicate();
    from.position((int) srcOffset).limit((int) srcOffset + dst.remaining());
    dst.duplicate().put(from);
  }

  @Override
  public void copyDeviceAsync(DeviceMemory src, DeviceMemory dst, long bytes, Stream stream) {
    FakeMemory from = (FakeMemory) src;
    FakeMemory to = (FakeMemory) dst;
    check(from, 0, bytes);
    check(to, 0, bytes);
    ((FakeStream) stream)
        .enqueue(
            () -> {
              ByteBuffer f = from.bytes.duplicate();
              f.limit((int) bytes);
              to.bytes.duplicate().put(f);
            });
  }

  private static int checksum(ByteBuffer b) {
    return b.duplicate().hashCode();
  }

  private static void check(FakeMemory m, long offset, long n) {
    if (m.closed) {
      throw new IllegalStateException("fake device memory used after free");
    }
    if (offset < 0 || offset + n > m.nbytes) {
      throw new IllegalArgumentException(n + " bytes at " + offset + " outside " + m.nbytes);
    }
  }

  final class FakeMemory implements DeviceMemory {
    final int deviceId;
    final long nbytes;
    final ByteBuffer bytes;
    volatile boolean closed;

    FakeMemory(int deviceId, long nbytes) {
      this.deviceId = deviceId;
      this.nbytes = nbytes;
      this.bytes = ByteBuffer.allocate(Math.toIntExact(nbytes)).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public int deviceId() {
      return deviceId;
    }

    @Override
    public long nbytes() {
      return nbytes;
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        deviceFrees.incrementAndGet();
      }
    }
  }

  final class FakeStream implements Stream {
    final int deviceId;
    private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
    private final java.util.concurrent.ExecutorService worker;
    private long enqueued;
    private long done;
    private boolean closed;

    FakeStream(int deviceId) {
      this.deviceId = deviceId;
      this.worker =
          asyncDelayNanos < 0
              ? null
              : java.util.concurrent.Executors.newSingleThreadExecutor(
                  r -> {
                    Thread t = new Thread(r, "fake-cuda-stream");
                    t.setDaemon(true);
                    return t;
                  });
    }

    @Override
    public int deviceId() {
      return deviceId;
    }

    synchronized void enqueue(Runnable work) {
      if (closed) {
        throw new IllegalStateException("fake stream used after close");
      }
      enqueued++;
      if (worker != null) {
        worker.execute(
            () -> {
              java.util.concurrent.locks.LockSupport.parkNanos(asyncDelayNanos);
              work.run();
              synchronized (this) {
                done++;
                notifyAll();
              }
            });
      } else {
        queue.add(work);
      }
    }

    synchronized long position() {
      return enqueued;
    }

    synchronized boolean runOne() {
      if (worker != null) {
        return false; // the worker makes progress by itself
      }
      Runnable r = queue.poll();
      if (r == null) {
        return false;
      }
      r.run();
      done++;
      return true;
    }

    synchronized void runUntil(long position) {
      if (worker != null) {
        while (done < position) {
          try {
            wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for the fake stream", e);
          }
        }
        return;
      }
      while (done < position && runOne()) {
        // keep going
      }
    }

    synchronized long done() {
      return done;
    }

    @Override
    public void waitFor(Event event) {
      FakeEvent e = (FakeEvent) event;
      enqueue(e::synchronize);
    }

    @Override
    public synchronized void synchronize() {
      runUntil(enqueued);
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        synchronize();
        closed = true;
        streamsClosed.incrementAndGet();
        if (worker != null) {
          worker.shutdown();
        }
      }
    }
  }

  final class FakeEvent implements Event {
    private FakeStream stream;
    private long position;

    @Override
    public synchronized void record(Stream s) {
      stream = (FakeStream) s;
      position = stream.position();
    }

    @Override
    public synchronized boolean isComplete() {
      if (stream == null || stream.done() >= position) {
        return true;
      }
      // Progress one item per poll: the copy is still running when first asked.
      stream.runOne();
      return false;
    }

    @Override
    public synchronized void synchronize() {
      if (stream != null) {
        stream.runUntil(position);
      }
    }

    @Override
    public void close() {}
  }
}
