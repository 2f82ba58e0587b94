package dev.cortado.cli;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbOutput;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code cortado convert-db}: Caffe2's convert_db, between any two backends. */
@Command(
    name = "convert-db",
    sortOptions = false,
    description = {
      "Copies every record, in the input's cursor order, into a new DB of any type (Caffe2's"
          + " convert_db). Keys and values are copied byte for byte. The output appears only when"
          + " complete; an error or Ctrl-C leaves no output (or the old one, with --overwrite)."
    })
final class ConvertDbCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin HelpOption helpOption;

  @Mixin Options.DbIn in;

  @Mixin Options.Shards shards;

  @Mixin Options.DbOut out;

  @Mixin Options.Commit commit;

  @Mixin Options.Json json;

  @Override
  public Integer call() {
    String outPath = out.path(spec);
    shards.check();
    commit.check();
    String inType = in.type();
    String outType = Dbs.canonical(out.type(inType), outPath);
    DbSize.Total total = DbSize.total(inType, in.path, shards.numShards);
    long start = System.nanoTime();
    long records = 0;
    long bytes = 0;
    try (DbOutput output = Outputs.begin(spec, outPath, out.overwrite, List.of(Path.of(in.path)))) {
      String partial = output.path().toString();
      try {
        try (Db src = Dbs.open(inType, in.path, Mode.READ);
            Db dst = Dbs.open(outType, partial, Mode.NEW);
            Progress progress = Progress.start(spec, "convert-db", total.max(), total.unit());
            Cursor cursor = Dbs.where(inType, in.path, src::newCursor);
            Transaction txn = Dbs.where(outType, partial, dst::newTransaction)) {
          long position = 0;
          long pending = 0;
          for (; Dbs.where(inType, in.path, cursor::valid); position++) {
            output.checkActive();
            if (shards.includes(position)) {
              ByteBuffer k = Dbs.where(inType, in.path, cursor::key);
              ByteBuffer v = Dbs.where(inType, in.path, cursor::value);
              byte[] key = DbBytes.copy(k);
              byte[] value = DbBytes.copy(v);
              Dbs.where(outType, partial, () -> txn.put(key, value));
              records++;
              bytes += value.length;
              if (++pending == commit.every) {
                Dbs.where(outType, partial, txn::commit);
                pending = 0;
              }
              progress.stepBy(total.step(key.length, value.length));
            }
            Dbs.where(inType, in.path, cursor::next);
          }
          Dbs.where(outType, partial, txn::commit);
          progress.done();
        }
        output.commit();
      } catch (RuntimeException e) {
        throw Outputs.failed(e, output);
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (json.json) {
      spec.commandLine()
          .getOut()
          .println(
              new JsonLine()
                  .put("records", records)
                  .put("value_bytes", bytes)
                  .put("db", in.path)
                  .put("db_type", inType)
                  .put("out", outPath)
                  .put("out_type", outType)
                  .put("seconds", seconds, 3));
    } else {
      spec.commandLine()
          .getOut()
          .printf(
              "copied %d records (%.1f MB) from %s to %s in %.2f s%n",
              records, bytes / 1e6, in.describe(), Dbs.describe(outType, outPath), seconds);
    }
    return 0;
  }
}
