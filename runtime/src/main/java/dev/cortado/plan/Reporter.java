package dev.cortado.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caffe2's plan reporter: each task runs on its own thread every interval while the step runs, and
 * once more when the step ends. Failures are logged, never thrown, as in Caffe2.
 */
final class Reporter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Reporter.class);

  private final CountDownLatch done = new CountDownLatch(1);
  private final List<Thread> threads = new ArrayList<>();

  void start(long intervalMs, Runnable task, String what) {
    Thread t =
        new Thread(
            () -> {
              while (true) {
                boolean finished = awaitDone(intervalMs);
                try {
                  task.run();
                } catch (RuntimeException e) {
                  LOG.warn("{} failed: {}", what, e.getMessage(), e);
                }
                if (finished) {
                  return;
                }
              }
            },
            "cortado-reporter-" + what);
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  private boolean awaitDone(long intervalMs) {
    try {
      return done.await(Math.max(0, intervalMs), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  /** Signals the end of the step and waits for every task's final run. */
  @Override
  public void close() {
    done.countDown();
    Threads.joinAll(threads);
  }
}
