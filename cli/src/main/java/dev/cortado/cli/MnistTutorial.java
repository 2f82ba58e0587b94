package dev.cortado.cli;

import dev.cortado.net.Net;
import dev.cortado.proto.Argument;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The MNIST tutorial's nets (examples/mnist) and the steps that run them: train for a number of
 * iterations, test over a DB, save the parameters with {@code Save}.
 */
final class MnistTutorial {
  private static final String RESOURCE = "/dev/cortado/cli/examples/mnist/";

  private MnistTutorial() {}

  /** The text of examples/mnist/{@code file}, from the repository or else from the jar. */
  static String text(String file) {
    String home = System.getProperty("cortado.home");
    try {
      if (home != null) {
        Path inRepo = Path.of(home, "examples", "mnist", file);
        if (Files.isRegularFile(inRepo)) {
          return Files.readString(inRepo, StandardCharsets.UTF_8);
        }
      }
      try (InputStream in = MnistTutorial.class.getResourceAsStream(RESOURCE + file)) {
        if (in == null) {
          throw new CliException(
              "examples/mnist/"
                  + file
                  + " is neither in the repository nor"
                  + " in the cortado jar; rebuild with ./mvnw package -pl cli -am");
        }
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new CliException("examples/mnist/" + file + ": " + Errors.oneLine(e), e);
    }
  }

  /** examples/mnist/{@code file} as a NetDef. */
  static NetDef net(String file) {
    try {
      NetDef.Builder b = NetDef.newBuilder();
      com.google.protobuf.TextFormat.getParser().merge(text(file), b);
      return b.build();
    } catch (com.google.protobuf.TextFormat.ParseException e) {
      throw new CliException("examples/mnist/" + file + ": " + e.getMessage(), e);
    }
  }

  /** The parameters a training net updates: the outputs of its WeightedSum operators. */
  static List<String> params(NetDef train) {
    LinkedHashSet<String> params = new LinkedHashSet<>();
    for (OperatorDef op : train.getOpList()) {
      if (op.getType().equals("WeightedSum") || op.getType().equals("MomentumSGDUpdate")) {
        params.add(op.getOutput(op.getOutputCount() - 1));
      }
    }
    return new ArrayList<>(params);
  }

  /** The value of the int argument {@code name} of the first operator of {@code type}. */
  static long intArg(NetDef net, String type, String name, long absent) {
    for (OperatorDef op : net.getOpList()) {
      if (op.getType().equals(type)) {
        for (Argument a : op.getArgList()) {
          if (a.getName().equals(name)) {
            return a.getI();
          }
        }
      }
    }
    return absent;
  }

  static int indexOf(NetDef net, String type) {
    for (int i = 0; i < net.getOpCount(); i++) {
      if (net.getOp(i).getType().equals(type)) {
        return i;
      }
    }
    return -1;
  }

  /** What one training run measured. */
  record Training(
      long iterations,
      int batchSize,
      double seconds,
      double waitSeconds,
      double loss,
      double accuracy,
      int window) {
    double imagesPerSecond() {
      return iterations * batchSize / seconds;
    }

    double waitFraction() {
      return waitSeconds / seconds;
    }
  }

  /** The state after each iteration, for a progress display. */
  record Step(
      long iteration, float loss, float accuracy, double imagesPerSecond, double waitFraction) {}

  /**
   * Runs the created training net {@code iterations} times. The loss and accuracy reported are the
   * means over the last 100 iterations (fewer when there are fewer).
   */
  static Training train(Workspace ws, Net net, long iterations, Consumer<Step> onStep) {
    int input = indexOf(net.def(), "TensorProtosDBInput");
    int batchSize = (int) intArg(net.def(), "TensorProtosDBInput", "batch_size", 0);
    int window = (int) Math.min(100, Math.max(1, iterations));
    float[] losses = new float[window];
    float[] accuracies = new float[window];
    long start = System.nanoTime();
    for (long it = 0; it < iterations; it++) {
      long n = it;
      RunNetCommand.runOrExplain("net '" + net.name() + "' iteration " + it, net::run);
      float loss = scalar(ws, "loss");
      float accuracy = scalar(ws, "accuracy");
      losses[(int) (it % window)] = loss;
      accuracies[(int) (it % window)] = accuracy;
      double seconds = (System.nanoTime() - start) / 1e9;
      onStep.accept(
          new Step(
              n + 1,
              loss,
              accuracy,
              (n + 1) * batchSize / seconds,
              waitSeconds(net, input) / seconds));
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    int filled = (int) Math.min(window, iterations);
    double lossSum = 0;
    double accSum = 0;
    for (int i = 0; i < filled; i++) {
      lossSum += losses[i];
      accSum += accuracies[i];
    }
    return new Training(
        iterations,
        batchSize,
        seconds,
        waitSeconds(net, input),
        filled == 0 ? Double.NaN : lossSum / filled,
        filled == 0 ? Double.NaN : accSum / filled,
        filled);
  }

  private static double waitSeconds(Net net, int input) {
    if (input < 0) {
      return 0;
    }
    Map<String, Number> m = net.operators().get(input).metrics();
    Number ns = m.get("consumer_wait_ns");
    return ns == null ? 0 : ns.doubleValue() / 1e9;
  }

  private static float scalar(Workspace ws, String blob) {
    if (!ws.hasBlob(blob)) {
      throw new CliException("the training net wrote no blob '" + blob + "'");
    }
    Tensor t = ws.blob(blob).tensor();
    return t.data().getFloat(0);
  }

  /**
   * Runs a created net that reads {@code records} labelled images in batches and adds each batch's
   * {@code scores} against {@code label} to a confusion matrix; the last batch, which wraps around
   * to the first records, counts only its new records.
   */
  static Confusion evaluate(
      Workspace ws, Net net, long records, String scores, String label, Runnable onBatch) {
    int batchSize = (int) intArg(net.def(), "TensorProtosDBInput", "batch_size", 0);
    if (batchSize <= 0) {
      throw new CliException(
          "net '" + net.name() + "' has no TensorProtosDBInput with a" + " batch_size");
    }
    long batches = (records + batchSize - 1) / batchSize;
    Confusion confusion = new Confusion(10);
    for (long b = 0; b < batches; b++) {
      RunNetCommand.runOrExplain("net '" + net.name() + "' batch " + b, net::run);
      long fresh = Math.min(batchSize, records - b * batchSize);
      confusion.add(ws.blob(scores).tensor(), ws.blob(label).tensor(), fresh);
      onBatch.run();
    }
    return confusion;
  }

  /** Saves {@code params} with Caffe2's Save operator into a new minidb at {@code model}. */
  static void save(Workspace ws, List<String> params, Path model) throws IOException {
    Files.deleteIfExists(model);
    OperatorDef.Builder save = OperatorDef.newBuilder().setType("Save");
    params.forEach(save::addInput);
    save.addArg(
        Argument.newBuilder()
            .setName("db")
            .setS(com.google.protobuf.ByteString.copyFromUtf8(model.toAbsolutePath().toString())));
    save.addArg(
        Argument.newBuilder()
            .setName("db_type")
            .setS(com.google.protobuf.ByteString.copyFromUtf8("minidb")));
    save.addArg(Argument.newBuilder().setName("absolute_path").setI(1));
    RunNetCommand.runOrExplain(
        "Save of the trained parameters to " + model, () -> ws.runOperatorOnce(save.build()));
  }

  /** Loads every blob of a saved model (a minidb written by Save) into the workspace. */
  static void load(Workspace ws, Path model, String dbType) {
    OperatorDef.Builder load = OperatorDef.newBuilder().setType("Load");
    load.addArg(
        Argument.newBuilder()
            .setName("db")
            .setS(com.google.protobuf.ByteString.copyFromUtf8(model.toAbsolutePath().toString())));
    load.addArg(
        Argument.newBuilder()
            .setName("db_type")
            .setS(com.google.protobuf.ByteString.copyFromUtf8(dbType)));
    load.addArg(Argument.newBuilder().setName("absolute_path").setI(1));
    load.addArg(Argument.newBuilder().setName("load_all").setI(1));
    RunNetCommand.runOrExplain(
        "Load of the model " + model, () -> ws.runOperatorOnce(load.build()));
  }
}
