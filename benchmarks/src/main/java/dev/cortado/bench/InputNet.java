package dev.cortado.bench;

import dev.cortado.net.Net;
import dev.cortado.operator.Blob;
import dev.cortado.proto.Argument;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;

/**
 * {@code CreateDB} + {@code TensorProtosDBInput} in a workspace, as a user's net runs them: the
 * init net opens the reader once, and each {@link #run()} of the input net yields one batch in
 * blobs {@code data} and {@code label}.
 */
final class InputNet implements AutoCloseable {
  private final Workspace ws;
  private final Net net;
  private final Blob data;
  private final Blob label;
  private final long outputBytes;

  /**
   * @param prefetchDepth 0 leaves the operator's default
   * @param decodeThreads 0 leaves the operator's default
   */
  InputNet(
      Datasets.Built db, int batchSize, boolean noPrefetch, int prefetchDepth, int decodeThreads) {
    ws = CortadoRuntime.create().newWorkspace();
    try {
      ws.runNetOnce(
          NetDef.newBuilder()
              .setName("init")
              .addOp(
                  OperatorDef.newBuilder()
                      .setType("CreateDB")
                      .addOutput("dbreader")
                      .addArg(string("db", db.path().toString()))
                      .addArg(string("db_type", db.backend())))
              .build());
      OperatorDef.Builder input =
          OperatorDef.newBuilder()
              .setType("TensorProtosDBInput")
              .addInput("dbreader")
              .addOutput("data")
              .addOutput("label")
              .addArg(integer("batch_size", batchSize));
      if (noPrefetch) {
        input.addArg(integer("no_prefetch", 1));
      }
      if (prefetchDepth > 0) {
        input.addArg(integer("prefetch_depth", prefetchDepth));
      }
      if (decodeThreads > 0) {
        input.addArg(integer("decode_threads", decodeThreads));
      }
      net = ws.createNet(NetDef.newBuilder().setName("input").addOp(input).build(), true);
      data = ws.blob("data");
      label = ws.blob("label");
      net.run();
      Tensor d = data.tensor();
      Tensor l = label.tensor();
      if (d.dim(0) != batchSize || l.dim(0) != batchSize) {
        throw new IllegalStateException(
            "expected batches of " + batchSize + ", got " + d + " and " + l);
      }
      outputBytes = d.nbytes() + l.nbytes();
    } catch (RuntimeException e) {
      ws.close();
      throw e;
    }
  }

  /** One batch. */
  void run() {
    net.run();
  }

  Object data() {
    return data.get();
  }

  Object label() {
    return label.get();
  }

  /** Bytes of one batch's output tensors. */
  long outputBytes() {
    return outputBytes;
  }

  @Override
  public void close() {
    ws.close();
  }

  private static Argument string(String name, String value) {
    return Argument.newBuilder()
        .setName(name)
        .setS(com.google.protobuf.ByteString.copyFromUtf8(value))
        .build();
  }

  private static Argument integer(String name, long value) {
    return Argument.newBuilder().setName(name).setI(value).build();
  }
}
