package dev.cortado.cli;

import dev.cortado.net.Net;
import dev.cortado.proto.Argument;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cortado predict}: a trained classifier on a DB of labelled images, or on one image. */
@Command(
    name = "predict",
    sortOptions = false,
    description = {
      "Runs a trained model's deploy net (such as the one quickstart saves) over a DB of labelled"
          + " 28x28 images and prints the accuracy and the confusion matrix, or classifies one"
          + " image.",
      "The images go through the tutorial's input pipeline: TensorProtosDBInput, Cast to float,"
          + " Scale(1/256); a PNG's grey levels are scaled the same way (Fashion-MNIST images are"
          + " light clothes on a black background)."
    })
final class PredictCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin HelpOption helpOption;

  @Option(
      names = "--init",
      required = true,
      paramLabel = "MODEL",
      description =
          "The saved parameters: a DB written by Save (such as quickstart's"
              + " model.minidb), or an init NetDef (.pbtxt/.pb) that creates them.")
  Path init;

  @Option(
      names = "--init-type",
      paramLabel = "TYPE",
      defaultValue = "minidb",
      description = "Backend of the saved model DB (default: ${DEFAULT-VALUE}).")
  String initType;

  @Option(
      names = "--net",
      required = true,
      paramLabel = "FILE",
      description = "The deploy net: reads blob 'data' [N,1,28,28] float, writes the scores.")
  Path net;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Input input;

  /** Either a DB or one image. */
  static final class Input {
    @Option(names = "--db", paramLabel = "DB", description = "A DB of labelled images.")
    String db;

    @Option(names = "--image", paramLabel = "PNG", description = "One 28x28 image to classify.")
    Path image;
  }

  @Option(
      names = "--db-type",
      paramLabel = "TYPE",
      defaultValue = "lmdb",
      description = "Backend of --db (default: ${DEFAULT-VALUE}).")
  String dbType;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      defaultValue = "100",
      description = "Images per run of the net (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--output",
      paramLabel = "BLOB",
      description =
          "The scores blob (default: the deploy net's first external_output, else the"
              + " last operator's output).")
  String output;

  @Option(names = "--json", description = "Print the result as one JSON line.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    if (batchSize <= 0) {
      throw new CliException("--batch-size must be > 0, got " + batchSize);
    }
    NetDef deploy = ProtoFiles.read(net, NetDef.getDefaultInstance(), "deploy net");
    if (deploy.getName().isEmpty()) {
      deploy = deploy.toBuilder().setName("deploy").build();
    }
    String scores =
        output != null
            ? output
            : deploy.getExternalOutputCount() > 0
                ? deploy.getExternalOutput(0)
                : deploy.getOpCount() > 0 ? lastOutput(deploy) : null;
    if (scores == null) {
      throw new CliException("deploy net " + net + " has no operators");
    }
    PrintWriter out = spec.commandLine().getOut();
    CortadoRuntime rt = Runtimes.start();
    try (Workspace ws = rt.newWorkspace()) {
      loadModel(ws);
      if (input.image != null) {
        classify(ws, deploy, scores, out);
      } else {
        evaluate(ws, deploy, scores, out);
      }
    }
    out.flush();
    return 0;
  }

  private static String lastOutput(NetDef net) {
    OperatorDef last = net.getOp(net.getOpCount() - 1);
    return last.getOutputCount() == 0 ? null : last.getOutput(0);
  }

  private void loadModel(Workspace ws) {
    if (!Files.exists(init)) {
      throw new CliException("--init " + init + ": no such file or directory");
    }
    String name = init.getFileName().toString();
    if (name.endsWith(".pbtxt") || name.endsWith(".pb")) {
      NetDef initNet = ProtoFiles.read(init, NetDef.getDefaultInstance(), "init net");
      RunNetCommand.runOrExplain("init net " + init, () -> ws.runNetOnce(initNet));
    } else {
      MnistTutorial.load(ws, init, initType);
    }
  }

  private void evaluate(Workspace ws, NetDef deploy, String scores, PrintWriter out) {
    long records = InputNets.scan(dbType, input.db).records();
    if (records == 0) {
      throw new CliException("--db " + input.db + " holds no records");
    }
    List<OperatorDef> ops = new ArrayList<>();
    ops.add(
        op(
            "CreateDB",
            List.of(),
            List.of("predict_dbreader"),
            str("db", input.db),
            str("db_type", dbType)));
    ws.runOperatorOnce(ops.get(0));
    ops.clear();
    ops.add(
        op(
            "TensorProtosDBInput",
            List.of("predict_dbreader"),
            List.of("data_uint8", "label"),
            Argument.newBuilder().setName("batch_size").setI(batchSize).build()));
    ops.add(
        op(
            "Cast",
            List.of("data_uint8"),
            List.of("data"),
            Argument.newBuilder().setName("to").setI(1).build()));
    ops.add(
        op(
            "Scale",
            List.of("data"),
            List.of("data"),
            Argument.newBuilder().setName("scale").setF(1f / 256).build()));
    NetDef.Builder combined =
        deploy.toBuilder().clearOp().addAllOp(ops).addAllOp(deploy.getOpList());
    if (combined.getExternalInputCount() > 0) {
      combined.addExternalInput("predict_dbreader");
    }
    NetDef def = combined.build();
    Net n = RunNetCommand.runOrExplainGet("deploy net " + net, () -> ws.createNet(def, true));
    long start = System.nanoTime();
    Confusion confusion;
    try (Progress progress =
        Progress.start(spec, "predict", (records + batchSize - 1) / batchSize, "batch")) {
      confusion = MnistTutorial.evaluate(ws, n, records, scores, "label", progress::step);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (json) {
      out.println(
          new JsonLine()
              .put("accuracy", confusion.accuracy(), 4)
              .put("correct", confusion.correct())
              .put("images", confusion.total())
              .put("seconds", seconds, 3)
              .toString());
      return;
    }
    out.printf(
        "accuracy %.2f%% (%,d of %,d images of %s, %.1f s, %,.0f images/s)%n",
        100 * confusion.accuracy(),
        confusion.correct(),
        confusion.total(),
        input.db,
        seconds,
        confusion.total() / seconds);
    confusion.print(out, QuickstartCommand.CLASSES);
  }

  private void classify(Workspace ws, NetDef deploy, String scores, PrintWriter out)
      throws IOException {
    BufferedImage img = ImageIO.read(input.image.toFile());
    if (img == null) {
      throw new CliException(
          "--image " + input.image + ": not an image ImageIO can read" + " (PNG, JPEG, GIF, BMP)");
    }
    if (img.getWidth() != 28 || img.getHeight() != 28) {
      throw new CliException(
          "--image "
              + input.image
              + ": expected 28x28 pixels, found "
              + img.getWidth()
              + "x"
              + img.getHeight());
    }
    Tensor data = Tensor.allocate(DataType.FLOAT, 1, 1, 28, 28);
    ByteBuffer d = data.data();
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        int rgb = img.getRGB(x, y);
        int grey =
            (((rgb >> 16) & 0xFF) * 299 + ((rgb >> 8) & 0xFF) * 587 + (rgb & 0xFF) * 114 + 500)
                / 1000;
        d.putFloat((y * 28 + x) * 4, grey / 256f);
      }
    }
    ws.createBlob("data").set(data);
    NetDef def = deploy;
    RunNetCommand.runOrExplain("deploy net " + net, () -> ws.runNetOnce(def));
    Tensor s = ws.blob(scores).tensor();
    if (s.dataType() != DataType.FLOAT || s.numel() < 1) {
      throw new CliException(
          "the scores blob '" + scores + "' is " + s + "; expected float" + " scores");
    }
    int classes = (int) s.numel();
    float[] p = new float[classes];
    s.data().asFloatBuffer().get(p);
    Integer[] order = new Integer[classes];
    for (int i = 0; i < classes; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> Float.compare(p[b], p[a]));
    String[] names = QuickstartCommand.CLASSES;
    if (json) {
      out.println(
          new JsonLine()
              .put("image", input.image.toString())
              .put("class", order[0])
              .put("name", order[0] < names.length ? names[order[0]] : null)
              .put("score", (double) p[order[0]], 6)
              .toString());
      return;
    }
    out.printf(
        "%s: class %d %s (%.1f%%)%n",
        input.image, order[0], order[0] < names.length ? names[order[0]] : "", 100 * p[order[0]]);
    for (int k = 1; k < Math.min(3, classes); k++) {
      int c = order[k];
      out.printf("  then %d %s (%.1f%%)%n", c, c < names.length ? names[c] : "", 100 * p[c]);
    }
  }

  private static OperatorDef op(String type, List<String> in, List<String> out, Argument... args) {
    return OperatorDef.newBuilder()
        .setType(type)
        .addAllInput(in)
        .addAllOutput(out)
        .addAllArg(List.of(args))
        .build();
  }

  private static Argument str(String name, String value) {
    return Argument.newBuilder()
        .setName(name)
        .setS(com.google.protobuf.ByteString.copyFromUtf8(value))
        .build();
  }
}
