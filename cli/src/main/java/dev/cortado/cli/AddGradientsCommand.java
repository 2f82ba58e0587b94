package dev.cortado.cli;

import com.google.protobuf.TextFormat;
import dev.cortado.net.BackwardPass;
import dev.cortado.proto.NetDef;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cortado add-gradients}: Caffe2's {@code AddGradientOperators} on a NetDef file. */
@Command(
    name = "add-gradients",
    sortOptions = false,
    description = {
      "Appends the backward operators of a forward NetDef, as Caffe2's AddGradientOperators"
          + " does: ConstantFill(loss) -> loss_autogen_grad (value 1.0) as the seed, then each"
          + " operator's registered gradient operators in reverse order (X_grad names),"
          + " StopGradient ending the walk, and a Sum where a blob's gradient comes from several"
          + " consumers (_X_grad_autosplit_N).",
      "Writes the whole net in protobuf text format to --out, or to stdout."
    })
final class AddGradientsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin HelpOption helpOption;

  @Option(
      names = "--net",
      required = true,
      paramLabel = "FILE",
      description = "The forward NetDef (text or binary).")
  Path net;

  @Option(
      names = "--loss",
      required = true,
      paramLabel = "BLOB[,BLOB...]",
      description = "The blob(s) whose gradient is seeded with 1.0; repeatable.")
  List<String> loss = new ArrayList<>();

  @Option(
      names = "--out",
      paramLabel = "FILE",
      description = "Where to write the net (text format); stdout when omitted.")
  Path out;

  @Option(names = "--overwrite", description = "Replace an existing --out file.")
  boolean overwrite;

  @Override
  public Integer call() throws IOException {
    NetDef forward = ProtoFiles.read(net, NetDef.getDefaultInstance(), "net");
    List<String> losses = Digests.names(loss);
    BackwardPass.Result result =
        RunNetCommand.runOrExplainGet(
            "add-gradients on " + net,
            () -> BackwardPass.addGradientOperators(forward, losses, Runtimes.start().gradients()));
    String text = TextFormat.printer().printToString(result.net());
    PrintWriter stdout = spec.commandLine().getOut();
    if (out == null) {
      stdout.print(text);
    } else {
      if (Files.exists(out) && !overwrite) {
        throw new CliException("--out " + out + " exists; pass --overwrite to replace it");
      }
      Path partial =
          out.toAbsolutePath()
              .resolveSibling(out.getFileName() + ".partial-" + ProcessHandle.current().pid());
      Files.writeString(partial, text, StandardCharsets.UTF_8);
      Files.move(partial, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      if (!Main.quiet(spec)) {
        stdout.printf(
            "wrote %s: %d forward and %d gradient operators; gradients of %d blobs%n",
            out, forward.getOpCount(), result.gradientOps().size(), result.gradients().size());
      }
    }
    stdout.flush();
    return 0;
  }
}
