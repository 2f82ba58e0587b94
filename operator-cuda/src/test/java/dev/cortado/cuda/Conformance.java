package dev.cortado.cuda;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.inject.Module;
import dev.cortado.proto.Argument;
import dev.cortado.proto.DeviceOption;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.runtime.DeviceTensors;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorDigest;
import dev.cortado.workspace.Workspace;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The conformance run of a shared dataset's {@code expectations.json} through real nets: {@code
 * CreateDB} on the CPU, then {@code TensorProtosDBInput} on the device of the variant, every batch
 * of every run compared (dtype, shape, sha256) after copying it to the host. Used by the JUnit
 * tests (fake GPU) and by {@code gpu-check.sh} (real GPU).
 */
final class Conformance {
  /** One way to run the read net: device and extra TensorProtosDBInput arguments. */
  record Variant(String name, DeviceOption device, Map<String, Long> args) {
    static Variant cpu() {
      return new Variant("cpu", DeviceOption.getDefaultInstance(), Map.of());
    }

    static Variant cuda(String name, Map<String, Long> args) {
      return new Variant(name, CudaDevices.cuda(0), args);
    }
  }

  /** What one variant produced: batches checked, mismatches, and every digest in order. */
  record Result(
      String variant, int runs, int batches, List<String> mismatches, List<String> digests) {
    boolean ok() {
      return mismatches.isEmpty() && batches > 0;
    }

    String summary() {
      return variant
          + ": "
          + runs
          + " runs, "
          + batches
          + " batches, "
          + (ok() ? "all digests equal expectations.json" : mismatches.size() + " MISMATCHES");
    }
  }

  private Conformance() {}

  /**
   * Runs every minidb run of the dataset in {@code dir} with {@code variant}; {@code overrides} go
   * to {@link CortadoRuntime#create} (tests bind a fake {@link CopyEngine} there).
   */
  static Result run(Path dir, Variant variant, Module... overrides) throws IOException {
    JsonObject expectations;
    try (Reader r = Files.newBufferedReader(dir.resolve("expectations.json"))) {
      expectations = JsonParser.parseReader(r).getAsJsonObject();
    }
    List<String> names = new ArrayList<>();
    for (JsonElement o : expectations.getAsJsonArray("outputs")) {
      names.add(o.getAsJsonObject().get("name").getAsString());
    }
    CortadoRuntime runtime = CortadoRuntime.create(overrides);
    List<String> mismatches = new ArrayList<>();
    List<String> digests = new ArrayList<>();
    int runs = 0;
    int batches = 0;
    for (JsonElement g : expectations.getAsJsonArray("groups")) {
      JsonObject group = g.getAsJsonObject();
      String minidb = null;
      for (JsonElement d : group.getAsJsonArray("dbs")) {
        if (d.getAsJsonObject().get("backend").getAsString().equals("minidb")) {
          minidb = d.getAsJsonObject().get("path").getAsString();
        }
      }
      if (minidb == null) {
        continue;
      }
      for (JsonElement r : group.getAsJsonArray("runs")) {
        JsonObject run = r.getAsJsonObject();
        int b = run.get("batch_size").getAsInt();
        int shards = run.get("num_shards").getAsInt();
        int shard = run.get("shard_id").getAsInt();
        String label = variant.name + " minidb B=" + b + " shards=" + shards + " shard=" + shard;
        try (Workspace ws = runtime.newWorkspace()) {
          ws.runNetOnce(initNet(dir.resolve(minidb).toString(), shards, shard));
          ws.createNet(readNet(names, b, variant));
          int i = 0;
          for (JsonElement e : run.getAsJsonArray("batches")) {
            ws.runNet("read");
            JsonArray outs = e.getAsJsonObject().getAsJsonArray("outputs");
            for (int j = 0; j < names.size(); j++) {
              JsonObject want = outs.get(j).getAsJsonObject();
              Tensor got = DeviceTensors.toHost(ws.blob(names.get(j)).get());
              String digest = TensorDigest.sha256Hex(got);
              digests.add(digest);
              String wantType = want.get("dtype").getAsString();
              long[] wantShape = toLongs(want.getAsJsonArray("shape"));
              if (!got.dataType().caffe2Name().equals(wantType)
                  || !Arrays.equals(got.dims(), wantShape)
                  || !digest.equals(want.get("sha256").getAsString())) {
                mismatches.add(
                    label
                        + " batch "
                        + i
                        + " output "
                        + names.get(j)
                        + ": expected "
                        + wantType
                        + " "
                        + Arrays.toString(wantShape)
                        + " "
                        + want.get("sha256")
                        + ", got "
                        + got.dataType().caffe2Name()
                        + " "
                        + Arrays.toString(got.dims())
                        + " "
                        + digest);
              }
            }
            i++;
            batches++;
          }
        }
        runs++;
      }
    }
    return new Result(variant.name, runs, batches, mismatches, digests);
  }

  static NetDef initNet(String path, int shards, int shard) {
    return NetDef.newBuilder()
        .setName("init")
        .addOp(
            OperatorDef.newBuilder()
                .setType("CreateDB")
                .addOutput("dbreader")
                .addArg(arg("db", path))
                .addArg(arg("db_type", "minidb"))
                .addArg(arg("num_shards", shards))
                .addArg(arg("shard_id", shard)))
        .build();
  }

  static NetDef readNet(List<String> outputs, int batchSize, Variant variant) {
    OperatorDef.Builder op =
        OperatorDef.newBuilder()
            .setType("TensorProtosDBInput")
            .addInput("dbreader")
            .addAllOutput(outputs)
            .addArg(arg("batch_size", batchSize))
            .setDeviceOption(variant.device);
    Map<String, Long> args = new LinkedHashMap<>(variant.args);
    args.forEach((k, v) -> op.addArg(arg(k, v)));
    return NetDef.newBuilder().setName("read").addOp(op).build();
  }

  static Argument arg(String name, String value) {
    return Argument.newBuilder()
        .setName(name)
        .setS(com.google.protobuf.ByteString.copyFromUtf8(value))
        .build();
  }

  static Argument arg(String name, long value) {
    return Argument.newBuilder().setName(name).setI(value).build();
  }

  private static long[] toLongs(JsonArray a) {
    long[] out = new long[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).getAsLong();
    }
    return out;
  }
}
