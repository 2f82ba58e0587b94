package dev.cortado.reliability;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import dev.cortado.db.DbReader;
import dev.cortado.net.Net;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.proto.Argument;
import dev.cortado.proto.DeviceOption;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Structure-aware fuzzing of operator creation and execution: nets of 1-4 OperatorDefs of
 * registered types (sometimes a made-up one) with fuzzed inputs, outputs, arguments (the schema's
 * own names in every field kind), engines and device options, over a workspace that already holds
 * tensors of several types, a string and a DB reader. Built and run twice; only a CortadoException
 * may come out, within 10 s.
 */
class OperatorDefFuzzTest {
  private static final NetHarness HARNESS = new NetHarness("opdef-fuzz-worker");
  private static final List<String> TYPES =
      List.copyOf(new TreeSet<>(Nets.RUNTIME.operators().types()));
  private static final String[] INPUTS = {"f", "i", "l", "s", "b", "h", "reader", "str", "x", "y"};
  private static final String[] OUTPUTS = {"x", "y", "f", "i", "reader", "z"};
  private static final String[] STRINGS = {
    "", "minidb", "memory", "lmdb", "db0", "float", "INT64", "int32", "uint8", "string", "Tensor",
    "wrap", "x", "f", "#%", "db"
  };
  private static final String[] NET_TYPES = {
    "", "simple", "dag", "async_scheduling", "prof_dag", "parallel", "bogus"
  };
  private static final String[] EXTRA_ARGS = {
    "batch_size",
    "shape",
    "extra_shape",
    "value",
    "values",
    "dtype",
    "to",
    "scale",
    "db",
    "dbs",
    "db_type",
    "db_name",
    "input_as_shape",
    "num_shards",
    "shard_id",
    "chunk_size",
    "prefetch_depth",
    "decode_threads",
    "no_prefetch",
    "shuffle_buffer",
    "last_batch",
    "every_n",
    "limit",
    "load_all",
    "strip_prefix",
    "add_prefix",
    "source_blob_names",
    "blob_name_overrides",
    "init_count",
    "absolute_path",
    "broadcast",
    "axis",
    "options",
    "keep_device",
    "allow_incomplete",
    "num_workers"
  };

  @FuzzTest(maxDuration = "10m")
  void fuzzedOperatorsFailCleanly(FuzzedDataProvider data) {
    HARNESS.run(
        ws -> {
          populate(ws);
          NetDef def = NetHarness.sanitize(net(data), ws.rootFolder());
          Net net = ws.createNet(def);
          net.run();
          net.run();
        });
  }

  private static void populate(Workspace ws) {
    Tensor f = Tensor.allocate(DataType.FLOAT, 2, 3);
    for (int k = 0; k < 6; k++) {
      f.data().putFloat(4 * k, k - 2.5f);
    }
    ws.createBlob("f").set(f);
    Tensor i = Tensor.allocate(DataType.INT32, 4);
    for (int k = 0; k < 4; k++) {
      i.data().putInt(4 * k, 3 - 2 * k);
    }
    ws.createBlob("i").set(i);
    Tensor l = Tensor.allocate(DataType.INT64);
    l.data().putLong(0, 3);
    ws.createBlob("l").set(l);
    ws.createBlob("s")
        .set(
            Tensor.ofStrings(
                new long[] {2}, new byte[][] {"a".getBytes(StandardCharsets.UTF_8), new byte[0]}));
    Tensor b = Tensor.allocate(DataType.BOOL, 3);
    b.data().put(0, (byte) 1);
    ws.createBlob("b").set(b);
    ws.createBlob("h").set(Tensor.allocate(DataType.FLOAT16, 2));
    ws.createBlob("str").set("hello");
    ws.createBlob("reader")
        .set(DbReader.open(Dbs.REGISTRY, "minidb", ws.rootFolder() + "/db0", 1, 0));
  }

  private static NetDef net(FuzzedDataProvider data) {
    NetDef.Builder net = NetDef.newBuilder().setName(data.consumeString(6));
    if (data.consumeBoolean()) {
      net.setType(data.pickValue(NET_TYPES));
    }
    int ops = data.consumeInt(1, 4);
    for (int k = 0; k < ops; k++) {
      net.addOp(op(data));
    }
    if (data.consumeBoolean()) {
      net.addArg(arg(data, "num_workers"));
    }
    if (data.consumeBoolean()) {
      net.setDeviceOption(DeviceOption.newBuilder().setDeviceType(data.consumeInt(0, 2)));
    }
    for (String in : INPUTS) {
      if (data.consumeBoolean()) {
        net.addExternalInput(in);
      }
    }
    return net.build();
  }

  private static OperatorDef op(FuzzedDataProvider data) {
    String type = data.consumeInt(0, 15) == 0 ? data.consumeString(12) : data.pickValue(TYPES);
    OperatorDef.Builder op = OperatorDef.newBuilder().setType(type);
    if (data.consumeBoolean()) {
      op.setName(data.consumeString(6));
    }
    int inputs = data.consumeInt(0, 3);
    for (int k = 0; k < inputs; k++) {
      op.addInput(data.pickValue(INPUTS));
    }
    int outputs = data.consumeInt(0, 2);
    for (int k = 0; k < outputs; k++) {
      op.addOutput(data.pickValue(OUTPUTS));
    }
    List<String> names = new ArrayList<>(List.of(EXTRA_ARGS));
    Nets.RUNTIME
        .operators()
        .schema(type)
        .map(OperatorSchema::arguments)
        .orElse(List.of())
        .forEach(a -> names.add(a.name()));
    int args = data.consumeInt(0, 5);
    Set<String> used = new TreeSet<>();
    for (int k = 0; k < args; k++) {
      String name = data.consumeInt(0, 9) == 0 ? data.consumeString(8) : data.pickValue(names);
      if (used.add(name) || data.consumeBoolean()) {
        op.addArg(arg(data, name));
      }
    }
    if (data.consumeInt(0, 3) == 0) {
      op.setEngine(
          data.pickValue(new String[] {"", "CUDNN", "EIGEN", "CUDNN,", data.consumeString(4)}));
    }
    if (data.consumeInt(0, 3) == 0) {
      op.setDeviceOption(
          DeviceOption.newBuilder()
              .setDeviceType(data.consumeInt(0, 8))
              .setDeviceId(data.consumeInt(-1, 2)));
    }
    if (data.consumeInt(0, 5) == 0) {
      op.addControlInput(data.pickValue(INPUTS));
    }
    return op.build();
  }

  private static Argument arg(FuzzedDataProvider data, String name) {
    Argument.Builder a = Argument.newBuilder().setName(name);
    switch (data.consumeInt(0, 7)) {
      case 0 -> a.setI(data.consumeLong());
      case 1 -> a.setI(data.consumeLong(-3, 40));
      case 2 -> a.setF(data.consumeFloat());
      case 3 ->
          a.setS(
              ByteString.copyFromUtf8(
                  data.consumeBoolean() ? data.pickValue(STRINGS) : data.consumeString(10)));
      case 4 -> {
        int n = data.consumeInt(0, 5);
        for (int k = 0; k < n; k++) {
          a.addInts(data.consumeLong(-3, 40));
        }
      }
      case 5 -> {
        int n = data.consumeInt(0, 6);
        for (int k = 0; k < n; k++) {
          a.addFloats(data.consumeFloat());
        }
      }
      case 6 -> {
        int n = data.consumeInt(0, 3);
        for (int k = 0; k < n; k++) {
          a.addStrings(ByteString.copyFromUtf8(data.pickValue(STRINGS)));
        }
      }
      default ->
          a.setN(
              NetDef.newBuilder()
                  .setName(data.consumeString(4))
                  .addOp(OperatorDef.newBuilder().setType(data.pickValue(TYPES))));
    }
    return a.build();
  }
}
