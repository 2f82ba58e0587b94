package dev.cortado.cli;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbOutput;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import java.io.PrintWriter;
import java.nio.file.Path;
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
      "Splits a DB round-robin into N new DBs, as Caffe2's split_db: record n (in cursor order)"
          + " goes to <out>_split_<n mod N> (<out> defaults to the input's path), key and value"
          + " unchanged. This is the same partition as reading with num_shards=N. The outputs"
          + " appear only when complete."
    })
final class SplitDbCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin HelpOption helpOption;

  @Mixin Options.DbIn in;

  @Mixin Options.Shards shards;

  @Option(
      names = "--splits",
      required = true,
      paramLabel = "N",
      description = "Number of output DBs (> 0).")
  int splits;

  @Mixin Options.DbOut out;

  @Mixin Options.Commit commit;

  @Mixin Options.Json json;

  @Override
  public Integer call() {
    if (splits <= 0) {
      throw new CliException("--splits must be > 0, got " + splits);
    }
    shards.check();
    commit.check();
    String inType = in.type();
    String outType = Dbs.canonical(out.type(inType), out.path != null ? out.path : in.path);
    String prefix = out.path != null ? out.path : in.path;
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < splits; i++) {
      paths.add(prefix + "_split_" + i);
    }
    DbSize.Total total = DbSize.total(inType, in.path, shards.numShards);
    long[] perSplit = new long[splits];
    List<DbOutput> outputs = new ArrayList<>();
    try {
      for (String p : paths) {
        outputs.add(Outputs.begin(spec, p, out.overwrite, List.of(Path.of(in.path))));
      }
      write(inType, outType, outputs, perSplit, total);
      for (DbOutput o : outputs) {
        o.commit();
      }
    } catch (RuntimeException e) {
      throw Outputs.failed(e, outputs);
    } finally {
      outputs.forEach(DbOutput::close);
    }
    PrintWriter stdout = spec.commandLine().getOut();
    for (int i = 0; i < splits; i++) {
      if (json.json) {
        stdout.println(
            new JsonLine()
                .put("out", paths.get(i))
                .put("out_type", outType)
                .put("records", perSplit[i]));
      } else {
        stdout.printf("%s: %d records%n", Dbs.describe(outType, paths.get(i)), perSplit[i]);
      }
    }
    return 0;
  }

  private void write(
      String inType, String outType, List<DbOutput> outputs, long[] perSplit, DbSize.Total total) {
    List<Db> dbs = new ArrayList<>();
    List<Transaction> txns = new ArrayList<>();
    try (Db src = Dbs.open(inType, in.path, Mode.READ);
        Progress progress = Progress.start(spec, "split-db", total.max(), total.unit())) {
      for (DbOutput o : outputs) {
        String p = o.path().toString();
        Db db = Dbs.open(outType, p, Mode.NEW);
        dbs.add(db);
        txns.add(Dbs.where(outType, p, db::newTransaction));
      }
      long written = 0;
      try (Cursor cursor = Dbs.where(inType, in.path, src::newCursor)) {
        for (long position = 0; Dbs.where(inType, in.path, cursor::valid); position++) {
          outputs.get(0).checkActive();
          if (shards.includes(position)) {
            byte[] key = DbBytes.copy(Dbs.where(inType, in.path, cursor::key));
            byte[] value = DbBytes.copy(Dbs.where(inType, in.path, cursor::value));
            int target = (int) (written % splits);
            Transaction txn = txns.get(target);
            Dbs.where(outType, outputs.get(target).path().toString(), () -> txn.put(key, value));
            perSplit[target]++;
            written++;
            if (written % commit.every == 0) {
              commitAll(txns, outputs, outType);
            }
            progress.stepBy(total.step(key.length, value.length));
          }
          Dbs.where(inType, in.path, cursor::next);
        }
      }
      commitAll(txns, outputs, outType);
      progress.done();
    } finally {
      closeAll(txns, dbs);
    }
  }

  private static void commitAll(List<Transaction> txns, List<DbOutput> outputs, String type) {
    for (int i = 0; i < txns.size(); i++) {
      Dbs.where(type, outputs.get(i).path().toString(), txns.get(i)::commit);
    }
  }

  private static void closeAll(List<Transaction> txns, List<Db> dbs) {
    RuntimeException first = null;
    List<AutoCloseable> all = new ArrayList<>(txns);
    all.addAll(dbs);
    for (AutoCloseable c : all) {
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
}
