package dev.cortado.cli;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cortado split-db}: Caffe2's split_db, round-robin into N DBs. */
@Command(
    name = "split-db",
    sortOptions = false,
    description = {
      "Splits a DB round-robin into N new DBs of the same type, as Caffe2's split_db: record n (in"
          + " cursor order) goes to <input-db>_split_<n mod N>, key and value unchanged. This is"
          + " the same partition as reading with num_shards=N."
    })
final class SplitDbCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin HelpOption helpOption;

  @Option(names = "--input-db", required = true, paramLabel = "PATH", description = "DB to split.")
  String inputDb;

  @Option(names = "--db-type", required = true, paramLabel = "TYPE",
      description = "Backend of the input and the output DBs: " + Dbs.TYPE_HELP)
  String dbType;

  @Option(names = "--splits", required = true, paramLabel = "N",
      description = "Number of output DBs (> 0).")
  int splits;

  @Option(names = "--batch-size", paramLabel = "N", defaultValue = "1000",
      description = "Input records per commit of every output (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Override
  public Integer call() {
    if (splits <= 0) {
      throw new CliException("--splits must be > 0, got " + splits);
    }
    if (batchSize <= 0) {
      throw new CliException("--batch-size must be > 0, got " + batchSize);
    }
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < splits; i++) {
      paths.add(inputDb + "_split_" + i);
    }
    long[] perSplit = new long[splits];
    long total = 0;
    List<Db> outs = new ArrayList<>();
    List<Transaction> txns = new ArrayList<>();
    try (Db in = Dbs.open(dbType, inputDb, Mode.READ);
        Progress progress = Progress.start(spec, "split-db", -1, "rec")) {
      for (String path : paths) {
        Db out = Dbs.open(dbType, path, Mode.NEW);
        outs.add(out);
        txns.add(Dbs.where(dbType, path, out::newTransaction));
      }
      try (Cursor cursor = Dbs.where(dbType, inputDb, in::newCursor)) {
        while (Dbs.where(dbType, inputDb, cursor::valid)) {
          byte[] key = DbBytes.copy(Dbs.where(dbType, inputDb, cursor::key));
          byte[] value = DbBytes.copy(Dbs.where(dbType, inputDb, cursor::value));
          int target = (int) (total % splits);
          Transaction txn = txns.get(target);
          Dbs.where(dbType, paths.get(target), () -> txn.put(key, value));
          perSplit[target]++;
          total++;
          if (total % batchSize == 0) {
            commitAll(txns, paths);
            progress.stepBy(batchSize);
          }
          Dbs.where(dbType, inputDb, cursor::next);
        }
      }
      commitAll(txns, paths);
    } finally {
      closeAll(txns, outs);
    }
    for (int i = 0; i < splits; i++) {
      spec.commandLine().getOut().printf(
          "%s: %d records%n", Dbs.describe(dbType, paths.get(i)), perSplit[i]);
    }
    return 0;
  }

  private void commitAll(List<Transaction> txns, List<String> paths) {
    for (int i = 0; i < txns.size(); i++) {
      Dbs.where(dbType, paths.get(i), txns.get(i)::commit);
    }
  }

  private static void closeAll(List<Transaction> txns, List<Db> outs) {
    RuntimeException first = null;
    for (AutoCloseable c : concat(txns, outs)) {
      try {
        c.close();
      } catch (Exception e) {
        if (first == null) {
          first = e instanceof RuntimeException r ? r : new CliException(Errors.oneLine(e), e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  private static List<AutoCloseable> concat(List<Transaction> txns, List<Db> outs) {
    List<AutoCloseable> all = new ArrayList<>(txns);
    all.addAll(outs);
    return all;
  }
}
