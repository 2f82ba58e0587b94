package dev.cortado.cuda;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.inject.Module;
import dev.cortado.proto.DeviceOption;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.runtime.DeviceTensors;
import dev.cortado.workspace.Workspace;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Java half of {@code gpu-check.sh run}: {@code probe}, {@code conformance} (CPU and CUDA
 * variants against expectations.json) and {@code throughput} (raw pinned H2D bandwidth and the CUDA
 * TensorProtosDBInput pipeline). Exit code 0 when everything that could run passed; the GPU parts
 * are skipped with a message when no device is available.
 */
public final class GpuCheck {
  private static final PrintStream OUT = System.out;

  /**
   * {@code -Dcortado.gpucheck.fake=true}: a dry run of the GPU paths on {@link FakeCopyEngine}, so
   * that gpu-check.sh's GPU branch can be exercised on a machine without one. Its numbers mean
   * nothing.
   */
  static final boolean FAKE = Boolean.getBoolean("cortado.gpucheck.fake");

  private static final FakeCopyEngine FAKE_ENGINE = FAKE ? new FakeCopyEngine(1) : null;

  private static CudaAvailability availability() {
    return FAKE ? FAKE_ENGINE.availability() : CudaAvailability.probe();
  }

  private static CopyEngine engine() {
    return FAKE ? FAKE_ENGINE : JCudaEngine.open();
  }

  /** Runtime overrides: the fake engine as the CopyEngine service in a dry run, else none. */
  private static Module[] overrides() {
    return FAKE
        ? new Module[] {binder -> binder.bind(CopyEngine.class).toInstance(FAKE_ENGINE)}
        : new Module[0];
  }

  private static String describe(CudaAvailability a) {
    return FAKE ? "FAKE GPU (dry run, numbers are meaningless): " + a.describe() : a.describe();
  }

  private GpuCheck() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      usage();
    }
    int rc;
    switch (args[0]) {
      case "probe":
        rc = probe();
        break;
      case "conformance":
        rc = conformance(Path.of(args[1]), Path.of(args[2]));
        break;
      case "throughput":
        rc =
            throughput(
                Path.of(args[1]), Path.of(args[2]), args.length > 3 ? Path.of(args[3]) : null);
        break;
      default:
        usage();
        rc = 2;
    }
    System.exit(rc);
  }

  private static void usage() {
    System.err.println(
        "usage: GpuCheck probe | conformance DATASET_DIR OUTDIR"
            + " | throughput DATASET_DIR OUTDIR [TORCH_H2D_JSON]");
    System.exit(2);
  }

  /** Prints the availability line; exit 0 with a device, 3 without (not an error). */
  static int probe() {
    CudaAvailability a = availability();
    OUT.println(describe(a));
    return a.isAvailable() ? 0 : 3;
  }

  static int conformance(Path dataset, Path outDir) throws IOException {
    Files.createDirectories(outDir);
    List<String> lines = new ArrayList<>();
    List<Conformance.Result> results = new ArrayList<>();
    results.add(Conformance.run(dataset, Conformance.Variant.cpu()));
    CudaAvailability a = availability();
    boolean skipped = !a.isAvailable();
    if (skipped) {
      lines.add("CUDA variant SKIPPED: " + describe(a));
    } else {
      lines.add(describe(a));
      results.add(
          Conformance.run(dataset, Conformance.Variant.cuda("cuda", Map.of()), overrides()));
      results.add(
          Conformance.run(
              dataset,
              Conformance.Variant.cuda(
                  "cuda prefetch_depth=4 decode_threads=4",
                  Map.of("prefetch_depth", 4L, "decode_threads", 4L)),
              overrides()));
      results.add(
          Conformance.run(
              dataset,
              Conformance.Variant.cuda("cuda no_prefetch=1", Map.of("no_prefetch", 1L)),
              overrides()));
    }
    boolean ok = true;
    for (Conformance.Result r : results) {
      lines.add(r.summary());
      lines.addAll(r.mismatches().stream().limit(20).map(m -> "  " + m).toList());
      ok &= r.ok();
    }
    for (int i = 1; i < results.size(); i++) {
      boolean same = results.get(i).digests().equals(results.get(0).digests());
      lines.add(
          results.get(i).variant()
              + " digests "
              + (same ? "==" : "!=")
              + " cpu digests ("
              + results.get(i).digests().size()
              + " tensors)");
      ok &= same;
    }
    lines.add("conformance: " + (ok ? "PASS" : "FAIL") + (skipped ? " (CPU only; no GPU)" : ""));
    lines.forEach(OUT::println);
    Files.write(outDir.resolve("conformance.txt"), lines, StandardCharsets.UTF_8);
    return ok ? 0 : 1;
  }

  static int throughput(Path dataset, Path outDir, Path torchJson) throws IOException {
    Files.createDirectories(outDir);
    CudaAvailability a = availability();
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("device", describe(a));
    List<String> lines = new ArrayList<>();
    long record = 28 * 28 + 4;
    int[] batchSizes = {64, 256, 4096};
    if (!a.isAvailable()) {
      lines.add("throughput SKIPPED (GPU parts): " + describe(a));
    } else {
      lines.add(describe(a));
      JsonObject torch = readTorch(torchJson, lines);
      CopyEngine engine = engine();
      List<Map<String, Object>> h2d = new ArrayList<>();
      lines.add(
          String.format(
              "%-28s %12s %14s %14s %8s",
              "H2D copy (pinned -> device)", "bytes", "cortado GB/s", "torch GB/s", "ratio"));
      for (int b : batchSizes) {
        long bytes = b * record;
        double gbs = h2dGbps(engine, (int) bytes);
        Double base =
            torch == null || !torch.has(Long.toString(bytes))
                ? null
                : torch.get(Long.toString(bytes)).getAsDouble();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("batch_size", b);
        row.put("bytes", bytes);
        row.put("cortado_gbps", round(gbs));
        row.put("torch_gbps", base == null ? null : round(base));
        h2d.add(row);
        lines.add(
            String.format(
                "%-28s %12d %14.2f %14s %8s",
                "batch " + b,
                bytes,
                gbs,
                base == null ? "n/a" : String.format("%.2f", base),
                base == null ? "n/a" : String.format("%.2f", gbs / base)));
      }
      report.put("h2d", h2d);
    }
    List<Map<String, Object>> pipeline = new ArrayList<>();
    lines.add(
        String.format(
            "%-44s %12s %12s %12s",
            "TensorProtosDBInput pipeline (fmnist-mini)", "batches/s", "records/s", "H2D GB/s"));
    for (int b : batchSizes) {
      for (boolean cuda : a.isAvailable() ? new boolean[] {false, true} : new boolean[] {false}) {
        double bps =
            batchesPerSecond(
                dataset, b, cuda ? CudaDevices.cuda(0) : DeviceOption.getDefaultInstance());
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("device", cuda ? "cuda" : "cpu");
        row.put("batch_size", b);
        row.put("batches_per_s", round(bps));
        row.put("records_per_s", round(bps * b));
        pipeline.add(row);
        lines.add(
            String.format(
                "%-44s %12.1f %12.0f %12s",
                (cuda ? "CUDA" : "CPU") + " batch " + b,
                bps,
                bps * b,
                cuda ? String.format("%.3f", bps * b * record / 1e9) : "-"));
      }
    }
    report.put("pipeline", pipeline);
    lines.forEach(OUT::println);
    Files.write(outDir.resolve("throughput.txt"), lines, StandardCharsets.UTF_8);
    Files.writeString(
        outDir.resolve("throughput.json"),
        new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(report));
    return 0;
  }

  private static JsonObject readTorch(Path torchJson, List<String> lines) throws IOException {
    if (torchJson == null || !Files.isRegularFile(torchJson)) {
      lines.add("PyTorch baseline: not available (see gpu-check.log)");
      return null;
    }
    JsonObject o = JsonParser.parseString(Files.readString(torchJson)).getAsJsonObject();
    if (o.has("error")) {
      lines.add("PyTorch baseline: " + o.get("error").getAsString());
      return null;
    }
    lines.add(
        "PyTorch baseline: torch "
            + o.get("torch").getAsString()
            + " on "
            + o.get("device").getAsString());
    return o.getAsJsonObject("h2d_gbps");
  }

  /**
   * Streams copies of one pinned buffer to one device buffer on one stream for about half a second,
   * as the PyTorch baseline does, and returns GB/s (1e9 bytes).
   */
  static double h2dGbps(CopyEngine engine, int bytes) {
    PinnedHostAllocator pinned = new PinnedHostAllocator(engine, 0, "gpu-check h2d");
    CopyEngine.Stream stream = engine.createStream(0);
    CopyEngine.DeviceMemory device = engine.allocateDevice(0, bytes);
    try {
      ByteBuffer host = pinned.allocate(bytes);
      for (int i = 0; i < bytes; i++) {
        host.put(i, (byte) i);
      }
      for (int i = 0; i < 20; i++) {
        engine.copyToDeviceAsync(host.duplicate().clear(), device, 0, stream);
      }
      stream.synchronize();
      long copies = 0;
      long start = System.nanoTime();
      long elapsed;
      int chunk = Math.max(1, (int) Math.min(1000, 64L * 1024 * 1024 / bytes));
      do {
        for (int i = 0; i < chunk; i++) {
          engine.copyToDeviceAsync(host.duplicate().clear(), device, 0, stream);
        }
        stream.synchronize();
        copies += chunk;
        elapsed = System.nanoTime() - start;
      } while (elapsed < 500_000_000L);
      pinned.free(host);
      return (double) copies * bytes / elapsed;
    } finally {
      device.close();
      stream.close();
      pinned.close();
    }
  }

  /** Batches per second of TensorProtosDBInput on fmnist-mini's minidb, after a warm-up. */
  static double batchesPerSecond(Path dataset, int batchSize, DeviceOption device) {
    Conformance.Variant v = new Conformance.Variant("bench", device, Map.of());
    try (Workspace ws = CortadoRuntime.create(overrides()).newWorkspace()) {
      ws.runNetOnce(Conformance.initNet(dataset.resolve("fmnist-mini.minidb").toString(), 1, 0));
      ws.createNet(Conformance.readNet(List.of("image", "label"), batchSize, v));
      for (int i = 0; i < 20; i++) {
        ws.runNet("read");
      }
      long n = 0;
      long start = System.nanoTime();
      long elapsed;
      do {
        ws.runNet("read");
        n++;
        elapsed = System.nanoTime() - start;
      } while (elapsed < 2_000_000_000L);
      // The last batch is complete on the device before the clock stops.
      DeviceTensors.toHost(ws.blob("image").get());
      elapsed = System.nanoTime() - start;
      return n * 1e9 / elapsed;
    }
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
