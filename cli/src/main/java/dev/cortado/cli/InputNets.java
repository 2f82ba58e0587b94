package dev.cortado.cli;

import com.google.protobuf.ByteString;
import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.Keys;
import dev.cortado.db.Mode;
import dev.cortado.proto.Argument;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.tensor.TensorProtosDecoder;
import java.util.ArrayList;
import java.util.List;

/** Builds Caffe2's two-net input pipeline (CreateDB init net, TensorProtosDBInput net). */
final class InputNets {
  /** The blob CreateDB writes and TensorProtosDBInput reads. */
  static final String READER_BLOB = "dbreader";

  private InputNets() {}

  /** What a full scan of a DB found: its record count and the first record's tensor count. */
  record Shape(long records, int outputs) {}

  /** Counts the records and parses the first one to learn how many outputs the operator needs. */
  static Shape scan(String dbType, String path) {
    return Dbs.where(
        dbType,
        path,
        () -> {
          try (Db db = Dbs.registry().open(dbType, path, Mode.READ);
              Cursor c = db.newCursor()) {
            if (!c.valid()) {
              throw new CliException(Dbs.describe(dbType, path) + ": " + Dbs.EMPTY);
            }
            int outputs = new TensorProtosDecoder().parse(c.value(), Keys.text(c.key()));
            long n = 0;
            for (; c.valid(); c.next()) {
              n++;
            }
            return new Shape(n, outputs);
          }
        });
  }

  static NetDef initNet(String dbType, String path) {
    return NetDef.newBuilder()
        .setName("init")
        .addOp(
            OperatorDef.newBuilder()
                .setType("CreateDB")
                .addOutput(READER_BLOB)
                .addArg(s("db", path))
                .addArg(s("db_type", dbType)))
        .build();
  }

  /** A net with one TensorProtosDBInput; extra args (name -> Argument) are added as given. */
  static NetDef inputNet(int outputs, int batchSize, List<Argument> extraArgs) {
    OperatorDef.Builder op =
        OperatorDef.newBuilder()
            .setType("TensorProtosDBInput")
            .addInput(READER_BLOB)
            .addArg(i("batch_size", batchSize))
            .addAllArg(extraArgs);
    for (String name : outputNames(outputs)) {
      op.addOutput(name);
    }
    return NetDef.newBuilder().setName("input").addOp(op).build();
  }

  static List<String> outputNames(int outputs) {
    List<String> names = new ArrayList<>();
    for (int j = 0; j < outputs; j++) {
      names.add("output_" + j);
    }
    return names;
  }

  static Argument i(String name, long value) {
    return Argument.newBuilder().setName(name).setI(value).build();
  }

  static Argument s(String name, String value) {
    return Argument.newBuilder().setName(name).setS(ByteString.copyFromUtf8(value)).build();
  }
}
