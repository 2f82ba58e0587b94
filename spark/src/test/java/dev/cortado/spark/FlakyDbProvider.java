package dev.cortado.spark;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbProvider;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import dev.cortado.db.lmdb.LmdbProvider;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;

/**
 * A test backend plugin, {@code flaky-lmdb}: LMDB whose writes fail in the first attempt of a Spark
 * task, after some records (partition 1) or when the DB is closed (partition 0), the points where a
 * real task dies halfway. With the system property {@code flaky.always} every attempt fails; with
 * {@code flaky.stall} its tasks stall (see {@link #stallIfAsked}).
 */
public final class FlakyDbProvider implements DbProvider {
  static final AtomicInteger FAILURES = new AtomicInteger();

  @Override
  public String name() {
    return "flaky-lmdb";
  }

  @Override
  public Db open(String source, Mode mode) {
    Db db = new LmdbProvider().open(source, mode);
    return new Db() {
      @Override
      public String source() {
        return db.source();
      }

      @Override
      public String type() {
        return "flaky-lmdb";
      }

      @Override
      public Mode mode() {
        return db.mode();
      }

      @Override
      public Cursor newCursor() {
        stallIfAsked();
        return db.newCursor();
      }

      @Override
      public Transaction newTransaction() {
        Transaction txn = db.newTransaction();
        return new Transaction() {
          int puts;

          @Override
          public void put(byte[] key, byte[] value) {
            txn.put(key, value);
            if (++puts == 5 && failing(1)) {
              throw new IllegalStateException("injected failure after 5 records");
            }
          }

          @Override
          public void commit() {
            txn.commit();
          }

          @Override
          public void close() {
            txn.close();
          }
        };
      }

      @Override
      public void close() {
        db.close();
        if (mode() != Mode.READ && failing(0)) {
          throw new IllegalStateException("injected failure closing the shard");
        }
      }
    };
  }

  /**
   * With the system property {@code flaky.stall} (a file path), a task that opens a cursor creates
   * that file and then waits a minute: a test that sees the file knows a job is running and can
   * stop the process under it.
   */
  private static void stallIfAsked() {
    String marker = System.getProperty("flaky.stall");
    if (marker == null || TaskContext.get() == null) {
      return;
    }
    try {
      java.nio.file.Files.writeString(java.nio.file.Path.of(marker), "stalled");
      Thread.sleep(60_000);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stalled", e);
    }
  }

  private static boolean failing(int partition) {
    TaskContext task = TaskContext.get();
    boolean fail =
        task != null
            && task.partitionId() == partition
            && (task.attemptNumber() == 0 || Boolean.getBoolean("flaky.always"));
    if (fail) {
      FAILURES.incrementAndGet();
    }
    return fail;
  }
}
