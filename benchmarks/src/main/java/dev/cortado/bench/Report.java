package dev.cortado.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns JMH's JSON results ({@code -rf json -rff FILE}) into the tables of PERFORMANCE.md: per
 * benchmark and parameters the median and min–max over measurement iterations, in records/s for
 * throughput runs (time per batch for average-time runs), with ratios against baselines measured in
 * the same run (the same file): the floor of the same backend and dataset, and the reference
 * decoder of the same dtype.
 *
 * <p>{@code java -cp benchmarks/target/benchmarks.jar dev.cortado.bench.Report results.json...}
 */
public final class Report {
  private Report() {}

  /** One benchmark with one set of parameters. */
  record Row(
      String benchmark,
      Map<String, String> params,
      String mode,
      String unit,
      double[] primary,
      double[] records,
      double[] bytes,
      double allocPerOp) {
    String shortName() {
      return benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1);
    }

    String param(String name) {
      return params.getOrDefault(name, "");
    }
  }

  public static void main(String[] args) throws IOException {
    if (args.length == 0) {
      System.err.println("usage: Report results.json...");
      System.exit(2);
    }
    // Ratios only compare results of the same file, i.e. the same JMH run.
    for (String a : args) {
      System.out.println("### " + Path.of(a).getFileName());
      System.out.println();
      if (a.endsWith(".jsonl")) {
        printCli(Path.of(a), System.out);
      } else {
        print(read(Path.of(a)), System.out);
      }
      System.out.println();
    }
  }

  static List<Row> read(Path file) throws IOException {
    List<Row> rows = new ArrayList<>();
    try (Reader r = Files.newBufferedReader(file)) {
      for (JsonElement e : JsonParser.parseReader(r).getAsJsonArray()) {
        JsonObject o = e.getAsJsonObject();
        Map<String, String> params = new TreeMap<>();
        if (o.has("params")) {
          for (Map.Entry<String, JsonElement> p : o.getAsJsonObject("params").entrySet()) {
            params.put(p.getKey(), p.getValue().getAsString());
          }
        }
        JsonObject primary = o.getAsJsonObject("primaryMetric");
        JsonObject secondary =
            o.has("secondaryMetrics") ? o.getAsJsonObject("secondaryMetrics") : new JsonObject();
        double alloc =
            secondary.has("gc.alloc.rate.norm")
                ? number(secondary.getAsJsonObject("gc.alloc.rate.norm").get("score"))
                : Double.NaN;
        rows.add(
            new Row(
                o.get("benchmark").getAsString(),
                params,
                o.get("mode").getAsString(),
                primary.get("scoreUnit").getAsString(),
                raw(primary),
                raw(secondary, "records"),
                raw(secondary, "bytes"),
                alloc));
      }
    }
    return rows;
  }

  private static double[] raw(JsonObject secondary, String name) {
    return secondary.has(name) ? raw(secondary.getAsJsonObject(name)) : new double[0];
  }

  /** Every measurement iteration of every fork. */
  private static double[] raw(JsonObject metric) {
    List<Double> values = new ArrayList<>();
    for (JsonElement fork : metric.getAsJsonArray("rawData")) {
      for (JsonElement v : (JsonArray) fork) {
        values.add(number(v));
      }
    }
    return values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
  }

  /** JMH writes infinities and NaN as strings. */
  private static double number(JsonElement v) {
    String s = v.getAsString();
    return switch (s) {
      case "+INF", "INF" -> Double.POSITIVE_INFINITY;
      case "-INF" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(s);
    };
  }

  static double median(double[] sorted) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int m = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
  }

  static void print(List<Row> rows, PrintStream out) {
    Map<String, Row> floors = new LinkedHashMap<>();
    Map<String, Row> references = new LinkedHashMap<>();
    for (Row r : rows) {
      if (r.benchmark().endsWith("DbReadBenchmark.floor")) {
        floors.put(dbKey(r), r);
      }
      if (r.benchmark().endsWith("DecodeBenchmark.reference")) {
        references.put(decodeKey(r), r);
      }
    }
    out.println(
        "| benchmark | parameters | records/s median (min–max) | MB/s median |"
            + " vs floor | vs reference | alloc B/op |");
    out.println("|---|---|---|---|---|---|---|");
    for (Row r : rows) {
      String rate;
      String mb = "";
      String vsFloor = "";
      String vsRef = "";
      if (r.mode().equals("thrpt") && r.records().length > 0) {
        rate =
            human(median(r.records()))
                + " ("
                + human(r.records()[0])
                + "–"
                + human(r.records()[r.records().length - 1])
                + ")";
        mb =
            r.bytes().length > 0 ? String.format(Locale.ROOT, "%.0f", median(r.bytes()) / 1e6) : "";
        Row floor = floors.get(dbKey(r));
        if (floor != null && floor != r && r.param("backend").length() > 0) {
          vsFloor = ratio(median(r.records()), median(floor.records()));
        }
        Row ref = references.get(decodeKey(r));
        if (ref != null && ref != r && r.benchmark().contains("DecodeBenchmark")) {
          vsRef = ratio(median(r.records()), median(ref.records()));
        }
      } else {
        double[] p = r.primary();
        rate =
            String.format(
                Locale.ROOT, "%.1f %s (%.1f–%.1f)", median(p), r.unit(), p[0], p[p.length - 1]);
      }
      String alloc =
          Double.isNaN(r.allocPerOp()) ? "" : String.format(Locale.ROOT, "%.0f", r.allocPerOp());
      out.println(
          "| "
              + r.shortName()
              + " | "
              + params(r)
              + " | "
              + rate
              + " | "
              + mb
              + " | "
              + vsFloor
              + " | "
              + vsRef
              + " | "
              + alloc
              + " |");
    }
  }

  /**
   * One JSON line per {@code cortado bench --json} or {@code cortado db-throughput --json} run (the
   * file may hold both).
   */
  static void printCli(Path file, PrintStream out) throws IOException {
    out.println(
        "| command | db_type | batch | prefetch_depth | decode_threads | items/s median"
            + " (min–max) | MB/s median |");
    out.println("|---|---|---|---|---|---|---|");
    for (String line : Files.readAllLines(file)) {
      if (line.isBlank() || !line.startsWith("{")) {
        continue;
      }
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      boolean bench = o.has("items_per_s_median");
      String prefix = bench ? "items_per_s_" : "records_per_s_";
      String command =
          bench
              ? "bench"
                  + (o.has("no_prefetch") && o.get("no_prefetch").getAsBoolean()
                      ? " --no-prefetch"
                      : "")
              : "db-throughput " + o.get("mode").getAsString();
      out.println(
          "| "
              + command
              + " | "
              + o.get("db_type").getAsString()
              + " | "
              + (bench ? o.get("batch_size").getAsString() : "")
              + " | "
              + (bench ? o.get("prefetch_depth").getAsString() : "")
              + " | "
              + (bench ? o.get("decode_threads").getAsString() : "")
              + " | "
              + human(o.get(prefix + "median").getAsDouble())
              + " ("
              + human(o.get(prefix + "min").getAsDouble())
              + "–"
              + human(o.get(prefix + "max").getAsDouble())
              + ") | "
              + String.format(Locale.ROOT, "%.0f", o.get("mb_per_s_median").getAsDouble())
              + " |");
    }
  }

  private static String dbKey(Row r) {
    return r.param("backend") + "/" + r.param("dataset") + "/" + r.param("records");
  }

  private static String decodeKey(Row r) {
    return r.param("dtype") + "/" + r.param("elements") + "/" + r.param("batchSize");
  }

  private static String params(Row r) {
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, String> e : r.params().entrySet()) {
      parts.add(e.getKey() + "=" + e.getValue());
    }
    return String.join(" ", parts);
  }

  private static String ratio(double a, double b) {
    return String.format(Locale.ROOT, "%.2f×", a / b);
  }

  /** 1234567 -> 1.23M. */
  static String human(double v) {
    if (v >= 1e6) {
      return String.format(Locale.ROOT, "%.2fM", v / 1e6);
    }
    if (v >= 1e3) {
      return String.format(Locale.ROOT, "%.0fk", v / 1e3);
    }
    return String.format(Locale.ROOT, "%.0f", v);
  }
}
