package dev.cortado.cli;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cortado convert-db}: Caffe2's convert_db, between any two backends. */
@Command(
    name = "convert-db",
    sortOptions = false,
    description = {
      "Copies every record, in the input's cursor order, into a new DB of any type (Caffe2's"
          + " convert_db). Keys and values are copied byte for byte."
    })
final class ConvertDbCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin HelpOption helpOption;

  @Option(names = "--input-db", required = true, paramLabel = "PATH", description = "DB to read.")
  String inputDb;

  @Option(names = "--input-db-type", required = true, paramLabel = "TYPE",
      description = "Backend of the input DB: " + Dbs.TYPE_HELP)
  String inputType;

  @Option(names = "--output-db", required = true, paramLabel = "PATH",
      description = "DB to create.")
  String outputDb;

  @Option(names = "--output-db-type", required = true, paramLabel = "TYPE",
      description = "Backend of the output DB.")
  String outputType;

  @Option(names = "--batch-size", paramLabel = "N", defaultValue = "1000",
      description = "Records per commit (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Override
  public Integer call() {
    if (batchSize <= 0) {
      throw new CliException("--batch-size must be > 0, got " + batchSize);
    }
    long start = System.nanoTime();
    long[] counts = new long[2];
    try (Db in = Dbs.open(inputType, inputDb, Mode.READ);
        Db out = Dbs.open(outputType, outputDb, Mode.NEW);
        Progress progress = Progress.start(spec, "convert-db", -1, "rec")) {
      try (Cursor cursor = Dbs.where(inputType, inputDb, in::newCursor);
          Transaction txn = Dbs.where(outputType, outputDb, out::newTransaction)) {
        while (Dbs.where(inputType, inputDb, cursor::valid)) {
          byte[] key = DbBytes.copy(Dbs.where(inputType, inputDb, cursor::key));
          byte[] value = DbBytes.copy(Dbs.where(inputType, inputDb, cursor::value));
          Dbs.where(outputType, outputDb, () -> txn.put(key, value));
          counts[0]++;
          counts[1] += value.length;
          if (counts[0] % batchSize == 0) {
            Dbs.where(outputType, outputDb, txn::commit);
            progress.stepBy(batchSize);
          }
          Dbs.where(inputType, inputDb, cursor::next);
        }
        Dbs.where(outputType, outputDb, txn::commit);
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    spec.commandLine().getOut().printf(
        "copied %d records (%.1f MB) from %s to %s in %.2f s%n",
        counts[0], counts[1] / 1e6, Dbs.describe(inputType, inputDb),
        Dbs.describe(outputType, outputDb), seconds);
    return 0;
  }
}
