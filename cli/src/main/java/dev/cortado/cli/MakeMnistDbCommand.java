package dev.cortado.cli;

import dev.cortado.db.Db;
import dev.cortado.db.DbOutput;
import dev.cortado.db.Mode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cortado make-mnist-db}: Caffe2's make_mnist_db, reading raw or gzip IDX files. */
@Command(
    name = "make-mnist-db",
    sortOptions = false,
    description = {
      "Converts MNIST-format IDX files (raw or .gz) into a DB of TensorProtos, byte-identical to"
          + " Caffe2's make_mnist_db: keys 00000000, 00000001, ..., an image (BYTE, dims [1,28,28] with"
          + " --channel-first, else [28,28,1]) and a label (INT32 scalar); a commit every 1000"
          + " records. The output appears only when complete."
    })
final class MakeMnistDbCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin HelpOption helpOption;

  @Option(
      names = "--image-file",
      required = true,
      paramLabel = "FILE",
      description = "IDX image file (magic 2051), raw or gzip-compressed.")
  Path imageFile;

  @Option(
      names = "--label-file",
      required = true,
      paramLabel = "FILE",
      description = "IDX label file (magic 2049), raw or gzip-compressed.")
  Path labelFile;

  @Mixin Options.DbOut out;

  @Option(
      names = "--channel-first",
      description = "Store images as [1,rows,cols] (CHW) instead of [rows,cols,1].")
  boolean channelFirst;

  @Option(
      names = "--data-limit",
      paramLabel = "N",
      defaultValue = "-1",
      description = "If > 0, write only the first N records (default: all).")
  long dataLimit;

  @Mixin Options.Commit commit;

  @Mixin Options.Json json;

  @Override
  public Integer call() {
    String outPath = out.path(spec);
    commit.check();
    // As Caffe2's make_mnist_db, whose --db defaults to leveldb, the type is asked for; without
    // it, LMDB (the tutorial's backend).
    String outType = Dbs.canonical(out.type("lmdb"), outPath);
    long planned;
    try (IdxFile images = IdxFile.openImages(imageFile);
        IdxFile labels = IdxFile.openLabels(labelFile)) {
      planned = MnistRecords.plannedCount(images, labels, dataLimit);
    }
    long start = System.nanoTime();
    MnistRecords.Result result;
    try (DbOutput output =
        Outputs.begin(spec, outPath, out.overwrite, List.of(imageFile, labelFile))) {
      String partial = output.path().toString();
      try {
        try (Db db = Dbs.open(outType, partial, Mode.NEW);
            Progress progress = Progress.start(spec, "make-mnist-db", planned, "img")) {
          result =
              Dbs.where(
                  outType,
                  partial,
                  () ->
                      MnistRecords.write(
                          imageFile,
                          labelFile,
                          db,
                          channelFirst,
                          dataLimit,
                          commit.every,
                          progress::stepBy,
                          output::checkActive));
          progress.done();
        }
        output.commit();
      } catch (RuntimeException e) {
        throw Outputs.failed(e, output);
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (json.json) {
      spec.commandLine()
          .getOut()
          .println(
              new JsonLine()
                  .put("records", result.records())
                  .put("value_bytes", result.bytes())
                  .put("out", outPath)
                  .put("out_type", outType)
                  .put("seconds", seconds, 3));
    } else {
      spec.commandLine()
          .getOut()
          .printf(
              "wrote %d records (%.1f MB) to %s in %.2f s%n",
              result.records(), result.bytes() / 1e6, Dbs.describe(outType, outPath), seconds);
    }
    return 0;
  }
}
