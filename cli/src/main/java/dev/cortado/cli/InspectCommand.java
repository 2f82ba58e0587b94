package dev.cortado.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.Keys;
import dev.cortado.db.Mode;
import dev.cortado.proto.TensorProto;
import dev.cortado.proto.TensorProtos;
import dev.cortado.tensor.Shapes;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorProtoCodec;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cortado inspect}: a table of the first records' tensors. */
@Command(
    name = "inspect",
    sortOptions = false,
    description = {
      "Prints the first records of a DB of TensorProtos as a table: each record's key, then each"
          + " tensor's index, name, dtype (Caffe2's name), shape and first values. A record that"
          + " does not decode shows the reason in its row instead of stopping the listing."
    })
final class InspectCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin HelpOption helpOption;

  @Option(names = "--db", required = true, paramLabel = "PATH", description = "DB to read.")
  String db;

  @Option(names = "--db-type", required = true, paramLabel = "TYPE",
      description = "Backend: " + Dbs.TYPE_HELP)
  String dbType;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "10",
      description = "Records to show (default: ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = "--values", paramLabel = "N", defaultValue = "8",
      description = "Values to show per tensor (default: ${DEFAULT-VALUE}).")
  int values;

  @Override
  public Integer call() {
    if (limit < 0 || values < 0) {
      throw new CliException("--limit and --values must be >= 0");
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"KEY", "#", "NAME", "DTYPE", "SHAPE", "VALUES"});
    int shown = 0;
    boolean more;
    try (Db opened = Dbs.open(dbType, db, Mode.READ);
        Cursor c = Dbs.where(dbType, db, opened::newCursor)) {
      while (shown < limit && Dbs.where(dbType, db, c::valid)) {
        String key = Keys.describe(Dbs.where(dbType, db, c::key));
        byte[] value = DbBytes.copy(Dbs.where(dbType, db, c::value));
        addRecord(rows, key, value);
        shown++;
        Dbs.where(dbType, db, c::next);
      }
      more = Dbs.where(dbType, db, c::valid);
    }
    PrintWriter out = spec.commandLine().getOut();
    printTable(out, rows);
    out.printf("%d record%s shown%s%n", shown, shown == 1 ? "" : "s",
        more ? "; more follow (--limit N shows more)" : "; end of DB");
    out.flush();
    return 0;
  }

  private void addRecord(List<String[]> rows, String key, byte[] value) {
    TensorProtos protos;
    try {
      protos = TensorProtos.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      rows.add(new String[] {key, "-", "", "", "",
          "not a TensorProtos (" + value.length + " bytes): " + e.getMessage()});
      return;
    }
    if (protos.getProtosCount() == 0) {
      rows.add(new String[] {key, "-", "", "", "", "no tensors (" + value.length + " bytes)"});
    }
    for (int i = 0; i < protos.getProtosCount(); i++) {
      TensorProto p = protos.getProtos(i);
      String first = i == 0 ? key : "";
      String shape = Shapes.toString(p.getDimsList().stream().mapToLong(Long::longValue).toArray());
      try {
        Tensor t = TensorProtoCodec.toTensor(p);
        rows.add(new String[] {first, Integer.toString(i), p.getName(),
            t.dataType().caffe2Name(), shape, TensorText.values(t, values)});
      } catch (RuntimeException e) {
        String type = p.hasDataType() ? p.getDataType().name() : "?";
        rows.add(new String[] {first, Integer.toString(i), p.getName(), type, shape,
            "cannot decode: " + Errors.oneLine(e)});
      }
    }
  }

  private static void printTable(PrintWriter out, List<String[]> rows) {
    int cols = rows.get(0).length;
    int[] width = new int[cols];
    for (String[] row : rows) {
      for (int i = 0; i < cols - 1; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < cols; i++) {
        sb.append(row[i]);
        if (i < cols - 1) {
          sb.append(" ".repeat(width[i] - row[i].length() + 2));
        }
      }
      out.println(sb.toString().stripTrailing());
    }
  }
}
