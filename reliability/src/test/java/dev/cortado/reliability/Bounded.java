package dev.cortado.reliability;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Runs one fuzz input on a worker thread with a deadline, so a hang is a finding (with the stuck
 * thread's stack) rather than a fuzzer that stops making progress.
 */
final class Bounded {
  /** The first input loads (and under the fuzzer, instruments) most classes: it gets longer. */
  private static final Duration FIRST_INPUT = Duration.ofSeconds(120);

  private final String name;
  private boolean warm;
  private ExecutorService worker;
  private Thread thread;

  Bounded(String name) {
    this.name = name;
  }

  interface Work {
    void run() throws Exception;
  }

  synchronized void run(Duration limit, Work work) {
    if (!warm) {
      warm = true;
      limit = limit.compareTo(FIRST_INPUT) < 0 ? FIRST_INPUT : limit;
    }
    if (worker == null) {
      worker =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                thread = t;
                return t;
              });
    }
    Future<?> f =
        worker.submit(
            () -> {
              work.run();
              return null;
            });
    try {
      f.get(limit.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      String stack =
          thread == null
              ? ""
              : Arrays.stream(thread.getStackTrace())
                  .map(s -> "\n\tat " + s)
                  .collect(Collectors.joining());
      // The stuck thread is abandoned; the next input gets a fresh one.
      worker.shutdownNow();
      worker = null;
      throw new AssertionError(
          "input not done within " + limit.toSeconds() + " s; " + name + " is at:" + stack);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new AssertionError(cause);
    }
  }
}
