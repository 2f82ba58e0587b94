package dev.cortado.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.Keys;
import dev.cortado.db.Mode;
import dev.cortado.proto.TensorProto;
import dev.cortado.proto.TensorProtos;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Shapes;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorProtoCodec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cortado inspect}: a table of the first records' tensors, their count, a picture. */
@Command(
    name = "inspect",
    sortOptions = false,
    description = {
      "Prints the first records of a DB of TensorProtos as a table: each record's key, then each"
          + " tensor's index, name, dtype (Caffe2's name), shape and first values, and then how"
          + " many records the DB holds (exact when the backend keeps a count or a scan finishes"
          + " within 2 s, else \"at least N\"). A record that does not decode shows the reason in"
          + " its row instead of stopping the listing.",
      "With --image, also draws the records' image tensors as a PNG grid, each labelled with its"
          + " key and, when the record has an INT32 label tensor, its label."
    })
final class InspectCommand implements Callable<Integer> {
  /** How long counting may scan past the shown records. */
  static final long COUNT_BUDGET_NANOS = 2_000_000_000L;

  @Spec CommandSpec spec;

  @Mixin HelpOption helpOption;

  @Mixin Options.DbIn in;

  @Mixin Options.Shards shards;

  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "10",
      description = "Records to show (default: ${DEFAULT-VALUE}; with --image, 64 unless given).")
  Integer limit;

  @Option(
      names = "--values",
      paramLabel = "N",
      defaultValue = "8",
      description = "Values to show per tensor (default: ${DEFAULT-VALUE}).")
  int values;

  @Option(
      names = "--image",
      paramLabel = "PNG",
      description = "Also draw the records' image tensors into this PNG file (a grid).")
  Path image;

  @Option(
      names = "--tensor",
      paramLabel = "I",
      defaultValue = "0",
      description = "Which tensor of a record is the image (default: ${DEFAULT-VALUE}).")
  int tensor;

  @Option(
      names = "--class-names",
      paramLabel = "NAMES",
      description =
          "Label captions: fashion-mnist, or a comma-separated list by label value"
              + " (default: the label number).")
  String classNames;

  @Mixin Options.Json json;

  @Override
  public Integer call() throws IOException {
    if (values < 0 || tensor < 0) {
      throw new CliException("--values and --tensor must be >= 0");
    }
    shards.check();
    boolean limitGiven = spec.commandLine().getParseResult().hasMatchedOption("--limit");
    int max = image != null && !limitGiven ? 64 : limit;
    if (max < 0) {
      throw new CliException("--limit must be >= 0");
    }
    List<String> names = classNames();
    String dbType = in.type();
    String db = in.path;
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"KEY", "#", "NAME", "DTYPE", "SHAPE", "VALUES"});
    List<String> jsonLines = new ArrayList<>();
    ImageGrid grid = image == null ? null : new ImageGrid();
    List<String> skipped = new ArrayList<>();
    int shown = 0;
    long count = 0;
    boolean exact = true;
    try (Db opened = Dbs.open(dbType, db, Mode.READ);
        Cursor c = Dbs.where(dbType, db, opened::newCursor)) {
      long position = 0;
      for (; shown < max && Dbs.where(dbType, db, c::valid); position++) {
        if (shards.includes(position)) {
          String key = Keys.describe(Dbs.where(dbType, db, c::key));
          String keyText = Keys.text(Dbs.where(dbType, db, c::key));
          byte[] value = DbBytes.copy(Dbs.where(dbType, db, c::value));
          addRecord(rows, jsonLines, key, keyText, value, grid, names, skipped);
          shown++;
        }
        Dbs.where(dbType, db, c::next);
      }
      count = shown;
      OptionalLong known = DbSize.exactCount(dbType, db);
      if (known.isPresent()) {
        long n = known.getAsLong();
        count = Math.max(0, (n - shards.shardId + shards.numShards - 1) / shards.numShards);
      } else {
        long deadline = System.nanoTime() + COUNT_BUDGET_NANOS;
        for (; Dbs.where(dbType, db, c::valid); position++) {
          if (shards.includes(position)) {
            count++;
          }
          Dbs.where(dbType, db, c::next);
          if ((position & 1023) == 0 && System.nanoTime() > deadline) {
            exact = !Dbs.where(dbType, db, c::valid);
            break;
          }
        }
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    String what =
        shards.sharded()
            ? "shard " + shards.shardId + " of " + shards.numShards + " of " + in.describe()
            : in.describe();
    if (json.json) {
      jsonLines.forEach(out::println);
      out.println(
          new JsonLine()
              .put("db", db)
              .put("db_type", dbType)
              .put("records", count)
              .put("records_exact", exact)
              .put("shown", shown));
    } else if (count == 0) {
      out.println(what + ": " + Dbs.EMPTY);
    } else {
      printTable(out, rows);
      out.printf(
          "%d record%s shown of %s%d%s in %s%n",
          shown,
          shown == 1 ? "" : "s",
          exact ? "" : "at least ",
          count,
          exact ? "" : " (counting stopped after 2 s)",
          what);
    }
    if (grid != null) {
      if (grid.size() == 0) {
        throw new CliException(
            "--image "
                + image
                + ": no record has a drawable tensor "
                + tensor
                + (skipped.isEmpty() ? "" : " (" + skipped.get(0) + ")"));
      }
      ImageGrid.writeAtomically(grid, image);
      if (!json.json) {
        out.printf(
            "drew %d image%s (tensor %d) into %s%s%n",
            grid.size(),
            grid.size() == 1 ? "" : "s",
            tensor,
            image,
            skipped.isEmpty() ? "" : "; skipped " + skipped.size() + ": " + skipped.get(0));
      }
    }
    out.flush();
    return 0;
  }

  private List<String> classNames() {
    if (classNames == null) {
      return null;
    }
    if (classNames.equalsIgnoreCase("fashion-mnist")) {
      return ImageGrid.FASHION_MNIST;
    }
    return Arrays.asList(classNames.split(","));
  }

  private void addRecord(
      List<String[]> rows,
      List<String> jsonLines,
      String key,
      String keyText,
      byte[] value,
      ImageGrid grid,
      List<String> names,
      List<String> skipped) {
    TensorProtos protos;
    List<Map<String, Object>> tensors = new ArrayList<>();
    JsonLine line = new JsonLine().put("key", keyText).put("tensors", tensors);
    try {
      protos = TensorProtos.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      String why = "not a TensorProtos (" + value.length + " bytes): " + e.getMessage();
      rows.add(new String[] {key, "-", "", "", "", why});
      jsonLines.add(line.put("error", why).toString());
      skipped.add(key + ": " + why);
      return;
    }
    if (protos.getProtosCount() == 0) {
      rows.add(new String[] {key, "-", "", "", "", "no tensors (" + value.length + " bytes)"});
    }
    List<Tensor> decoded = new ArrayList<>();
    for (int i = 0; i < protos.getProtosCount(); i++) {
      TensorProto p = protos.getProtos(i);
      String first = i == 0 ? key : "";
      String shape = Shapes.toString(p.getDimsList().stream().mapToLong(Long::longValue).toArray());
      try {
        Tensor t = TensorProtoCodec.toTensor(p);
        decoded.add(t);
        String text = TensorText.values(t, values);
        rows.add(
            new String[] {
              first, Integer.toString(i), p.getName(), t.dataType().caffe2Name(), shape, text
            });
        tensors.add(
            new JsonLine()
                .put("index", i)
                .put("name", p.getName())
                .put("dtype", t.dataType().caffe2Name())
                .put("shape", Arrays.stream(t.dims()).boxed().toList())
                .put("values", text)
                .asMap());
      } catch (RuntimeException e) {
        decoded.add(null);
        String type = p.hasDataType() ? p.getDataType().name() : "?";
        String why = "cannot decode: " + Errors.oneLine(e);
        rows.add(new String[] {first, Integer.toString(i), p.getName(), type, shape, why});
        tensors.add(new JsonLine().put("index", i).put("error", why).asMap());
      }
    }
    jsonLines.add(line.toString());
    if (grid != null) {
      Tensor img = tensor < decoded.size() ? decoded.get(tensor) : null;
      if (img == null) {
        skipped.add(key + ": no decodable tensor " + tensor);
        return;
      }
      String why = grid.add(img, keyText, label(decoded, names));
      if (why != null) {
        skipped.add(key + ": tensor " + tensor + " " + why);
      }
    }
  }

  /** The first INT32 (or INT64) one-element tensor other than the image, as a caption. */
  private String label(List<Tensor> decoded, List<String> names) {
    for (int i = 0; i < decoded.size(); i++) {
      Tensor t = decoded.get(i);
      if (i == tensor
          || t == null
          || t.numel() != 1
          || (t.dataType() != DataType.INT32 && t.dataType() != DataType.INT64)) {
        continue;
      }
      long v = t.dataType() == DataType.INT32 ? t.data().getInt(0) : t.data().getLong(0);
      if (names != null && v >= 0 && v < names.size()) {
        return v + " " + names.get((int) v).trim();
      }
      return "label " + v;
    }
    return null;
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
