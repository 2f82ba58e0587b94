package dev.cortado.cli;

import dev.cortado.db.Db;
import dev.cortado.db.Mode;
import dev.cortado.net.Net;
import dev.cortado.proto.ExecutionStep;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.proto.PlanDef;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cortado quickstart}: the main job end to end on real Fashion-MNIST: IDX files to an LMDB
 * of TensorProtos (as make_mnist_db --channel-first), then the tutorial input plan over one epoch.
 */
@Command(
    name = "quickstart",
    sortOptions = false,
    description = {
      "Runs Caffe2's MNIST tutorial on Fashion-MNIST, end to end: LeNet trained for one epoch on"
          + " Cortado, fed by TensorProtosDBInput, then tested and saved.",
      "1. finds the data: --data DIR if given, else Debian's dataset-fashion-mnist"
          + " (/usr/share/datasets/fashion-mnist), else the 1,000-image slice shipped in"
          + " examples/fashion-mnist-slice (no test set: its accuracy is not meaningful);",
      "2. converts the training and test sets into LMDBs of TensorProtos exactly as"
          + " make_mnist_db --channel-first does (kept in the work folder and reused; --fresh"
          + " rebuilds them);",
      "3. runs examples/mnist/init_net.pbtxt, then examples/mnist/train_net.pbtxt (input, LeNet,"
          + " gradients, SGD with the tutorial's step learning rate) for one epoch (938 iterations"
          + " of 64 on the full set; --iterations N), showing loss, accuracy, images/s and the"
          + " share of time spent waiting for input;",
      "4. runs examples/mnist/test_net.pbtxt over the test set and prints the test accuracy;",
      "5. saves the parameters with Save (minidb) beside a copy of deploy_net.pbtxt, for"
          + " cortado predict.",
      "--input-only runs only the input pipeline (examples/mnist-input-plan.pbtxt) over one"
          + " epoch, as earlier versions did."
    })
final class QuickstartCommand implements Callable<Integer> {
  static final String DEBIAN_DIR = "/usr/share/datasets/fashion-mnist";
  static final String[] CLASSES = {
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot"
  };
  private static final String SLICE_RESOURCE = "/dev/cortado/cli/fashion-mnist-slice/";
  private static final String PLAN_RESOURCE = "/dev/cortado/cli/examples/mnist-input-plan.pbtxt";
  private static final String IMAGES = "train-images-idx3-ubyte";
  private static final String LABELS = "train-labels-idx1-ubyte";
  private static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
  private static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

  @Spec CommandSpec spec;

  @Mixin HelpOption helpOption;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description =
          "Folder holding train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz];"
              + " wins over the installed data set.")
  Path data;

  @Option(names = "--fresh", description = "Rebuild the DB even if the work folder has one.")
  boolean fresh;

  @Option(
      names = "--work-dir",
      paramLabel = "DIR",
      description = "Where the DB is kept (default: .cortado in the repository).")
  Path workDir;

  @Option(
      names = "--db-type",
      paramLabel = "TYPE",
      defaultValue = "lmdb",
      description = "Backend of the DB (default: ${DEFAULT-VALUE}).")
  String dbType;

  @Option(
      names = "--plan",
      paramLabel = "FILE",
      description = "The input plan (default: examples/mnist-input-plan.pbtxt).")
  Path plan;

  @Option(
      names = "--iterations",
      paramLabel = "N",
      description =
          "Training iterations of batch 64 (default: one epoch, 938 on the full"
              + " training set).")
  Long iterations;

  @Option(
      names = "--input-only",
      description = "Only read one epoch through the tutorial's input pipeline; no training.")
  boolean inputOnly;

  @Option(
      names = "--json",
      description =
          "Print the summary as one JSON line (test_accuracy as a fraction,"
              + " train_images_per_s, input_wait_fraction, iterations, seconds, model, ...).")
  boolean json;

  /** Where Debian installs the data set; a test points it elsewhere. */
  @Option(names = "--system-data-dir", hidden = true, defaultValue = DEBIAN_DIR)
  Path systemDataDir;

  /** The training set found, and how to describe it. */
  record Source(Path images, Path labels, String description, boolean slice) {}

  /** What the epoch produced. */
  record EpochResult(
      long batches,
      int batchSize,
      long images,
      double seconds,
      long outputBytes,
      Double waitSeconds,
      int[] firstLabels,
      double meanPixel) {}

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter notes = json ? spec.commandLine().getErr() : out;
    boolean chatty = !Main.quiet(spec) && !json;
    Path work = workDir != null ? workDir : defaultWorkDir();
    Files.createDirectories(work);
    if (iterations != null && iterations < 0) {
      throw new CliException("--iterations must be >= 0, got " + iterations);
    }

    Source source = findSource(work);
    if (source.slice()) {
      notes.println(
          "Fashion-MNIST is not installed here, so this run uses the 1,000-image slice of"
              + " the training set shipped with Cortado (Fashion-MNIST by Zalando Research, MIT"
              + " licence).");
      notes.println(
          "  For all 60,000 images: sudo apt-get install dataset-fashion-mnist, or"
              + " download the *-ubyte.gz files from https://github.com/zalandoresearch/fashion-mnist"
              + " and run ./cortado quickstart --data DIR");
    } else if (chatty && data == null) {
      out.println(
          "Fashion-MNIST training set (Zalando Research, MIT licence): " + source.description());
    } else if (chatty) {
      out.println("Training set: " + source.description());
    }
    notes.flush();

    String prefix =
        source.slice()
            ? "fashion-mnist-slice"
            : data != null ? "fashion-mnist-data" : "fashion-mnist";
    String suffix = "-nchw-" + dbType.toLowerCase(java.util.Locale.ROOT);
    Path db = work.resolve(prefix + "-train" + suffix).toAbsolutePath();
    String dbNote = buildOrReuse(source, db, out, chatty);
    if (inputOnly) {
      PlanDef planDef = loadPlan(work);
      long records = countRecords(db);
      EpochResult epoch = runEpoch(planDef, db, records, chatty);
      if (json) {
        out.println(
            new JsonLine()
                .put("mode", "input-only")
                .put("images", epoch.images())
                .put("seconds", epoch.seconds(), 3)
                .put("images_per_s", epoch.images() / epoch.seconds(), 1)
                .put(
                    "input_wait_fraction",
                    epoch.waitSeconds() == null ? null : epoch.waitSeconds() / epoch.seconds())
                .put("db", db.toString())
                .toString());
      } else {
        printSummary(out, source, db, dbNote, epoch);
      }
      out.flush();
      return 0;
    }

    Source testSource = findTestSource(source);
    Path testDb = db;
    String testNote = "the training DB: no " + TEST_IMAGES + " beside the training set";
    if (testSource != null) {
      testDb = work.resolve(prefix + "-test" + suffix).toAbsolutePath();
      testNote = buildOrReuse(testSource, testDb, out, chatty);
    }
    train(out, source, db, dbNote, testSource, testDb, testNote, work, chatty);
    out.flush();
    return 0;
  }

  /** The test set beside the training set (t10k files), or null (the slice has none). */
  private Source findTestSource(Source train) {
    if (train.slice()) {
      return null;
    }
    Path dir = train.images().toAbsolutePath().getParent();
    Path images = find(dir, TEST_IMAGES);
    Path labels = find(dir, TEST_LABELS);
    if (images == null || labels == null) {
      return null;
    }
    return new Source(images, labels, dir.toString(), false);
  }

  // ---- the tutorial: train, test, save ----

  private void train(
      PrintWriter out,
      Source source,
      Path trainDb,
      String trainNote,
      Source testSource,
      Path testDb,
      String testNote,
      Path work,
      boolean chatty)
      throws IOException {
    long started = System.nanoTime();
    ArgOverrides trainDbArgs = new ArgOverrides(List.of("db=" + trainDb, "db_type=" + dbType));
    ArgOverrides testDbArgs = new ArgOverrides(List.of("db=" + testDb, "db_type=" + dbType));
    NetDef init = trainDbArgs.apply(MnistTutorial.net("init_net.pbtxt"));
    NetDef trainNet = MnistTutorial.net("train_net.pbtxt");
    NetDef testInit = testDbArgs.apply(MnistTutorial.net("test_init_net.pbtxt"));
    NetDef testNet = MnistTutorial.net("test_net.pbtxt");
    long trainRecords = countRecords(trainDb);
    long testRecords = countRecords(testDb);
    int batchSize = (int) MnistTutorial.intArg(trainNet, "TensorProtosDBInput", "batch_size", 64);
    long iters = iterations != null ? iterations : (trainRecords + batchSize - 1) / batchSize;
    List<String> params = MnistTutorial.params(trainNet);
    Path modelDir = work.resolve(prefix(source) + "-lenet").toAbsolutePath();
    Files.createDirectories(modelDir);
    Path model = modelDir.resolve("model.minidb");
    Path deploy = modelDir.resolve("deploy_net.pbtxt");

    MnistTutorial.Training training;
    Confusion confusion;
    double testSeconds;
    CortadoRuntime rt = Runtimes.start();
    try (Workspace ws = rt.newWorkspace()) {
      RunNetCommand.runOrExplain("examples/mnist/init_net.pbtxt", () -> ws.runNetOnce(init));
      Net net =
          RunNetCommand.runOrExplainGet(
              "examples/mnist/train_net.pbtxt", () -> ws.createNet(trainNet, true));
      if (chatty) {
        out.printf(
            "Training LeNet: %,d iterations of %d images (%s)%n",
            iters, batchSize, iterations == null ? "one epoch" : "--iterations");
        out.flush();
      }
      try (Progress progress = Progress.start(spec, "train", iters, "it")) {
        training =
            MnistTutorial.train(
                ws,
                net,
                iters,
                step -> {
                  progress.step();
                  progress.extraMessage(
                      String.format(
                          " loss %.3f acc %.0f%% %.0f img/s wait %.1f%%",
                          step.loss(),
                          100 * step.accuracy(),
                          step.imagesPerSecond(),
                          100 * step.waitFraction()));
                });
      }
      // Stop the training input's prefetcher before testing.
      ws.deleteNet(net.name());
      RunNetCommand.runOrExplain(
          "examples/mnist/test_init_net.pbtxt", () -> ws.runNetOnce(testInit));
      Net test =
          RunNetCommand.runOrExplainGet(
              "examples/mnist/test_net.pbtxt", () -> ws.createNet(testNet, true));
      long testStart = System.nanoTime();
      int testBatch = (int) MnistTutorial.intArg(testNet, "TensorProtosDBInput", "batch_size", 100);
      try (Progress progress =
          Progress.start(spec, "test", (testRecords + testBatch - 1) / testBatch, "batch")) {
        confusion =
            MnistTutorial.evaluate(ws, test, testRecords, "softmax", "label", progress::step);
      }
      testSeconds = (System.nanoTime() - testStart) / 1e9;
      ws.deleteNet(test.name());
      MnistTutorial.save(ws, params, model);
    }
    Files.writeString(deploy, MnistTutorial.text("deploy_net.pbtxt"), StandardCharsets.UTF_8);
    double total = (System.nanoTime() - started) / 1e9;

    if (json) {
      out.println(
          new JsonLine()
              .put("test_accuracy", confusion.accuracy(), 4)
              .put("test_images", confusion.total())
              .put("test_accuracy_meaningful", testSource != null)
              .put("train_images_per_s", training.imagesPerSecond(), 1)
              .put("input_wait_fraction", training.waitFraction(), 4)
              .put("iterations", training.iterations())
              .put("batch_size", training.batchSize())
              .put("seconds", training.seconds(), 3)
              .put("total_seconds", total, 3)
              .put("train_loss", training.loss(), 4)
              .put("train_accuracy", training.accuracy(), 4)
              .put("model", model.toString())
              .put("deploy_net", deploy.toString())
              .put("cores", Runtime.getRuntime().availableProcessors())
              .toString());
      return;
    }
    out.println();
    out.println("Cortado quickstart: Caffe2's MNIST tutorial (LeNet) on Fashion-MNIST");
    out.printf(
        "  data         %s%s%n",
        source.description(), source.slice() ? " (1,000-image slice)" : "");
    out.printf(
        "  train DB     %s (%s, %,d records, %s)%n", trainDb, dbType, trainRecords, trainNote);
    out.printf("  test DB      %s (%,d records, %s)%n", testDb, testRecords, testNote);
    out.printf(
        "  training     %,d iterations of %d = %,d images in %.1f s: %,.0f images/s%n",
        training.iterations(),
        training.batchSize(),
        training.iterations() * training.batchSize(),
        training.seconds(),
        training.imagesPerSecond());
    out.printf(
        "               loss %.3f, accuracy %.1f%% (means of the last %d iterations)%n",
        training.loss(), 100 * training.accuracy(), training.window());
    out.printf(
        "  input wait   %.2f s waiting for TensorProtosDBInput (%.1f%% of training)%n",
        training.waitSeconds(), 100 * training.waitFraction());
    out.printf(
        "  test         %.2f%% accuracy on %,d %s images (%.1f s)%n",
        100 * confusion.accuracy(),
        confusion.total(),
        testSource != null ? "test" : "training",
        testSeconds);
    if (testSource == null) {
      out.println(
          "               not meaningful: "
              + (source.slice() ? "the 1,000-image slice" : source.description())
              + " has no test set, so these are the training images;"
              + " with Fashion-MNIST's test set (dataset-fashion-mnist) one epoch gives about 86%");
    }
    out.printf("  model        %s (Save, minidb: %s)%n", model, String.join(", ", params));
    out.printf("  deploy net   %s%n", deploy);
    out.printf("  total        %.1f s%n", total);
    out.println();
    out.printf(
        "What the numbers measure: images/s is training throughput of the whole net"
            + " (input, Cast, Scale, forward, backward and SGD; one cold epoch, %d cores), not the"
            + " speed of the input path; input wait is the time the net spent waiting for"
            + " TensorProtosDBInput's prefetcher. The input path's steady-state rate:%n",
        Runtime.getRuntime().availableProcessors());
    out.printf("  ./cortado bench --db %s --db-type %s --batch-size 64%n", trainDb, dbType);
    out.printf(
        "Next: ./cortado predict --init %s --net %s --db %s --db-type %s%n",
        model, deploy, testDb, dbType);
  }

  private String prefix(Source source) {
    return source.slice()
        ? "fashion-mnist-slice"
        : data != null ? "fashion-mnist-data" : "fashion-mnist";
  }

  private Path defaultWorkDir() {
    String home = System.getProperty("cortado.home");
    return (home != null ? Path.of(home) : Path.of("")).resolve(".cortado").toAbsolutePath();
  }

  // ---- 1. the data ----

  Source findSource(Path work) throws IOException {
    if (data != null) {
      Path images = find(data, IMAGES);
      Path labels = find(data, LABELS);
      if (images == null || labels == null) {
        throw new CliException(
            "--data "
                + data
                + ": expected "
                + IMAGES
                + "[.gz] and "
                + LABELS
                + "[.gz] there (the Fashion-MNIST training files)");
      }
      return new Source(images, labels, data.toString(), false);
    }
    Path images = find(systemDataDir, IMAGES);
    Path labels = find(systemDataDir, LABELS);
    if (images != null && labels != null) {
      return new Source(
          images, labels, systemDataDir + " (Debian package dataset-fashion-mnist)", false);
    }
    String home = System.getProperty("cortado.home");
    if (home != null) {
      Path slice = Path.of(home, "examples", "fashion-mnist-slice");
      if (find(slice, IMAGES) != null && find(slice, LABELS) != null) {
        return new Source(find(slice, IMAGES), find(slice, LABELS), slice.toString(), true);
      }
    }
    // Running from a jar outside the repository: the slice travels inside it.
    Path slice = work.resolve("fashion-mnist-slice");
    Files.createDirectories(slice);
    for (String file : List.of(IMAGES + ".gz", LABELS + ".gz")) {
      try (InputStream in = QuickstartCommand.class.getResourceAsStream(SLICE_RESOURCE + file)) {
        if (in == null) {
          throw new CliException(
              "the Fashion-MNIST slice is missing from the cortado jar ("
                  + SLICE_RESOURCE
                  + file
                  + "); rebuild with ./mvnw package -pl cli -am");
        }
        Files.copy(in, slice.resolve(file), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return new Source(
        slice.resolve(IMAGES + ".gz"),
        slice.resolve(LABELS + ".gz"),
        "the slice shipped in the cortado jar",
        true);
  }

  private static Path find(Path dir, String base) {
    if (dir == null) {
      return null;
    }
    for (String candidate : List.of(base + ".gz", base, base.replace("-idx", ".idx"))) {
      Path p = dir.resolve(candidate);
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    return null;
  }

  // ---- 2. the DB ----

  /** Builds the DB unless an identical one from the same source exists; returns a note. */
  private String buildOrReuse(Source source, Path db, PrintWriter out, boolean chatty)
      throws IOException {
    Path stamp = db.resolveSibling(db.getFileName() + ".source");
    String signature = signature(source);
    if (!fresh
        && Files.exists(db)
        && Files.exists(stamp)
        && Files.readString(stamp, StandardCharsets.UTF_8).equals(signature)) {
      if (chatty) {
        out.println("Reusing " + db + " (--fresh rebuilds it)");
        out.flush();
      }
      return "reused from an earlier run";
    }
    Path partial = db.resolveSibling(db.getFileName() + ".partial");
    deleteRecursively(partial);
    Files.deleteIfExists(stamp);
    long planned;
    try (IdxFile images = IdxFile.openImages(source.images());
        IdxFile labels = IdxFile.openLabels(source.labels())) {
      planned = MnistRecords.plannedCount(images, labels, -1);
    }
    if (chatty) {
      out.printf(
          "Converting %,d images to %s (%s, as make_mnist_db --channel-first)%n",
          planned, db, dbType);
      out.flush();
    }
    long start = System.nanoTime();
    // Written under a temporary name and renamed when complete, so an interrupted build is
    // never mistaken for a finished DB.
    try (Db target = Dbs.open(dbType, partial.toString(), Mode.NEW);
        Progress progress = Progress.start(spec, "make-mnist-db", planned, "img")) {
      Dbs.where(
          dbType,
          partial.toString(),
          () ->
              MnistRecords.write(
                  source.images(), source.labels(), target, true, -1, progress::stepBy));
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    deleteRecursively(db);
    Files.move(partial, db, StandardCopyOption.ATOMIC_MOVE);
    Files.writeString(stamp, signature, StandardCharsets.UTF_8);
    return String.format("built in %.1f s", seconds);
  }

  private String signature(Source s) throws IOException {
    return String.join(
            "\n",
            "db_type=" + dbType,
            "images="
                + s.images().toAbsolutePath()
                + " "
                + Files.size(s.images())
                + " "
                + Files.getLastModifiedTime(s.images()).toMillis(),
            "labels="
                + s.labels().toAbsolutePath()
                + " "
                + Files.size(s.labels())
                + " "
                + Files.getLastModifiedTime(s.labels()).toMillis(),
            "layout=make_mnist_db --channel-first")
        + "\n";
  }

  static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path q : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(q);
      }
    }
  }

  private long countRecords(Path db) {
    return InputNets.scan(dbType, db.toString()).records();
  }

  // ---- 3. the plan ----

  private PlanDef loadPlan(Path work) throws IOException {
    Path file = plan;
    if (file == null) {
      String home = System.getProperty("cortado.home");
      Path inRepo = home == null ? null : Path.of(home, "examples", "mnist-input-plan.pbtxt");
      if (inRepo != null && Files.isRegularFile(inRepo)) {
        file = inRepo;
      } else {
        file = work.resolve("mnist-input-plan.pbtxt");
        try (InputStream in = QuickstartCommand.class.getResourceAsStream(PLAN_RESOURCE)) {
          if (in == null) {
            throw new CliException(
                "examples/mnist-input-plan.pbtxt is neither in the repository"
                    + " nor in the cortado jar; pass --plan FILE");
          }
          Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    plan = file;
    return ProtoFiles.read(file, PlanDef.getDefaultInstance(), "plan");
  }

  private EpochResult runEpoch(PlanDef planDef, Path db, long records, boolean chatty) {
    ArgOverrides overrides = new ArgOverrides(List.of("db=" + db, "db_type=" + dbType));
    PlanDef p = overrides.apply(planDef);
    overrides.checkAllUsed(plan.toString());
    Map<String, NetDef> nets = new LinkedHashMap<>();
    for (NetDef n : p.getNetworkList()) {
      nets.put(n.getName(), n);
    }
    NetDef inputDef =
        p.getNetworkList().stream()
            .filter(n -> indexOf(n, "TensorProtosDBInput") >= 0)
            .findFirst()
            .orElseThrow(
                () ->
                    new CliException(
                        "plan " + plan + ": no net in it has a TensorProtosDBInput operator"));
    OperatorDef input = inputDef.getOp(indexOf(inputDef, "TensorProtosDBInput"));
    int batchSize =
        (int)
            input.getArgList().stream()
                .filter(a -> a.getName().equals("batch_size"))
                .mapToLong(a -> a.getI())
                .findFirst()
                .orElse(0);
    if (batchSize <= 0 || input.getOutputCount() < 2) {
      throw new CliException(
          "plan "
              + plan
              + ": its TensorProtosDBInput needs batch_size > 0"
              + " and two outputs (image, label)");
    }
    long batches = (records + batchSize - 1) / batchSize;
    String pixelBlob = inputDef.getOp(inputDef.getOpCount() - 1).getOutput(0);

    CortadoRuntime rt = Runtimes.start();
    try (Workspace ws = rt.newWorkspace()) {
      EpochRunner runner =
          new EpochRunner(
              ws, inputDef.getName(), input, pixelBlob, batchSize, batches, records, chatty);
      for (ExecutionStep step : p.getExecutionStepList()) {
        runStep(ws, nets, step, runner);
      }
      if (runner.result == null) {
        throw new CliException(
            "plan " + plan + ": no execution step runs net '" + inputDef.getName() + "'");
      }
      return runner.result;
    }
  }

  /**
   * Runs a plan made of sequential steps (networks, num_iter, substeps), as the tutorial plan is;
   * the step that runs the input net runs it for exactly one epoch instead of num_iter times.
   */
  private void runStep(
      Workspace ws, Map<String, NetDef> nets, ExecutionStep step, EpochRunner runner) {
    if (step.getConcurrentSubsteps()
        || step.hasShouldStopBlob()
        || step.hasRunEveryMs()
        || step.hasReportNet()
        || step.getCreateWorkspace()) {
      throw new CliException(
          "plan "
              + plan
              + ": step '"
              + step.getName()
              + "' uses"
              + " concurrent substeps, should_stop_blob, run_every_ms, report_net or"
              + " create_workspace; quickstart runs plain sequential steps (use run-plan instead)");
    }
    long iterations = step.hasNumIter() ? step.getNumIter() : 1;
    boolean epochStep = step.getNetworkList().contains(runner.netName);
    for (long i = 0; i < (epochStep ? 1 : iterations); i++) {
      for (ExecutionStep sub : step.getSubstepList()) {
        runStep(ws, nets, sub, runner);
      }
      for (String name : step.getNetworkList()) {
        // Nets are built when their step first runs, after earlier steps made their inputs.
        Net net = ws.getNet(name);
        if (net == null) {
          NetDef def = nets.get(name);
          if (def == null) {
            throw new CliException(
                "plan "
                    + plan
                    + ": step '"
                    + step.getName()
                    + "' runs net '"
                    + name
                    + "', which the plan does not define; nets: "
                    + nets.keySet());
          }
          net =
              RunNetCommand.runOrExplainGet(
                  "plan " + plan + " net '" + name + "'", () -> ws.createNet(def, true));
        }
        if (name.equals(runner.netName)) {
          runner.run(net);
        } else {
          RunNetCommand.runOrExplain("plan " + plan + " net '" + name + "'", net::run);
        }
      }
    }
  }

  private static int indexOf(NetDef net, String type) {
    for (int i = 0; i < net.getOpCount(); i++) {
      if (net.getOp(i).getType().equals(type)) {
        return i;
      }
    }
    return -1;
  }

  /** Runs the input net for one epoch and gathers what the summary shows. */
  private final class EpochRunner {
    final Workspace ws;
    final String netName;
    final OperatorDef input;
    final String pixelBlob;
    final int batchSize;
    final long batches;
    final long records;
    final boolean chatty;
    EpochResult result;

    EpochRunner(
        Workspace ws,
        String netName,
        OperatorDef input,
        String pixelBlob,
        int batchSize,
        long batches,
        long records,
        boolean chatty) {
      this.ws = ws;
      this.netName = netName;
      this.input = input;
      this.pixelBlob = pixelBlob;
      this.batchSize = batchSize;
      this.batches = batches;
      this.records = records;
      this.chatty = chatty;
    }

    void run(Net net) {
      int[] firstLabels = null;
      double pixelSum = 0;
      long pixelCount = 0;
      long outputBytes = 0;
      if (chatty) {
        spec.commandLine()
            .getOut()
            .printf("Running %s over one epoch: %,d batches of %d%n", plan, batches, batchSize);
        spec.commandLine().getOut().flush();
      }
      long start = System.nanoTime();
      try (Progress progress = Progress.start(spec, "epoch", batches, "batch")) {
        for (long b = 0; b < batches; b++) {
          RunNetCommand.runOrExplain("plan " + plan + " net '" + netName + "' run " + b, net::run);
          if (b == 0) {
            firstLabels = labels(ws.blob(input.getOutput(1)).tensor());
            outputBytes =
                ws.blob(input.getOutput(0)).tensor().nbytes()
                    + ws.blob(input.getOutput(1)).tensor().nbytes();
          }
          // The last batch wraps around to the first records; count each image once.
          long fresh = Math.min(batchSize, records - b * batchSize);
          pixelSum += pixelSum(ws.blob(pixelBlob).tensor(), fresh);
          pixelCount += fresh;
          progress.step();
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      Map<String, Number> metrics =
          net.operators().get(indexOf(net.def(), "TensorProtosDBInput")).metrics();
      Number waitNs = metrics.get("consumer_wait_ns");
      long pixelsPerImage = ws.blob(pixelBlob).tensor().numel() / batchSize;
      result =
          new EpochResult(
              batches,
              batchSize,
              batches * batchSize,
              seconds,
              batches * outputBytes,
              waitNs == null ? null : waitNs.doubleValue() / 1e9,
              firstLabels,
              pixelSum / ((double) pixelCount * pixelsPerImage));
    }
  }

  private static int[] labels(Tensor t) {
    int[] out = new int[(int) t.numel()];
    ByteBuffer d = t.data();
    for (int i = 0; i < out.length; i++) {
      out[i] = t.dataType() == DataType.INT64 ? (int) d.getLong(i * 8) : d.getInt(i * 4);
    }
    return out;
  }

  /** Sum of the first {@code images} images' pixels, on the [0,1) scale. */
  private static double pixelSum(Tensor t, long images) {
    long perImage = t.numel() / t.dim(0);
    long n = images * perImage;
    ByteBuffer d = t.data();
    double sum = 0;
    switch (t.dataType()) {
      case FLOAT -> {
        for (int i = 0; i < n; i++) {
          sum += d.getFloat(i * 4);
        }
      }
      case DOUBLE -> {
        for (int i = 0; i < n; i++) {
          sum += d.getDouble(i * 8);
        }
      }
      case BYTE, UINT8 -> {
        for (int i = 0; i < n; i++) {
          sum += (d.get(i) & 0xff) / 256.0;
        }
      }
      default ->
          throw new CliException(
              "the plan's last output is "
                  + t.dataType()
                  + "; expected the float images of the tutorial pipeline");
    }
    return sum;
  }

  // ---- 4. the summary ----

  private void printSummary(PrintWriter out, Source source, Path db, String dbNote, EpochResult e) {
    out.println();
    out.println("Cortado quickstart: Caffe2's MNIST input pipeline on Fashion-MNIST");
    out.printf(
        "  data         %s%s%n",
        source.description(), source.slice() ? " (1,000-image slice)" : "");
    out.printf("  DB           %s (%s, %s, %s)%n", db, dbType, human(sizeOf(db)), dbNote);
    out.printf("  plan         %s%n", plan);
    out.printf(
        "  epoch        %,d batches of %d = %,d images in %.2f s%n",
        e.batches(), e.batchSize(), e.images(), e.seconds());
    out.printf(
        "  throughput   %,.0f images/s, %.1f MB/s of batches (uint8 images + int32" + " labels)%n",
        e.images() / e.seconds(), e.outputBytes() / 1e6 / e.seconds());
    if (e.waitSeconds() == null) {
      out.println("  input wait   not reported by this TensorProtosDBInput");
    } else {
      out.printf(
          "  input wait   %.3f s waiting for the prefetcher (%.0f%% of the epoch)%n",
          e.waitSeconds(), 100 * e.waitSeconds() / e.seconds());
    }
    out.printf(
        "  mean pixel   %.4f (after Scale(1/256), over %s)%n",
        e.meanPixel(), "every image of the epoch");
    out.println("  first batch  label histogram:");
    int[] counts = new int[CLASSES.length];
    int other = 0;
    for (int label : e.firstLabels()) {
      if (label >= 0 && label < counts.length) {
        counts[label]++;
      } else {
        other++;
      }
    }
    for (int c = 0; c < counts.length; c++) {
      out.printf("    %d %-11s %2d %s%n", c, CLASSES[c], counts[c], "#".repeat(counts[c]));
    }
    if (other > 0) {
      out.printf("    other labels: %d%n", other);
    }
    out.println();
    out.printf("Next: ./cortado inspect --db %s --db-type %s --limit 3%n", db, dbType);
    out.printf("      ./cortado bench --db %s --db-type %s --batch-size 64%n", db, dbType);
  }

  private static long sizeOf(Path p) {
    try (Stream<Path> walk = Files.walk(p)) {
      return walk.filter(Files::isRegularFile)
          .mapToLong(
              q -> {
                try {
                  return Files.size(q);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              })
          .sum();
    } catch (IOException e) {
      return -1;
    }
  }

  private static String human(long bytes) {
    return bytes < 0 ? "size unknown" : String.format("%.1f MB", bytes / 1e6);
  }
}
