package dev.cortado.cli;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbReader;
import dev.cortado.db.Mode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cortado db-throughput}: Caffe2's db_throughput, raw cursor and DbReader modes. */
@Command(
    name = "db-throughput",
    sortOptions = false,
    description = {
      "Measures how fast records come out of a DB, without decoding, with a raw cursor and with"
          + " a shared DbReader (Caffe2's db_throughput).",
      "cursor mode: one cursor walks every record; reader mode: K threads share one DbReader"
          + " (CreateDB's reader, Caffe2 DBReader semantics) and read one DB's worth of records"
          + " per walk. A pass repeats the walk until it lasts --min-pass-seconds; the rate is"
          + " records per second of wall time, reported as median, min and max over --passes"
          + " passes after at least --warmup passes (more until two agree within 10%%). A spread"
          + " over 1.5x is a warning; Ctrl-C prints the passes finished so far."
    })
final class DbThroughputCommand implements Callable<Integer> {
  /** Which measurements to run. */
  enum Which {
    cursor,
    reader,
    both
  }

  @Spec CommandSpec spec;

  @Mixin HelpOption helpOption;

  @Mixin Options.DbIn in;

  private String db;
  private String dbType;

  @Option(
      names = "--mode",
      paramLabel = "MODE",
      defaultValue = "both",
      description = "cursor, reader or both (default: ${DEFAULT-VALUE}).")
  Which mode;

  @Option(
      names = "--passes",
      paramLabel = "N",
      defaultValue = "5",
      description = "Measured passes per mode (default: ${DEFAULT-VALUE}).")
  int passes;

  @Option(
      names = "--warmup",
      paramLabel = "N",
      defaultValue = "1",
      description =
          "Unmeasured passes first, to warm the page cache and the JIT (default:"
              + " ${DEFAULT-VALUE}).")
  int warmup;

  @Option(
      names = "--reader-threads",
      paramLabel = "K",
      defaultValue = "1",
      description = "Threads sharing the DbReader in reader mode (default: ${DEFAULT-VALUE}).")
  int readerThreads;

  @Option(
      names = "--min-pass-seconds",
      paramLabel = "S",
      defaultValue = "0.5",
      description =
          "Repeat the walk within a pass until the pass lasts this long (default:"
              + " ${DEFAULT-VALUE}).")
  double minPassSeconds;

  @Mixin Options.Json jsonOption;

  private boolean json;

  @Override
  public Integer call() throws InterruptedException {
    db = in.path;
    dbType = in.type();
    json = jsonOption.json;
    if (passes < 1 || warmup < 0 || readerThreads < 1) {
      throw new CliException(
          "need --passes >= 1, --warmup >= 0 and --reader-threads >= 1, got "
              + passes
              + ", "
              + warmup
              + ", "
              + readerThreads);
    }
    PrintWriter out = spec.commandLine().getOut();
    long[] size;
    try (Db opened = Dbs.open(dbType, db, Mode.READ)) {
      size = Dbs.where(dbType, db, () -> cursorPass(opened));
      if (size[0] == 0) {
        throw new CliException(
            Dbs.describe(dbType, db) + ": " + Dbs.EMPTY + "; nothing to measure");
      }
      if (!json) {
        out.printf(
            "%s: %d records, %.1f MB of values%n",
            Dbs.describe(dbType, db), size[0], size[1] / 1e6);
      }
      if (mode != Which.reader) {
        Passes.Result r;
        try (Progress p = Progress.start(spec, "cursor", -1, "pass")) {
          r =
              Passes.measure(
                  out,
                  spec.commandLine().getErr(),
                  "cursor",
                  size[0],
                  passes,
                  warmup,
                  minPassSeconds,
                  () -> Dbs.where(dbType, db, () -> cursorPass(opened)),
                  p);
          p.done();
        }
        report(out, "cursor", 1, size, r);
      }
    }
    if (mode != Which.cursor) {
      ExecutorService pool = Executors.newFixedThreadPool(readerThreads);
      Passes.Result r;
      try (DbReader reader =
              Dbs.where(dbType, db, () -> DbReader.open(Dbs.registry(), dbType, db));
          Progress p = Progress.start(spec, "reader", -1, "pass")) {
        r =
            Passes.measure(
                out,
                spec.commandLine().getErr(),
                "reader",
                size[0],
                passes,
                warmup,
                minPassSeconds,
                () -> readerPass(pool, reader, size[0]),
                p);
        p.done();
      } finally {
        pool.shutdownNow();
      }
      report(out, "reader", readerThreads, size, r);
    }
    out.flush();
    return 0;
  }

  /** Walks every record once with a fresh cursor; returns {records, value bytes}. */
  private static long[] cursorPass(Db opened) {
    long records = 0;
    long bytes = 0;
    try (Cursor c = opened.newCursor()) {
      for (; c.valid(); c.next()) {
        records++;
        bytes += c.value().remaining();
      }
    }
    return new long[] {records, bytes};
  }

  private void readerPass(ExecutorService pool, DbReader reader, long records) {
    List<Future<?>> parts = new ArrayList<>();
    for (int t = 0; t < readerThreads; t++) {
      long share = records / readerThreads + (t < records % readerThreads ? 1 : 0);
      parts.add(
          pool.submit(
              () -> {
                long[] sink = new long[1];
                for (long i = 0; i < share; i++) {
                  reader.read((key, value) -> sink[0] += value.remaining());
                }
                return sink[0];
              }));
    }
    for (Future<?> part : parts) {
      try {
        part.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CliException("interrupted", e);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        throw new CliException(Dbs.describe(dbType, db) + ": " + Errors.oneLine(cause), cause);
      }
    }
  }

  private void report(PrintWriter out, String name, int threads, long[] size, Passes.Result r) {
    Stats s = r.stats();
    double mbPerRecord = size[1] / 1e6 / size[0];
    if (json) {
      out.println(
          new JsonLine()
              .put("mode", name)
              .put("db", db)
              .put("db_type", dbType)
              .put("records", size[0])
              .put("value_bytes", size[1])
              .put("passes", passes)
              .put("reader_threads", threads)
              .put("records_per_s_median", s.median(), 0)
              .put("records_per_s_min", s.min(), 0)
              .put("records_per_s_max", s.max(), 0)
              .put("mb_per_s_median", s.median() * mbPerRecord, 1)
              .put("spread", r.spread(), 3)
              .put("epochs_per_pass", r.epochsPerPass())
              .put("warmup", r.warmupPasses()));
    } else {
      out.printf(
          "%-6s %d thread%s: %,.0f records/s median (min %,.0f, max %,.0f), %.1f MB/s over"
              + " %d passes of %d walk%s%n",
          name,
          threads,
          threads == 1 ? " " : "s",
          s.median(),
          s.min(),
          s.max(),
          s.median() * mbPerRecord,
          passes,
          r.epochsPerPass(),
          r.epochsPerPass() == 1 ? "" : "s");
    }
  }
}
