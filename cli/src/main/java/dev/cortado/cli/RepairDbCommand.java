package dev.cortado.cli;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbOutput;
import dev.cortado.db.Mode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code cortado repair-db}: a minidb file cut back to its whole records, as a new file. */
@Command(
    name = "repair-db",
    sortOptions = false,
    description = {
      "Copies the longest run of whole, well-formed records at the start of a minidb file into a"
          + " new file (default: <db>.repaired), dropping a torn tail such as a crash while"
          + " writing leaves, and says how many records it kept. The input is never changed."
    })
final class RepairDbCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin HelpOption helpOption;

  @Mixin Options.DbIn in;

  @Mixin Options.DbOut out;

  @Mixin Options.Json json;

  @Override
  public Integer call() throws IOException {
    String type = in.type == null ? "minidb" : Dbs.canonical(in.type, in.path);
    if (!type.equals("minidb")) {
      throw new CliException(
          "repair-db repairs minidb files; "
              + Dbs.describe(type, in.path)
              + " keeps its own write-ahead log and recovers on open");
    }
    if (out.type != null && !Dbs.canonical(out.type, out.path).equals("minidb")) {
      throw new CliException(
          "repair-db writes a minidb file; use convert-db on the repaired"
              + " file for another type");
    }
    String outPath = out.path != null ? out.path : in.path + ".repaired";
    long size = Files.size(Path.of(in.path));
    long kept = 0;
    long records = 0;
    String problem = null;
    try (Db db = Dbs.open(type, in.path, Mode.READ);
        Cursor c = Dbs.where(type, in.path, db::newCursor)) {
      try {
        for (; c.valid(); c.next()) {
          kept += 8L + c.key().remaining() + c.value().remaining();
          records++;
        }
      } catch (RuntimeException e) {
        problem = Errors.oneLine(e);
      }
    }
    try (DbOutput output = Outputs.begin(spec, outPath, out.overwrite, List.of(Path.of(in.path)))) {
      try {
        try (InputStream src = Files.newInputStream(Path.of(in.path));
            OutputStream dst = Files.newOutputStream(output.path())) {
          byte[] buf = new byte[1 << 16];
          long left = kept;
          while (left > 0) {
            output.checkActive();
            int n = src.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
              throw new CliException(
                  in.path
                      + " ended at byte "
                      + (kept - left)
                      + " while copying "
                      + kept
                      + " bytes; it changed while being repaired");
            }
            dst.write(buf, 0, n);
            left -= n;
          }
        }
        output.commit();
      } catch (IOException e) {
        throw Outputs.failed(new CliException("cannot write " + outPath + ": " + e, e), output);
      } catch (RuntimeException e) {
        throw Outputs.failed(e, output);
      }
    }
    if (json.json) {
      spec.commandLine()
          .getOut()
          .println(
              new JsonLine()
                  .put("db", in.path)
                  .put("out", outPath)
                  .put("records_kept", records)
                  .put("bytes_kept", kept)
                  .put("bytes_dropped", size - kept)
                  .put("problem", problem));
    } else if (problem == null) {
      spec.commandLine()
          .getOut()
          .printf(
              "%s is sound: kept all %d records (%d bytes) in %s%n",
              in.path, records, kept, outPath);
    } else {
      spec.commandLine()
          .getOut()
          .printf(
              "kept %d records (%d bytes) of %s in %s; dropped %d bytes from byte offset %d: %s%n",
              records, kept, in.path, outPath, size - kept, kept, problem);
    }
    return 0;
  }
}
