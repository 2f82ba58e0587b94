package dev.cortado.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cortado plot}: bench JSON to an SVG bar chart (PERFORMANCE.md's chart is drawn so). */
@Command(
    name = "plot",
    sortOptions = false,
    description = {
      "Draws bench results as an SVG bar chart: one bar per JSON object (the lines of"
          + " cortado bench --json, or a JSON array), at its median, with a line from min to max."
          + " A \"label\" field names a bar; else its db_type and batch_size do."
    })
final class PlotCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin HelpOption helpOption;

  @Option(
      names = "--json",
      required = true,
      paramLabel = "FILE",
      description = "Bench results: JSON lines or a JSON array.")
  Path json;

  @Option(names = "--svg", required = true, paramLabel = "FILE", description = "Chart to write.")
  Path svg;

  @Option(
      names = "--metric",
      paramLabel = "NAME",
      defaultValue = "items_per_s",
      description =
          "Which rate to draw: NAME_median, NAME_min and NAME_max are read (default:"
              + " ${DEFAULT-VALUE}; db-throughput's is records_per_s).")
  String metric;

  @Option(
      names = "--title",
      paramLabel = "TEXT",
      defaultValue = "Cortado input throughput",
      description = "Chart title (default: ${DEFAULT-VALUE}).")
  String title;

  @Override
  public Integer call() throws IOException {
    List<BarChart.Bar> bars =
        BarChart.fromJson(Files.readString(json, StandardCharsets.UTF_8), metric);
    writeSvg(svg, BarChart.svg(bars, title, metric.replace('_', ' ')));
    if (!Main.quiet(spec)) {
      spec.commandLine()
          .getOut()
          .printf("drew %d bar%s into %s%n", bars.size(), bars.size() == 1 ? "" : "s", svg);
    }
    return 0;
  }

  /** Writes through a temporary sibling, so an error leaves no half-written chart. */
  static void writeSvg(Path svg, String text) throws IOException {
    Path tmp =
        svg.toAbsolutePath()
            .resolveSibling(svg.getFileName() + ".partial-" + ProcessHandle.current().pid());
    try {
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(
          tmp,
          svg,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
