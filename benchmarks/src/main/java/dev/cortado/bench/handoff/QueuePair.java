package dev.cortado.bench.handoff;

import dev.cortado.prefetch.internal.Prefetcher.Source;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A hand-off candidate from the JDK's shelf: an {@link ArrayBlockingQueue} of ready batches and one
 * of free slots, a producer thread moving slots from one to the other. Optionally the consumer
 * polls the ready queue for a while before it blocks. Benchmark only (no failure or close protocol
 * beyond an interrupt).
 *
 * @param <B> the batch slot type
 */
public final class QueuePair<B> implements AutoCloseable {
  private final ArrayBlockingQueue<B> ready;
  private final ArrayBlockingQueue<B> free;
  private final long spinNanos;
  private final Thread producer;
  private B held;

  public QueuePair(String owner, Source<B> source, int depth, long spinNanos) {
    this.ready = new ArrayBlockingQueue<>(depth);
    this.free = new ArrayBlockingQueue<>(depth + 1);
    this.spinNanos = spinNanos;
    for (int i = 0; i < depth + 1; i++) {
      free.add(source.newBatch());
    }
    producer =
        new Thread(
            () -> {
              try {
                while (true) {
                  B b = free.take();
                  source.fill(b);
                  ready.put(b);
                }
              } catch (InterruptedException e) {
                // closed
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            },
            "queue-pair " + owner);
    producer.setDaemon(true);
    producer.start();
  }

  public B take() throws InterruptedException {
    if (held != null) {
      free.put(held);
    }
    B b = ready.poll();
    if (b == null && spinNanos > 0) {
      long deadline = System.nanoTime() + spinNanos;
      for (int i = 0; b == null; i++) {
        if (i < 256) {
          Thread.onSpinWait();
        } else if (System.nanoTime() - deadline > 0) {
          break;
        } else {
          Thread.yield();
        }
        b = ready.poll();
      }
    }
    if (b == null) {
      b = ready.take();
    }
    held = b;
    return b;
  }

  @Override
  public void close() throws InterruptedException {
    producer.interrupt();
    producer.join(TimeUnit.SECONDS.toMillis(1));
  }
}
