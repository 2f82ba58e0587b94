package dev.cortado.spark.tools;

import com.google.protobuf.ByteString;
import dev.cortado.net.Net;
import dev.cortado.proto.Argument;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One trainer's input pipeline in its own JVM: Caffe2's CreateDB (with num_shards/shard_id) and
 * TensorProtosDBInput, run for one epoch of its shard. Prints the labels it read (the record ids of
 * {@link IdDataset}) as one line {@code ids 3,7,11,...}.
 *
 * <p>Arguments: db_type, db, num_shards, shard_id, batch_size.
 */
public final class TrainerProcess {
  private TrainerProcess() {}

  public static void main(String[] args) {
    String dbType = args[0];
    String db = args[1];
    int numShards = Integer.parseInt(args[2]);
    int shardId = Integer.parseInt(args[3]);
    int batchSize = Integer.parseInt(args[4]);
    // Caffe2's readers have no end-of-epoch signal: a trainer knows its epoch from the DB size,
    // ceil((N - shard_id) / num_shards) records.
    int total = IdDataset.scan(dbType, db).size();
    int epoch = (total - shardId + numShards - 1) / numShards;
    List<Integer> ids = new ArrayList<>();
    try (Workspace ws = CortadoRuntime.create().newWorkspace()) {
      ws.runNetOnce(
          NetDef.newBuilder()
              .setName("init")
              .addOp(
                  OperatorDef.newBuilder()
                      .setType("CreateDB")
                      .addOutput("dbreader")
                      .addArg(s("db", db))
                      .addArg(s("db_type", dbType))
                      .addArg(i("num_shards", numShards))
                      .addArg(i("shard_id", shardId)))
              .build());
      Net net =
          ws.createNet(
              NetDef.newBuilder()
                  .setName("input")
                  .addOp(
                      OperatorDef.newBuilder()
                          .setType("TensorProtosDBInput")
                          .addInput("dbreader")
                          .addOutput("data")
                          .addOutput("label")
                          .addArg(i("batch_size", batchSize)))
                  .build());
      while (ids.size() < epoch) {
        net.run();
        Tensor label = ws.blob("label").tensor();
        ByteBuffer data = label.data();
        for (int j = 0; j < label.dim(0) && ids.size() < epoch; j++) {
          ids.add(data.getInt(4 * j));
        }
      }
    }
    System.out.println("ids " + ids.stream().map(String::valueOf).collect(Collectors.joining(",")));
    System.exit(0);
  }

  private static Argument s(String name, String value) {
    return Argument.newBuilder().setName(name).setS(ByteString.copyFromUtf8(value)).build();
  }

  private static Argument i(String name, long value) {
    return Argument.newBuilder().setName(name).setI(value).build();
  }
}
